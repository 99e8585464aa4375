#pragma once
// Small byte-level helpers shared by the novel steps. Text is UTF-8; bytes >= 0x80 count
// as letters (parts of non-ASCII letters), so words in any script stay whole.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace forkline::text {

constexpr bool IsUpper(char c) {
  return c >= 'A' && c <= 'Z';
}
constexpr bool IsLower(char c) {
  return c >= 'a' && c <= 'z';
}
constexpr bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}
constexpr bool IsHigh(char c) {
  return static_cast<unsigned char>(c) >= 0x80;
}
// Letters and digits by table: the word scanners ask this of every byte of a novel.
inline constexpr std::array<unsigned char, 256> kCharKind = [] {
  std::array<unsigned char, 256> t{};  // bit 0: letter, bit 1: digit
  for (int i = 0; i < 256; ++i) {
    const char c = static_cast<char>(i);
    t[i] = static_cast<unsigned char>(((IsUpper(c) || IsLower(c) || IsHigh(c)) ? 1 : 0) |
                                      (IsDigit(c) ? 2 : 0));
  }
  return t;
}();
constexpr bool IsLetter(char c) {
  return (kCharKind[static_cast<unsigned char>(c)] & 1) != 0;
}
constexpr bool IsAlnum(char c) {
  return kCharKind[static_cast<unsigned char>(c)] != 0;
}
constexpr bool IsSpace(char c) {
  return c == ' ' || c == '\n' || c == '\t' || c == '\r';
}
constexpr char ToLower(char c) {
  return IsUpper(c) ? static_cast<char>(c - 'A' + 'a') : c;
}
constexpr char ToUpper(char c) {
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
// CountWords(s) >= n, reading only as far as the n-th word.
bool HasWords(std::string_view s, std::size_t n);

// A word of the text: a run of letters, digits, apostrophes inside words and hyphens
// inside words ("Rabbit-Hole", "don't"); `begin`/`end` are offsets into the text.
struct Word {
  std::string_view text;
  std::size_t begin = 0;
  std::size_t end = 0;
};
// The next word starting at or after `pos`, or an empty word (text.empty()) at the end.
// Inline: every step walks whole novels a word at a time.
inline Word NextWord(std::string_view s, std::size_t pos) {
  const std::size_t n = s.size();
  const char* d = s.data();
  while (pos < n && !IsAlnum(d[pos]))
    ++pos;
  if (pos >= n) return {{}, n, n};
  std::size_t end = pos + 1;
  while (end < n) {
    const char c = d[end];
    if (IsAlnum(c)) {
      ++end;
    } else if ((c == '\'' || c == '-') && end + 1 < n && IsAlnum(d[end + 1])) {
      end += 2;
    } else {
      break;
    }
  }
  return {std::string_view(d + pos, end - pos), pos, end};
}
// Every word of `s`, in order.
std::vector<Word> Words(std::string_view s);

// The words of `s` one after another, exactly as NextWord(s, 0), NextWord(s, w.end), …
// finds them, but found 64 bytes at a time (with SSE2): for walks over whole
// paragraphs, where most bytes are inside words. Holds a view of `s`.
class WordScanner {
 public:
  explicit WordScanner(std::string_view s) : s_(s) {}
  // The next word, or an empty word (text.empty()) at the end.
  Word Next() {
    for (;;) {
      if (in_word_ && ends_ != 0) {
        const std::size_t end = block_ + static_cast<std::size_t>(__builtin_ctzll(ends_));
        ends_ &= ends_ - 1;
        in_word_ = false;
        return {s_.substr(begin_, end - begin_), begin_, end};
      }
      if (!in_word_ && starts_ != 0) {
        begin_ = block_ + static_cast<std::size_t>(__builtin_ctzll(starts_));
        starts_ &= starts_ - 1;
        in_word_ = true;
        continue;
      }
      if (next_ >= s_.size()) {
        if (!in_word_) return {{}, s_.size(), s_.size()};
        in_word_ = false;
        return {s_.substr(begin_), begin_, s_.size()};
      }
      Refill();
    }
  }

 private:
  // Reads the block at next_: the bits of the bytes where words start and of the bytes
  // right after words end.
  void Refill();

  std::string_view s_;
  std::size_t next_ = 0;   // the first byte not read into a block yet
  std::size_t block_ = 0;  // offset of bit 0 of starts_ and ends_
  std::uint64_t starts_ = 0;
  std::uint64_t ends_ = 0;
  bool in_word_ = false;       // a word has begun at begin_ and not ended yet
  bool last_in_word_ = false;  // the last byte read belongs to a word
  bool last_alnum_ = false;    // the last byte read is a letter or digit
  std::size_t begin_ = 0;
};

// The first i with s[i] == s[i + 1] == c, or std::string_view::npos. Faster than
// find("cc") for a byte as common as ' ', which makes find() stop at every word.
std::size_t FindDoubled(std::string_view s, char c);

// The first i >= `from` where a capitalised word starts: s[i] is 'A'..'Z' and s[i - 1]
// (if any) is no letter. std::string_view::npos when there is none.
std::size_t NextCapitalStart(std::string_view s, std::size_t from);

// A quick test in front of a small lexicon of lower-case words: false means "not one of
// them" for sure, true means "look it up". Novels run every word past several lexicons;
// this test rejects most words by length, first and last letter, without hashing them.
class WordShapes {
 public:
  void Add(std::string_view word);
  bool MayContain(std::string_view word) const {
    return word.empty() || MayContain(word.size(), word.front(), word.back());
  }
  // The same test for a word of `size` bytes that starts with `first` and ends with
  // `last`, e.g. the ends of a word lowered before the rest of it is.
  bool MayContain(std::size_t size, char first, char last) const {
    const std::size_t at = Index(size, first, last);
    return at == kUnfit || (shapes_[at] >> (last - 'a') & 1u) != 0;
  }

 private:
  static constexpr std::size_t kMaxLength = 23;
  static constexpr std::size_t kUnfit = static_cast<std::size_t>(-1);
  // [length * 26 + first letter]: bit (last letter) set when a word of that shape was
  // added; kUnfit for words that are not 1..kMaxLength letters a..z at both ends.
  static std::size_t Index(std::size_t size, char first, char last) {
    if (size == 0 || size > kMaxLength || !IsLower(first) || !IsLower(last)) return kUnfit;
    return size * 26 + static_cast<std::size_t>(first - 'a');
  }
  std::array<std::uint32_t, (kMaxLength + 1) * 26> shapes_{};
};

// Splits canonical chapter text (paragraphs separated by "\n\n") into paragraphs.
std::vector<std::string_view> SplitOnBlankLines(std::string_view s);

}  // namespace forkline::text
