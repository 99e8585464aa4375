#include "daemon/novel/screenplay.h"

#include "daemon/novel/action_text.h"
#include "daemon/novel/chapter_heading.h"
#include "daemon/novel/speaker_tracker.h"
#include "daemon/novel/step_json.h"

namespace forkline {
namespace {

// Reused buffers keep at most this much memory between paragraphs.
constexpr std::size_t kMaxKeptBuffer = 1 << 20;

// Writes the scenes in order: a scene is begun when its first paragraph (or a later
// scene's) comes, and closed with its transition when the next one begins.
class SceneSequence {
 public:
  SceneSequence(const std::vector<Scene>& scenes, ScreenplayWriter& out)
      : scenes_(scenes), out_(out) {}

  // Makes scene `s` the open one; the scenes before it are written (empty when no
  // paragraph of theirs came).
  void OpenUpTo(std::size_t s) {
    while (next_ <= s) {
      CloseOpen();
      out_.BeginScene(scenes_[next_].index, scenes_[next_].chapter, scenes_[next_].heading);
      open_ = next_++;
    }
  }
  // Writes the scenes still to come, then closes the last.
  void Finish() {
    if (!scenes_.empty()) OpenUpTo(scenes_.size() - 1);
    CloseOpen();
  }

 private:
  void CloseOpen() {
    if (open_ == kNone) return;
    if (open_ + 1 == scenes_.size()) {
      out_.Add("transition", "FADE OUT.", "");
    } else if (scenes_[open_ + 1].chapter != scenes_[open_].chapter) {
      out_.Add("transition", "CUT TO:", "");
    }
    out_.EndScene();
    open_ = kNone;
  }

  static constexpr std::size_t kNone = static_cast<std::size_t>(-1);
  const std::vector<Scene>& scenes_;
  ScreenplayWriter& out_;
  std::size_t next_ = 0;      // the next scene to begin
  std::size_t open_ = kNone;  // the scene being written
};

void AddAction(ScreenplayWriter& out, std::string_view narration) {
  thread_local std::string action;  // reused: this runs for every paragraph of narration
  CondenseAction(narration, action);
  if (!action.empty()) out.Add("action", action, "");
  if (action.capacity() > kMaxKeptBuffer) std::string().swap(action);  // a rare giant
}

void AddSpeech(ScreenplayWriter& out, const Speech& s) {
  AddAction(out, s.action_before);
  if (!s.text.empty()) {
    const std::string_view manner = s.thinking ? std::string_view("thinking") : s.manner;
    if (!manner.empty()) {
      thread_local std::string parenthetical;
      parenthetical.assign(1, '(');
      parenthetical.append(manner);
      parenthetical.push_back(')');
      out.Add("parenthetical", parenthetical, s.speaker);
    }
    out.Add("dialogue", s.text, s.speaker);
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

// The speech of each paragraph from what the characters step read (`known`).
Status WalkKnown(const ChapterParagraphs& chapters, const std::vector<Scene>& scenes,
                 const TextReading& known, const AbortCheck& abort, SceneSequence& sequence,
                 ScreenplayWriter& out) {
  std::size_t cursor = 0;
  Speech speech;  // reused: its strings keep their memory
  for (std::size_t c = 0; c < chapters.size(); ++c) {
    const ChapterReading& read = known.chapters[c];
    for (std::size_t p = 0; p < chapters[c].size(); ++p) {
      if (p % 256 == 0 && abort.Stopped()) return Status::Unavailable("aborted");
      if (read.scene_break[p]) continue;
      const std::size_t s = SceneOf(scenes, c, p, cursor);
      if (s == std::string::npos) continue;
      sequence.OpenUpTo(s);
      const ParagraphReading& reading = read.readings[p];
      if (!reading.HasSpeech()) {
        AddAction(out, chapters[c][p]);
        continue;
      }
      speech.speaker = read.speakers[p];
      speech.text.clear();
      speech.action_before.clear();
      speech.action_after.clear();
      FillSpeechTexts(chapters[c][p], reading, speech);
      AddSpeech(out, speech);
    }
  }
  return Status::Ok();
}

// Reads every paragraph with a SpeakerTracker.
Status WalkText(const ChapterParagraphs& chapters, const std::vector<Scene>& scenes,
                QuoteStyle style, const Cast& cast, const AbortCheck& abort,
                SceneSequence& sequence, ScreenplayWriter& out) {
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
      sequence.OpenUpTo(s);
      if (speech) {
        AddSpeech(out, *speech);
      } else {
        AddAction(out, paragraph);
      }
    }
  }
  return Status::Ok();
}

// `known` fits `chapters` paragraph for paragraph.
bool Fits(const TextReading& known, const ChapterParagraphs& chapters) {
  if (known.chapters.size() != chapters.size()) return false;
  for (std::size_t c = 0; c < chapters.size(); ++c) {
    const ChapterReading& read = known.chapters[c];
    const std::size_t n = chapters[c].size();
    if (read.scene_break.size() != n || read.readings.size() != n || read.speakers.size() != n) {
      return false;
    }
  }
  return true;
}

}  // namespace

Result<boost::json::object> BuildScreenplay(const ChapterParagraphs& chapters,
                                            const std::vector<Scene>& scenes, QuoteStyle style,
                                            const Cast& cast, const TextReading* known,
                                            const AbortCheck& abort) {
  ScreenplayWriter out;
  SceneSequence sequence(scenes, out);
  const Status walked = known != nullptr && Fits(*known, chapters)
                            ? WalkKnown(chapters, scenes, *known, abort, sequence, out)
                            : WalkText(chapters, scenes, style, cast, abort, sequence, out);
  if (!walked.ok()) return walked;
  sequence.Finish();
  return out.Finish();
}

}  // namespace forkline
