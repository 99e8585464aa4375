#include "daemon/novel/characters.h"

#include <algorithm>
#include <map>
#include <unordered_map>

#include "daemon/novel/names.h"
#include "daemon/novel/text_util.h"

namespace forkline {
namespace {

constexpr std::size_t kMinLongFormLines = 2;

using Counts = std::map<std::string, std::size_t>;  // ordered: deterministic output

// "RABBIT" is the head of "WHITE RABBIT"; "KING" leads "KING OF HEARTS".
bool IsHeadOf(const std::string& short_cue, const std::string& long_cue) {
  return long_cue.size() > short_cue.size() + 1 && text::EndsWith(long_cue, " " + short_cue) &&
         long_cue.find(" OF ") == std::string::npos;
}
bool LeadsOf(const std::string& short_cue, const std::string& long_cue) {
  return text::StartsWith(long_cue, short_cue + " OF ");
}

// Maps every cue to the cue of its group: the long form "WHITE RABBIT" absorbs the
// head "RABBIT" (when the long form is used at least twice and is the only long form
// with that head); "KING OF HEARTS" folds into "KING".
std::map<std::string, std::string> GroupCues(const Counts& by_cue) {
  std::map<std::string, std::string> group;
  for (const auto& [cue, n] : by_cue)
    group[cue] = cue;
  for (const auto& [cue, n] : by_cue) {
    std::vector<std::string> longer;
    for (const auto& [other, m] : by_cue) {
      if (IsHeadOf(cue, other) && m >= kMinLongFormLines) longer.push_back(other);
      if (LeadsOf(cue, other)) group[other] = cue;
    }
    if (longer.size() == 1) group[cue] = longer[0];
  }
  for (auto& [cue, target] : group) {
    while (group[target] != target)
      target = group[target];
  }
  return group;
}

Cast BuildCast(const Counts& named_by_raw) {
  Counts by_cue;
  for (const auto& [raw, n] : named_by_raw)
    by_cue[CueOf(raw)] += n;
  const std::map<std::string, std::string> group = GroupCues(by_cue);
  Cast cast;
  Counts lines_by_group;
  for (const auto& [raw, n] : named_by_raw) {
    const std::string& cue = group.at(CueOf(raw));
    cast.cue_of[raw] = cue;
    lines_by_group[cue] += n;
  }
  std::size_t best = 0;
  for (const auto& [cue, n] : lines_by_group) {
    if (n > best) best = n, cast.protagonist = cue;
  }
  return cast;
}

// Counts how often each known name occurs, speech and narration alike.
void CountMentions(const ChapterParagraphs& chapters, const Cast& cast,
                   std::unordered_map<std::string, std::size_t>& by_raw) {
  for (const auto& chapter : chapters) {
    for (std::string_view p : chapter) {
      for (std::size_t i = text::NextCapitalStart(p, 0); i != std::string_view::npos;
           i = text::NextCapitalStart(p, i + 1)) {
        auto m = NameAt(p, i, false);
        if (!m || m->name.empty()) continue;
        if (cast.Knows(m->name)) ++by_raw[m->name];
        i = m->end;
      }
    }
  }
}

// Every paragraph read once (a scene break, or what ReadParagraph found), for both
// passes of AnalyzeCast and, through the reading cache, for the screenplay step.
Status ReadChapters(const ChapterParagraphs& chapters, const AbortCheck& abort, TextReading& out) {
  out.chapters.resize(chapters.size());
  for (std::size_t c = 0; c < chapters.size(); ++c) {
    ChapterReading& chapter = out.chapters[c];
    chapter.scene_break.resize(chapters[c].size());
    chapter.readings.resize(chapters[c].size());
    chapter.speakers.resize(chapters[c].size());
    for (std::size_t p = 0; p < chapters[c].size(); ++p) {
      if (p % 256 == 0 && abort.Stopped()) return Status::Unavailable("aborted");
      if (IsSceneBreak(chapters[c][p])) {
        chapter.scene_break[p] = true;
      } else {
        chapter.readings[p] = ReadParagraph(chapters[c][p], out.style);
      }
    }
  }
  return Status::Ok();
}

// ForEachSpeech over readings made by ReadChapters, with speakers only (no texts);
// each speaker is noted in `read`.
template <typename Fn>
bool ForEachSpeaker(const ChapterParagraphs& chapters, TextReading& read, const Cast* cast,
                    const AbortCheck& abort, Fn&& fn) {
  SpeakerTracker tracker(read.style, cast);
  for (std::size_t c = 0; c < chapters.size(); ++c) {
    tracker.Reset();
    ChapterReading& chapter = read.chapters[c];
    for (std::size_t p = 0; p < chapters[c].size(); ++p) {
      if (p % 256 == 0 && abort.Stopped()) return false;
      if (chapter.scene_break[p]) {
        tracker.Reset();
        continue;
      }
      if (std::optional<Speech> speech = tracker.Follow(chapters[c][p], chapter.readings[p],
                                                        SpeakerTracker::Detail::kSpeakerOnly)) {
        fn(*speech);
        chapter.speakers[p] = std::move(speech->speaker);
      }
    }
  }
  return true;
}

std::vector<Character> Assemble(const Cast& cast, const Counts& lines_by_cue,
                                const std::unordered_map<std::string, std::size_t>& mentions,
                                const Counts& named_by_raw) {
  std::map<std::string, Character> by_cue;
  for (const auto& [cue, n] : lines_by_cue) {
    by_cue[cue].name = cue;
    by_cue[cue].lines = n;
  }
  std::map<std::string, std::vector<std::pair<std::size_t, std::string>>> forms;
  for (const auto& [raw, cue] : cast.cue_of) {
    const auto it = mentions.find(raw);
    const std::size_t m = it == mentions.end() ? named_by_raw.at(raw) : it->second;
    forms[cue].push_back({m, raw});
    if (by_cue.count(cue)) by_cue[cue].mentions += m;
  }
  std::vector<Character> out;
  for (auto& [cue, c] : by_cue) {
    auto& f = forms[cue];
    std::sort(f.begin(), f.end(), [](const auto& a, const auto& b) {
      return a.first != b.first ? a.first > b.first : a.second < b.second;
    });
    for (const auto& [n, raw] : f)
      c.aliases.push_back(raw);
    out.push_back(std::move(c));
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Character& a, const Character& b) { return a.lines > b.lines; });
  return out;
}

}  // namespace

