#pragma once
// The `characters` step: who speaks, how often, how often they are named, and under
// which names (aliases merged: "Rabbit" and "White Rabbit" are one WHITE RABBIT).

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/novel/abort_check.h"
#include "daemon/novel/quotes.h"
#include "daemon/novel/reading_cache.h"
#include "daemon/novel/speaker_tracker.h"
#include "eventstore/status.h"

namespace forkline {

// A novel's paragraphs, chapter by chapter (views into the ingest output).
using ChapterParagraphs = std::vector<std::vector<std::string_view>>;

struct Character {
  std::string name;                  // the cue: "ALICE", "WHITE RABBIT", "MRS. BENNET"
  std::size_t lines = 0;             // speeches attributed to the character
  std::size_t mentions = 0;          // times any of its names occurs in the text
  std::vector<std::string> aliases;  // forms in the text, most frequent first
};

struct CastAnalysis {
  QuoteStyle style = QuoteStyle::kDouble;
  std::vector<Character> characters;  // most lines first, then by name
  Cast cast;                          // the name -> cue map the counts were made with
  std::size_t speeches = 0;
  std::size_t named_speeches = 0;  // attributed by name in their own paragraph
  // Every paragraph as the analysis read it, with its speaker (for the reading cache).
  std::shared_ptr<const TextReading> reading;
};

// Two passes over the text: explicit attributions first (they decide the cast, its
// aliases and the protagonist), then every speech with SpeakerTracker.
// Unavailable("aborted") when `abort` is raised.
Result<CastAnalysis> AnalyzeCast(const ChapterParagraphs& chapters, const AbortCheck& abort);

// Walks every paragraph of every chapter with a tracker the way the screenplay does
// (a new exchange at each chapter and scene break), calling `fn(chapter, paragraph,
// speech)` for each speech. False when aborted.
template <typename Fn>
bool ForEachSpeech(const ChapterParagraphs& chapters, QuoteStyle style, const Cast* cast,
                   const AbortCheck& abort, Fn&& fn);

}  // namespace forkline

#include "daemon/novel/chapter_heading.h"

namespace forkline {

template <typename Fn>
bool ForEachSpeech(const ChapterParagraphs& chapters, QuoteStyle style, const Cast* cast,
                   const AbortCheck& abort, Fn&& fn) {
  SpeakerTracker tracker(style, cast);
  for (std::size_t c = 0; c < chapters.size(); ++c) {
    tracker.Reset();
    for (std::size_t p = 0; p < chapters[c].size(); ++p) {
      if (p % 256 == 0 && abort.Stopped()) return false;
      if (IsSceneBreak(chapters[c][p])) {
        tracker.Reset();
        continue;
      }
      if (std::optional<Speech> speech = tracker.Read(chapters[c][p])) fn(c, p, *speech);
    }
  }
  return true;
}

}  // namespace forkline
