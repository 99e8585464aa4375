#pragma once
// The `screenplay` step: every scene turned into screenplay elements — action,
// dialogue with its character, parentheticals, transitions (DESIGN §6).

#include <cstddef>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "daemon/novel/abort_check.h"
#include "daemon/novel/characters.h"
#include "daemon/novel/reading_cache.h"
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
// `known`, when not null, is what the characters step read in these very chapters with
// this style and cast (reading_cache.h): the walk then takes each paragraph's quotes,
// attribution and speaker from it instead of reading the text again (same result).
// Returns the step's output JSON (step_json.h, ScreenplayWriter): the scenes' elements
// are written straight into it.
Result<boost::json::object> BuildScreenplay(const ChapterParagraphs& chapters,
                                            const std::vector<Scene>& scenes, QuoteStyle style,
                                            const Cast& cast, const TextReading* known,
                                            const AbortCheck& abort);

}  // namespace forkline
