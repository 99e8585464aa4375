#pragma once
// The `screenplay` step: every scene turned into screenplay elements — action,
// dialogue with its character, parentheticals, transitions (DESIGN §6).

#include <cstddef>
#include <string>
#include <vector>

#include "daemon/novel/abort_check.h"
#include "daemon/novel/characters.h"
#include "daemon/novel/scenes.h"
#include "eventstore/status.h"

namespace forkline {

struct Element {
  std::string type;  // "action" | "dialogue" | "parenthetical" | "transition"
  std::string text;
  std::string character;  // the cue, for dialogue and parenthetical; empty otherwise
};

struct SceneScript {
  std::size_t index = 0;
  std::size_t chapter = 0;
  std::string heading;
  std::vector<Element> elements;
};

// Walks each chapter once with a SpeakerTracker (the same walk the characters step
// counted with, so the counts agree): narration becomes a condensed action block; a
// speech becomes its lead-in action, an optional parenthetical (manner or
// "thinking"), the dialogue, and any narration after it. "CUT TO:" closes every
// chapter but the last, "FADE OUT." the last. `scenes` must be in order and cover
// paragraphs of `chapters` (first_paragraph + paragraphs); others are skipped.
Result<std::vector<SceneScript>> BuildScreenplay(const ChapterParagraphs& chapters,
                                                 const std::vector<Scene>& scenes, QuoteStyle style,
                                                 const Cast& cast, const AbortCheck& abort);

}  // namespace forkline
