#include "daemon/novel/scenes.h"

#include <map>

#include "daemon/novel/chapter_heading.h"
#include "daemon/novel/places.h"
#include "daemon/novel/text_util.h"

namespace forkline {
namespace {

constexpr std::size_t kMinSceneParagraphs = 4;
constexpr std::size_t kPrepositionReach = 4;  // "into a long, low hall"
constexpr std::size_t kMotionReach = 6;
constexpr std::size_t kMaxTitleLocationWords = 5;

struct PlaceHit {
  std::string noun;  // lower case, as written: "croquet-ground"
  places::Setting setting = places::Setting::kNone;
  bool moved = false;  // a motion verb leads to it: "found herself in"
};

// Place nouns named after a preposition, and the daylight words, of one paragraph.
struct ParagraphPlaces {
  std::vector<PlaceHit> places;
  int daylight = 0;  // day words minus night words
};

ParagraphPlaces ReadPlaces(std::string_view p) {
  ParagraphPlaces out;
  std::size_t last_motion = kMotionReach + 1;
  std::size_t last_preposition = kPrepositionReach + 1;
  char buffer[24];
  const places::RoleFilter filter;
  text::WordScanner words(p);
  for (text::Word w = words.Next(); !w.text.empty(); w = words.Next()) {
    ++last_motion, ++last_preposition;
    if (!filter.MayHaveRole(w.text)) continue;  // most words: no need to lower them
    for (std::size_t i = 0; i < w.text.size(); ++i)
      buffer[i] = text::ToLower(w.text[i]);
    const std::string_view lower(buffer, w.text.size());
    const places::WordRole* role = places::RoleOf(lower);
    if (role == nullptr) continue;
    if (role->motion) last_motion = 0;
    if (role->preposition) {
      last_preposition = 0;
      continue;
    }
    if (role->daylight != places::Daylight::kNone) {
      out.daylight += role->daylight == places::Daylight::kDay ? 1 : -1;
    }
    if (last_preposition <= kPrepositionReach && role->setting != places::Setting::kNone) {
      out.places.push_back({std::string(lower), role->setting, last_motion <= kMotionReach});
    }
  }
  return out;
}

struct SceneDraft {
  std::size_t first = 0;
  std::size_t count = 0;
  std::size_t words = 0;
  std::map<std::string, std::pair<int, places::Setting>> votes;  // noun -> (score, setting)
  std::string first_place;
  int daylight = 0;
};

void AddParagraph(SceneDraft& d, std::string_view p, const ParagraphPlaces& pp) {
  ++d.count;
  d.words += text::CountWords(p);
  d.daylight += pp.daylight;
  for (const PlaceHit& h : pp.places) {
    auto& v = d.votes[h.noun];
    v.first += h.moved ? 3 : 1;
    v.second = h.setting;
    if (d.first_place.empty()) d.first_place = h.noun;
  }
}

// The paragraph moves the story to a place other than where the scene is.
bool MovesElsewhere(const SceneDraft& d, const ParagraphPlaces& pp) {
  if (d.count < kMinSceneParagraphs) return false;
  for (const PlaceHit& h : pp.places) {
    if (h.moved && h.noun != d.first_place && d.votes.count(h.noun) == 0) return true;
  }
  return false;
}

std::string TitleLocation(const std::string& title) {
  std::string loc;
  std::size_t words = 0;
  for (const text::Word& w : text::Words(title)) {
    if (++words > kMaxTitleLocationWords) break;
    if (!loc.empty()) loc.push_back(' ');
    loc += text::Upper(w.text);
  }
  return loc.empty() ? "UNKNOWN" : loc;
}

void Finish(const SceneDraft& d, std::size_t chapter, const std::string& chapter_title,
            const Scene* before, std::vector<Scene>& out) {
  Scene s;
  s.index = out.size();
  s.chapter = chapter;
  s.first_paragraph = d.first;
  s.paragraphs = d.count;
  s.words = d.words;
  int best = 0;
  places::Setting setting = places::Setting::kNone;
  for (const auto& [noun, v] : d.votes) {
    if (v.first > best) best = v.first, s.location = text::Upper(noun), setting = v.second;
  }
  if (s.location.empty() && before != nullptr) {
    s.location = before->location;
    s.setting = before->setting;
  } else if (s.location.empty()) {
    s.location = TitleLocation(chapter_title);
    s.setting = "INT./EXT.";
  } else {
    s.setting = setting == places::Setting::kInterior ? "INT." : "EXT.";
  }
  if (d.daylight != 0 || before == nullptr) {
    s.time = d.daylight < 0 ? "NIGHT" : "DAY";
  } else {
    s.time = before->time;
  }
  s.heading = s.setting + " " + s.location + " - " + s.time;
  out.push_back(std::move(s));
}

}  // namespace

Result<std::vector<Scene>> SplitScenes(const ChapterParagraphs& chapters,
                                       const std::vector<std::string>& chapter_titles,
                                       const AbortCheck& abort) {
  std::vector<Scene> out;
  for (std::size_t c = 0; c < chapters.size(); ++c) {
    const std::string& title = c < chapter_titles.size() ? chapter_titles[c] : std::string();
    const std::size_t chapter_start = out.size();
    SceneDraft draft;
    auto close = [&](std::size_t next_first) {
      if (draft.count > 0) {
        Finish(draft, c, title, out.size() > chapter_start ? &out.back() : nullptr, out);
      }
      draft = SceneDraft();
      draft.first = next_first;
    };
    const auto& paragraphs = chapters[c];
    for (std::size_t p = 0; p < paragraphs.size(); ++p) {
      if (p % 256 == 0 && abort.Stopped()) return Status::Unavailable("aborted");
      if (IsSceneBreak(paragraphs[p])) {
        close(p + 1);
        continue;
      }
      const ParagraphPlaces pp = ReadPlaces(paragraphs[p]);
      const bool jump =
          draft.count >= kMinSceneParagraphs && places::OpensWithTimeJump(paragraphs[p]);
      if (jump || MovesElsewhere(draft, pp)) close(p);
      AddParagraph(draft, paragraphs[p], pp);
    }
    close(paragraphs.size());
  }
  return out;
}

}  // namespace forkline
