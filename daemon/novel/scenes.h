#pragma once
// The `scenes` step: chapters cut into scenes at scene-break lines, at chapter
// boundaries and at strong changes of place or time, each with a guessed location,
// INT./EXT. and DAY/NIGHT.

#include <cstddef>
#include <string>
#include <vector>

#include "daemon/novel/abort_check.h"
#include "daemon/novel/characters.h"
#include "eventstore/status.h"

namespace forkline {

struct Scene {
  std::size_t index = 0;            // in the whole novel, from 0
  std::size_t chapter = 0;          // chapter index, from 0
  std::size_t first_paragraph = 0;  // in the chapter; the scene is a contiguous run
  std::size_t paragraphs = 0;
  std::size_t words = 0;
  std::string setting;   // "INT.", "EXT." or "INT./EXT." when the prose does not say
  std::string location;  // "HALL", "CROQUET-GROUND", or the chapter title
  std::string time;      // "DAY" or "NIGHT"
  std::string heading;   // "INT. HALL - DAY"
};

// A new scene starts after a scene-break line, with a paragraph that opens with a jump
// in time ("The next morning"), or with one that moves somewhere new ("found herself
// in a long, low hall") once the current scene has a few paragraphs. The location is
// the place most often named after "in/into/at/…" in the scene; without one it is
// inherited from the scene before in the chapter, else taken from the chapter title.
// DAY/NIGHT likewise, by counting day and night words (default DAY).
Result<std::vector<Scene>> SplitScenes(const ChapterParagraphs& chapters,
                                       const std::vector<std::string>& chapter_titles,
                                       const AbortCheck& abort);

}  // namespace forkline