Result<CastAnalysis> AnalyzeCast(const ChapterParagraphs& chapters, const AbortCheck& abort) {
  CastAnalysis out;
  QuoteCensus census;
  for (const auto& chapter : chapters) {
    for (std::string_view p : chapter)
      census.Add(p);
  }
  out.style = census.Style();
  auto read = std::make_shared<TextReading>();
  read->style = out.style;
  if (Status s = ReadChapters(chapters, abort, *read); !s.ok()) return s;
  // First pass: the names speeches are attributed to in their own paragraph. Whether a
  // speech is named (and by what) depends on its paragraph alone, not on the exchange,
  // so no tracker is needed: SpeakerTracker::Follow names a speech exactly when this does.
  Counts named_by_raw;
  for (const ChapterReading& chapter : read->chapters) {
    for (const ParagraphReading& r : chapter.readings) {
      const Attribution& a = r.attribution;
      if (r.HasSpeech() && a.found && a.who.pronoun != lexicon::Pronoun::kI &&
          !a.who.name.empty()) {
        ++named_by_raw[a.who.name];
      }
    }
  }
  out.cast = BuildCast(named_by_raw);
  read->cast = out.cast;
  Counts lines_by_cue;
  const bool second_pass =
      ForEachSpeaker(chapters, *read, &read->cast, abort, [&](const Speech& s) {
        ++lines_by_cue[s.speaker];
        ++out.speeches;
        if (s.named) ++out.named_speeches;
      });
  if (!second_pass) return Status::Unavailable("aborted");
  std::unordered_map<std::string, std::size_t> mentions;
  CountMentions(chapters, out.cast, mentions);
  out.characters = Assemble(out.cast, lines_by_cue, mentions, named_by_raw);
  out.reading = std::move(read);
  return out;
}

}  // namespace forkline
