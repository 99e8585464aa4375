#pragma once
// Recognises the lines that structure a novel: chapter headings and scene breaks.

#include <optional>
#include <string>
#include <string_view>

namespace forkline {

struct Heading {
  std::string label;     // "CHAPTER I", "Chapter 12", "BOOK ONE", "IV", "PROLOGUE"
  int number = 0;        // 0 when the heading has none (PROLOGUE)
  std::string title;     // "Down the Rabbit-Hole", or empty
  bool keyword = false;  // starts with CHAPTER/BOOK/PART/…; false for a bare numeral
};

// A heading line: `CHAPTER I.`, `CHAPTER I. Down the Rabbit-Hole`, `Chapter 12`,
// `Chapter 3: Title`, `BOOK ONE`, `PART II`, `PROLOGUE`, or a bare numeral heading
// (`IV.`, `XII. THE FINAL PROBLEM`, `12.`). Roman, arabic and spelled-out numbers.
// Sentences that merely start with "Chapter" are not headings.
std::optional<Heading> ParseHeading(std::string_view line);

// A scene-break line: `* * *`, a row of asterisks, `#`, `***`, `~ ~ ~`, `---`, `§`.
bool IsSceneBreak(std::string_view line);

}  // namespace forkline
