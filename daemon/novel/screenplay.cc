#include "daemon/novel/screenplay.h"

#include "daemon/novel/action_text.h"
#include "daemon/novel/chapter_heading.h"
#include "daemon/novel/speaker_tracker.h"

namespace forkline {
namespace {

void AddAction(std::vector<Element>& out, std::string_view narration) {
  std::string action = CondenseAction(narration);
  if (!action.empty()) out.push_back({"action", std::move(action), ""});
}

void AddSpeech(std::vector<Element>& out, Speech&& s) {
  AddAction(out, s.action_before);
  if (!s.text.empty()) {
    const std::string manner = s.thinking ? "thinking" : s.manner;
    if (!manner.empty()) out.push_back({"parenthetical", "(" + manner + ")", s.speaker});
    out.push_back({"dialogue", std::move(s.text), s.speaker});
  }
  AddAction(out, s.action_after);
}

// Index of the scene holding paragraph `p` of chapter `c`, or npos; `from` is where the
// search starts (scenes are in order, so the walk only moves forward).
std::size_t SceneOf(const std::vector<Scene>& scenes, std::size_t c, std::size_t p,
                    std::size_t& from) {
  while (from < scenes.size() && (scenes[from].chapter < c ||
                                  (scenes[from].chapter == c &&
                                   scenes[from].first_paragraph + scenes[from].paragraphs <= p))) {
    ++from;
  }
  if (from < scenes.size() && scenes[from].chapter == c && scenes[from].first_paragraph <= p) {
    return from;
  }
  return std::string::npos;
}

void AddTransitions(std::vector<SceneScript>& scripts) {
  for (std::size_t i = 0; i < scripts.size(); ++i) {
    const bool last = i + 1 == scripts.size();
    if (last) {
      scripts[i].elements.push_back({"transition", "FADE OUT.", ""});
    } else if (scripts[i + 1].chapter != scripts[i].chapter) {
      scripts[i].elements.push_back({"transition", "CUT TO:", ""});
    }
  }
}

}  // namespace

Result<std::vector<SceneScript>> BuildScreenplay(const ChapterParagraphs& chapters,
                                                 const std::vector<Scene>& scenes, QuoteStyle style,
                                                 const Cast& cast, const AbortCheck& abort) {
  std::vector<SceneScript> scripts(scenes.size());
  for (std::size_t i = 0; i < scenes.size(); ++i) {
    scripts[i].index = scenes[i].index;
    scripts[i].chapter = scenes[i].chapter;
    scripts[i].heading = scenes[i].heading;
  }
  SpeakerTracker tracker(style, &cast);
  std::size_t cursor = 0;
  for (std::size_t c = 0; c < chapters.size(); ++c) {
    tracker.Reset();
    for (std::size_t p = 0; p < chapters[c].size(); ++p) {
      if (p % 256 == 0 && abort.Stopped()) return Status::Unavailable("aborted");
      const std::string_view paragraph = chapters[c][p];
      if (IsSceneBreak(paragraph)) {
        tracker.Reset();
        continue;
      }
      std::optional<Speech> speech = tracker.Read(paragraph);
      const std::size_t s = SceneOf(scenes, c, p, cursor);
      if (s == std::string::npos) continue;
      if (speech) {
        AddSpeech(scripts[s].elements, std::move(*speech));
      } else {
        AddAction(scripts[s].elements, paragraph);
      }
    }
  }
  AddTransitions(scripts);
  return scripts;
}

}  // namespace forkline
