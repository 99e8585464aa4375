#pragma once
// Reading a character's name out of narration: "Alice", "the White Rabbit",
// "Mrs. Bennet", "the Queen of Hearts", "he", "the youth".

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>

#include "daemon/novel/speech_lexicon.h"

namespace forkline {

struct NameMatch {
  std::string name;  // display form without the article: "White Rabbit", "Mrs. Bennet"
  lexicon::Pronoun pronoun = lexicon::Pronoun::kNone;  // set instead of `name` for he/she/I/it
  bool common = false;    // a lower-case noun phrase: "the youth", "his father"
  std::size_t begin = 0;  // offsets of the match in the text
  std::size_t end = 0;
};

// The name (or pronoun) starting at the word at `pos` (leading spaces skipped):
//  * [the] Capitalised Words, with titles ("Mr.") and one "of" ("Queen of Hearts");
//  * a pronoun: he, she, it, I, they;
//  * with `allow_common`, the/his/her + up to three lower-case words ending at
//    punctuation or a preposition ("said the youth, …").
// nullopt when the text there is no name (a stop word such as "Then", or a verb).
std::optional<NameMatch> NameAt(std::string_view text, std::size_t pos, bool allow_common);

// The first words of a set of names ("White Rabbit" -> "White", "Mrs. Bennet" -> "Mrs").
// A name that NameAt reads at a capitalised word starts with that word, or with the one
// after a leading "The": when neither is listed here, the name is none of the set.
// Holds views into the names it was given: they must outlive it.
class NameStarts {
 public:
  void Add(std::string_view name);
  // False when no name of the set can be read at text[pos] (an upper-case letter).
  bool MayStartAt(std::string_view text, std::size_t pos) const;

 private:
  std::unordered_set<std::string_view> words_;
};

// The cue form of a name: upper case, single spaces ("White Rabbit" -> "WHITE RABBIT").
std::string CueOf(std::string_view name);

}  // namespace forkline
