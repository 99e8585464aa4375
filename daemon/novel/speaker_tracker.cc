#include "daemon/novel/speaker_tracker.h"

#include <array>

#include "daemon/novel/attribution.h"
#include "daemon/novel/names.h"
#include "daemon/novel/text_util.h"

namespace forkline {
namespace {

constexpr std::size_t kRecentSpeakers = 6;
constexpr std::size_t kMinActionWords = 3;
constexpr std::size_t kMaxKeptBuffer = 1 << 20;  // what a reused buffer may keep

// +1 for a cue that names a man, -1 for a woman, 0 when the words do not say.
int LexicalGender(std::string_view cue) {
  static constexpr std::array<std::string_view, 16> kFemale = {
      "QUEEN", "DUCHESS", "MRS.",     "MISS",   "LADY",     "MOTHER", "SISTER", "AUNT",
      "GIRL",  "WOMAN",   "PRINCESS", "MADAME", "COUNTESS", "MS.",    "MME.",   "DAME"};
  static constexpr std::array<std::string_view, 14> kMale = {
      "KING",    "DUKE", "MR.", "SIR",    "LORD",  "FATHER", "UNCLE",
      "BROTHER", "BOY",  "MAN", "PRINCE", "KNAVE", "COUNT",  "MONSIEUR"};
  for (text::Word w = text::NextWord(cue, 0); !w.text.empty(); w = text::NextWord(cue, w.end)) {
    std::string_view word = w.text;
    if (w.end < cue.size() && cue[w.end] == '.') word = cue.substr(w.begin, w.end - w.begin + 1);
    for (std::string_view f : kFemale) {
      if (word == f) return -1;
    }
    for (std::string_view m : kMale) {
      if (word == m) return 1;
    }
  }
  return 0;
}

int GenderOfPronoun(lexicon::Pronoun p) {
  return p == lexicon::Pronoun::kHe ? 1 : (p == lexicon::Pronoun::kShe ? -1 : 0);
}

// Narration minus [cut_begin, cut_end), kept when it still says something; written into
// `out` (its memory reused from call to call).
std::string_view Leftover(std::string_view s, std::size_t cut_begin, std::size_t cut_end,
                          std::string& out) {
  out.assign(text::Trim(s.substr(0, cut_begin)));
  const std::string_view rest = s.substr(std::min(cut_end, s.size()));
  std::string_view tail = rest;
  while (!tail.empty() && !text::IsAlnum(tail[0]) && tail[0] != '(')
    tail.remove_prefix(1);
  if (!tail.empty()) {
    if (!out.empty()) out.push_back(' ');
    out.append(text::Trim(tail));
  }
  while (!out.empty() && (out.back() == ',' || out.back() == ' ' || out.back() == '-')) {
    out.pop_back();
  }
  return text::HasWords(out, kMinActionWords) ? std::string_view(out) : std::string_view();
}

void AppendSentence(std::string& to, std::string_view s) {
  if (s.empty()) return;
  if (!to.empty()) to.push_back(' ');
  to.append(s);
}

}  // namespace

std::string Cast::CueFor(const std::string& name) const {
  const auto it = cue_of.find(name);
  return it == cue_of.end() ? CueOf(name) : it->second;
}

SpeakerTracker::SpeakerTracker(QuoteStyle style, const Cast* cast) : style_(style), cast_(cast) {
  if (cast_ == nullptr) return;
  for (const auto& [name, cue] : cast_->cue_of)
    cast_starts_.Add(name);
}

void SpeakerTracker::Reset() {
  recent_speakers_.clear();
  addressee_.clear();
  last_mention_.clear();
  last_open_ = false;
}

int SpeakerTracker::GenderOf(const std::string& cue) const {
  if (const int g = LexicalGender(cue)) return g;
  const auto it = gender_votes_.find(cue);
  if (it == gender_votes_.end() || it->second == 0) return 0;
  return it->second > 0 ? 1 : -1;
}

void SpeakerTracker::NoteGender(const std::string& cue, std::string_view after) {
  if (const int g = GenderOfPronoun(FirstGenderedPronoun(after))) gender_votes_[cue] += g;
}

void SpeakerTracker::NoteMentions(std::string_view narration) {
  if (cast_ == nullptr) return;
  for (std::size_t i = text::NextCapitalStart(narration, 0); i != std::string_view::npos;
       i = text::NextCapitalStart(narration, i + 1)) {
    if (!cast_starts_.MayStartAt(narration, i)) continue;  // no name of the cast starts here
    std::size_t from = i;
    if (i >= 4 && narration.substr(i - 4, 4) == "the ") from = i - 4;
    if (auto m = NameAt(narration, from, false); m && !m->name.empty() && cast_->Knows(m->name)) {
      last_mention_ = cast_->CueFor(m->name);
      i = m->end;
    }
  }
}

std::string SpeakerTracker::ResolvePronoun(lexicon::Pronoun p, std::string_view lead_in) const {
  const int want = GenderOfPronoun(p);
  if (auto subject = LastSentenceSubject(lead_in);
      subject && !subject->name.empty() && cast_ != nullptr && cast_->Knows(subject->name)) {
    const std::string cue = cast_->CueFor(subject->name);
    if (want == 0 || GenderOf(cue) != -want) return cue;
  }
  for (int pass = 0; pass < 2; ++pass) {
    for (auto it = recent_speakers_.rbegin(); it != recent_speakers_.rend(); ++it) {
      const int g = GenderOf(*it);
      if (pass == 0 ? (want != 0 && g == want) : (g != -want || want == 0)) return *it;
    }
  }
  if (!last_mention_.empty()) return last_mention_;
  if (cast_ != nullptr && !cast_->protagonist.empty()) return cast_->protagonist;
  return std::string(kUnknownCue);
}

std::string SpeakerTracker::GuessUnattributed(std::string_view lead_in) const {
  const std::string last = recent_speakers_.empty() ? "" : recent_speakers_.back();
  if (auto subject = LastSentenceSubject(lead_in); subject && cast_ != nullptr) {
    if (subject->pronoun != lexicon::Pronoun::kNone &&
        subject->pronoun != lexicon::Pronoun::kThey) {
      return ResolvePronoun(subject->pronoun, {});
    }
    if (cast_->Knows(subject->name)) return cast_->CueFor(subject->name);
  }
  if (!addressee_.empty() && addressee_ != last) return addressee_;
  if (recent_speakers_.size() >= 2) return recent_speakers_[recent_speakers_.size() - 2];
  if (!last_mention_.empty() && last_mention_ != last) return last_mention_;
  if (cast_ != nullptr && !cast_->protagonist.empty() && cast_->protagonist != last) {
    return cast_->protagonist;
  }
  return std::string(kUnknownCue);
}

void SpeakerTracker::Remember(const std::string& cue, const std::string& addressee) {
  if (recent_speakers_.empty() || recent_speakers_.back() != cue) {
    recent_speakers_.push_back(cue);
    if (recent_speakers_.size() > kRecentSpeakers) recent_speakers_.erase(recent_speakers_.begin());
  }
  addressee_ = addressee.empty() || cast_ == nullptr ? "" : cast_->CueFor(addressee);
  if (addressee_ == cue) addressee_.clear();
}

ParagraphReading ReadParagraph(std::string_view p, QuoteStyle style) {
  ParagraphReading r;
  r.segments = SplitQuotes(p, style);
  const std::vector<QuoteSegment>& segs = r.segments;
  while (r.first_speech < segs.size() && !segs[r.first_speech].speech)
    ++r.first_speech;
  r.attribution_segment = segs.size();
  if (!r.HasSpeech()) return r;
  auto piece = [&](const QuoteSegment& s) { return p.substr(s.begin, s.end - s.begin); };
  Attribution& a = r.attribution;
  for (std::size_t i = r.first_speech + 1; i < segs.size() && !a.found; ++i) {
    if (!segs[i].speech && segs[i - 1].speech) {
      a = FindAttribution(piece(segs[i]), FragmentPlace::kAfterSpeech);
      r.attribution_segment = i;
    }
  }
  if (!a.found && r.first_speech > 0) {
    a = FindAttribution(piece(segs[r.first_speech - 1]), FragmentPlace::kBeforeSpeech);
    r.attribution_segment = r.first_speech - 1;
  }
  if (!a.found) r.attribution_segment = segs.size();
  return r;
}

void FillSpeechTexts(std::string_view p, const ParagraphReading& r, Speech& sp) {
  const std::vector<QuoteSegment>& segs = r.segments;
  const Attribution& a = r.attribution;
  sp.thinking = a.thinking;
  sp.manner = a.manner;
  auto piece = [&](const QuoteSegment& s) { return p.substr(s.begin, s.end - s.begin); };
  for (std::size_t i = 0; i < segs.size(); ++i) {
    if (segs[i].speech) {
      AppendSentence(sp.text, text::Trim(piece(segs[i])));
      continue;
    }
    const std::string_view raw = piece(segs[i]);
    thread_local std::string buffer;  // this runs for every piece of narration
    const std::string_view left = i == r.attribution_segment
                                      ? Leftover(raw, a.clause_begin, a.clause_end, buffer)
                                      : Leftover(raw, raw.size(), raw.size(), buffer);
    AppendSentence(i < r.first_speech ? sp.action_before : sp.action_after, left);
    if (buffer.capacity() > kMaxKeptBuffer) std::string().swap(buffer);  // a rare giant
  }
}

std::optional<Speech> SpeakerTracker::Read(std::string_view p) {
  return Follow(p, ReadParagraph(p, style_), Detail::kFull);
}

std::optional<Speech> SpeakerTracker::Follow(std::string_view p, const ParagraphReading& r,
                                             Detail detail) {
  const std::vector<QuoteSegment>& segs = r.segments;
  const std::size_t first = r.first_speech;
  if (!r.HasSpeech()) {
    NoteMentions(p);
    last_open_ = false;
    return std::nullopt;
  }
  auto piece = [&](const QuoteSegment& s) { return p.substr(s.begin, s.end - s.begin); };
  const std::string_view lead = first > 0 ? piece(segs[first - 1]) : std::string_view();
  const Attribution& a = r.attribution;
  const std::size_t a_seg = r.attribution_segment;
  Speech sp;
  const bool continues = last_open_ && StartsWithQuote(p, style_) && !recent_speakers_.empty();
  NoteMentions(lead);
  if (a.found && a.who.pronoun == lexicon::Pronoun::kI) {
    sp.speaker = std::string(kNarratorCue);
  } else if (a.found && !a.who.name.empty()) {
    sp.raw_name = a.who.name;
    sp.speaker = cast_ != nullptr ? cast_->CueFor(a.who.name) : CueOf(a.who.name);
    sp.named = true;
  } else if (a.found && a.who.pronoun != lexicon::Pronoun::kThey) {
    sp.speaker = ResolvePronoun(a.who.pronoun, lead);
  } else if (continues) {
    sp.speaker = recent_speakers_.back();
  } else {
    sp.speaker = GuessUnattributed(lead);
  }
  if (detail == Detail::kFull) {
    FillSpeechTexts(p, r, sp);
  } else {
    sp.thinking = a.thinking;
    sp.manner = a.manner;
  }
  if (a_seg < segs.size() && sp.named)
    NoteGender(sp.speaker, piece(segs[a_seg]).substr(a.clause_end));
  Remember(sp.speaker, a.addressee);
  last_open_ = segs.back().speech && segs.back().open;
  return sp;
}

}  // namespace forkline
