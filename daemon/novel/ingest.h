#pragma once
// The `ingest` step: raw input text -> normalised chapters (DESIGN §6).

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/novel/abort_check.h"
#include "daemon/novel/chapters.h"
#include "eventstore/status.h"

namespace forkline {

struct IngestResult {
  std::string title;     // from the Gutenberg header or the front matter; may be empty
  std::string author;    // likewise
  std::string encoding;  // what the input was: "utf-8", "utf-8 (repaired)", "latin-1"
  std::size_t words = 0;
  std::vector<Chapter> chapters;           // at least one
  std::vector<std::size_t> chapter_words;  // words of each chapter, in the same order
};

// Normalises (NormalizeText), strips Project Gutenberg boilerplate, splits paragraphs
// and chapters. BadRequest for input that holds no novel (empty, binary, no words);
// Unavailable("aborted") when `abort` is raised.
Result<IngestResult> Ingest(std::string_view raw, const AbortCheck& abort);

// The canonical text of a chapter: its paragraphs joined by "\n\n".
std::string ChapterText(const Chapter& chapter);

}  // namespace forkline
