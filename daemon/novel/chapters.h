#pragma once
// Splits a novel's paragraphs into chapters, and guesses title and author from the
// front matter (the paragraphs before the first heading).

#include <string>
#include <vector>

namespace forkline {

struct Chapter {
  std::string heading;  // "CHAPTER I", or empty for a text without headings
  int number = 0;       // from the heading; 0 when it has none
  std::string title;    // "Down the Rabbit-Hole"; the heading when there is no title
  std::vector<std::string> paragraphs;
};

struct Book {
  std::string title;              // guessed from the front matter, or empty
  std::string author;             // guessed ("by X", or a name line under the title), or empty
  std::vector<Chapter> chapters;  // never empty when there are paragraphs
};

// Keyword headings (CHAPTER, BOOK, PART, …) win; bare numeral headings count only when
// there are at least two of them and no keyword ones. A heading with no body (a table
// of contents, BOOK ONE right above CHAPTER I) starts no chapter. A heading without a
// title takes the short line under it as its title. No headings: one chapter, the
// whole text. A closing "THE END" is dropped.
Book SplitChapters(std::vector<std::string> paragraphs);

}  // namespace forkline
