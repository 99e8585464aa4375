#pragma once
// Small byte-level helpers shared by the novel steps. Text is UTF-8; bytes >= 0x80 count
// as letters (parts of non-ASCII letters), so words in any script stay whole.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace forkline::text {

inline bool IsUpper(char c) {
  return c >= 'A' && c <= 'Z';
}
inline bool IsLower(char c) {
  return c >= 'a' && c <= 'z';
}
inline bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}
inline bool IsHigh(char c) {
  return static_cast<unsigned char>(c) >= 0x80;
}
inline bool IsLetter(char c) {
  return IsUpper(c) || IsLower(c) || IsHigh(c);
}
inline bool IsAlnum(char c) {
  return IsLetter(c) || IsDigit(c);
}
inline bool IsSpace(char c) {
  return c == ' ' || c == '\n' || c == '\t' || c == '\r';
}
inline char ToLower(char c) {
  return IsUpper(c) ? static_cast<char>(c - 'A' + 'a') : c;
}
inline char ToUpper(char c) {
  return IsLower(c) ? static_cast<char>(c - 'a' + 'A') : c;
}

std::string_view Trim(std::string_view s);
std::string Upper(std::string_view s);
std::string Lower(std::string_view s);
bool EqualsNoCase(std::string_view a, std::string_view b);
bool StartsWith(std::string_view s, std::string_view prefix);
bool EndsWith(std::string_view s, std::string_view suffix);

// Number of words: maximal runs of non-space bytes holding at least one letter or digit.
std::size_t CountWords(std::string_view s);

// A word of the text: a run of letters, digits, apostrophes inside words and hyphens
// inside words ("Rabbit-Hole", "don't"); `begin`/`end` are offsets into the text.
struct Word {
  std::string_view text;
  std::size_t begin = 0;
  std::size_t end = 0;
};
// The next word starting at or after `pos`, or an empty word (text.empty()) at the end.
Word NextWord(std::string_view s, std::size_t pos);
// Every word of `s`, in order.
std::vector<Word> Words(std::string_view s);

// Splits canonical chapter text (paragraphs separated by "\n\n") into paragraphs.
std::vector<std::string_view> SplitOnBlankLines(std::string_view s);

}  // namespace forkline::text
