#pragma once
// Paragraphs of a novel: hard-wrapped lines joined, indentation removed, headings and
// scene breaks on their own. The canonical chapter text of `ingest` is these
// paragraphs joined by "\n\n", one paragraph a line.

#include <string>
#include <string_view>
#include <vector>

#include "daemon/novel/abort_check.h"
#include "eventstore/status.h"

namespace forkline {

// Paragraphs end at blank lines; in a text that separates paragraphs by indentation
// instead (few blank lines, many indented lines), an indented line starts one. A
// heading line or a scene-break line is always a paragraph of its own; a short line
// right under a heading ("CHAPTER I" / "Down the Rabbit-Hole") is joined to it as its
// title. Runs of spaces collapse to one; "well-\nknown" joins to "well-known".
// Unavailable("aborted") when `abort` is raised.
Result<std::vector<std::string>> SplitParagraphs(std::string_view text, const AbortCheck& abort);

}  // namespace forkline
