#pragma once
// What the characters step read in a novel, kept for the screenplay step of the same
// text: each paragraph's quotes and attribution (ReadParagraph) and who speaks in it
// (the SpeakerTracker walk with the final cast). Each step of a run is separate (its
// input arrives as JSON), so without this the screenplay step reads the whole text
// again to arrive at the same answers.
//
// Keyed by content, never by identity: an entry is used only for chapter texts that are
// byte for byte the ones it was made from, with the same quote style and the same cast
// (cue map and protagonist). Both walks are pure functions of those, so a step that
// finds an entry produces exactly what it would have produced without one; a step that
// finds none reads the text itself. Process-wide and thread-safe. An entry costs about
// three times its text in memory; the cache holds at most kReadingCacheEntries entries
// and kReadingCacheBytes of text (the oldest are dropped), and the screenplay step takes
// the entry it uses out of the cache, so memory is held only between the two steps.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/novel/quotes.h"
#include "daemon/novel/speaker_tracker.h"

namespace forkline {

inline constexpr std::size_t kReadingCacheEntries = 2;
inline constexpr std::size_t kReadingCacheBytes = 64u << 20;  // the largest novel ingest takes

// One chapter, paragraph by paragraph (the paragraphs of text::SplitOnBlankLines).
struct ChapterReading {
  std::vector<bool> scene_break;
  std::vector<ParagraphReading> readings;  // default (no speech) for scene breaks
  std::vector<std::string> speakers;       // the cue of each paragraph's speech, or empty
};

struct TextReading {
  QuoteStyle style = QuoteStyle::kDouble;
  Cast cast;
  std::vector<ChapterReading> chapters;
};

// Keeps `reading`, made of the chapter texts `texts` (copied into the entry); texts
// larger than kReadingCacheBytes are not kept.
void PutTextReading(const std::vector<std::string_view>& texts,
                    std::shared_ptr<const TextReading> reading);

// The reading made of exactly `texts` with `style` and `cast`, taken out of the cache;
// null when there is none.
std::shared_ptr<const TextReading> TakeTextReading(const std::vector<std::string_view>& texts,
                                                   QuoteStyle style, const Cast& cast);

// Empties the cache (tests).
void ClearTextReadings();

}  // namespace forkline
