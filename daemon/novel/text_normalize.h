#pragma once
// Text normalisation for the `ingest` step (DESIGN §6): every later step sees UTF-8 with
// "\n" line ends, straight quotes and no Project Gutenberg licence around the novel.

#include <string>
#include <string_view>

#include "eventstore/status.h"

namespace forkline {

// Largest text the novel steps accept (bytes). Larger -> BadRequest.
inline constexpr std::size_t kMaxNovelBytes = 64u << 20;

struct NormalizedText {
  std::string text;
  std::string encoding;  // "utf-8", "utf-8 (repaired)" or "latin-1" (what the input was)
};

// Validates and normalises raw input text:
//  * BadRequest for an empty/blank text, a text over kMaxNovelBytes, or binary data
//    (NUL bytes or many control characters);
//  * valid UTF-8 is kept; invalid sequences in a mostly-UTF-8 text become U+FFFD, and a
//    text with no valid multi-byte sequence at all is read as Latin-1;
//  * BOM dropped, CR LF / CR / form feed -> "\n", tabs and no-break spaces -> " ",
//    curly double quotes (and « ») -> '"', curly single quotes -> '\''.
Result<NormalizedText> NormalizeText(std::string_view raw);

// What a Project Gutenberg header says, and the novel between its START/END markers.
struct GutenbergParts {
  std::string_view body;  // the whole text when there are no markers
  std::string title;      // "Title:" line of the header, or empty
  std::string author;     // "Author:" line of the header, or empty
};
GutenbergParts StripGutenberg(std::string_view text);

}  // namespace forkline
