#include "daemon/novel/chapter_heading.h"

#include <array>

#include "daemon/novel/text_util.h"

namespace forkline {
namespace {

constexpr std::size_t kMaxHeadingBytes = 120;
constexpr std::size_t kMaxTitleWords = 12;

int RomanValue(char c) {
  switch (text::ToUpper(c)) {
    case 'I':
      return 1;
    case 'V':
      return 5;
    case 'X':
      return 10;
    case 'L':
      return 50;
    case 'C':
      return 100;
    case 'D':
      return 500;
    case 'M':
      return 1000;
    default:
      return 0;
  }
}

// Value of a roman numeral (any case), or 0 when `s` is not one.
int ParseRoman(std::string_view s) {
  if (s.empty() || s.size() > 12) return 0;
  int total = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const int v = RomanValue(s[i]);
    if (v == 0) return 0;
    const int next = i + 1 < s.size() ? RomanValue(s[i + 1]) : 0;
    total += v < next ? -v : v;
  }
  return total > 0 && total < 4000 ? total : 0;
}

int ParseArabic(std::string_view s) {
  if (s.empty() || s.size() > 4) return 0;
  int v = 0;
  for (char c : s) {
    if (!text::IsDigit(c)) return 0;
    v = v * 10 + (c - '0');
  }
  return v;
}

int ParseSpelled(std::string_view s) {
  static constexpr std::array<std::string_view, 21> kCardinal = {
      "",         "one",     "two",     "three",     "four",     "five",     "six",
      "seven",    "eight",   "nine",    "ten",       "eleven",   "twelve",   "thirteen",
      "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty"};
  static constexpr std::array<std::string_view, 13> kOrdinal = {
      "",        "first",  "second", "third", "fourth",   "fifth",  "sixth",
      "seventh", "eighth", "ninth",  "tenth", "eleventh", "twelfth"};
  for (std::size_t i = 1; i < kCardinal.size(); ++i) {
    if (text::EqualsNoCase(s, kCardinal[i])) return static_cast<int>(i);
  }
  for (std::size_t i = 1; i < kOrdinal.size(); ++i) {
    if (text::EqualsNoCase(s, kOrdinal[i])) return static_cast<int>(i);
  }
  return 0;
}

int ParseNumber(std::string_view s) {
  if (int v = ParseArabic(s)) return v;
  if (int v = ParseRoman(s)) return v;
  return ParseSpelled(s);
}

// Keyword in upper case or capitalised form; `numbered` false for PROLOGUE & co.
bool IsKeyword(std::string_view w, bool* numbered) {
  static constexpr std::array<std::string_view, 5> kNumbered = {"CHAPTER", "BOOK", "PART", "VOLUME",
                                                                "CANTO"};
  static constexpr std::array<std::string_view, 4> kAlone = {"PROLOGUE", "EPILOGUE", "PREFACE",
                                                             "INTERLUDE"};
  if (w.size() < 4 || w.size() > 9 ||
      std::string_view("CBPVEI").find(w[0]) == std::string_view::npos) {
    return false;
  }
  const std::string upper = text::Upper(w);
  const bool all_caps = upper == w;
  const bool capitalised = text::Lower(w.substr(1)) == w.substr(1);
  if (!all_caps && !capitalised) return false;
  for (std::string_view k : kNumbered) {
    if (upper == k) return *numbered = true;
  }
  for (std::string_view k : kAlone) {
    if (upper == k) {
      *numbered = false;
      return true;
    }
  }
  return false;
}

// Removes a separator (". : - — --") in front of a title; false when `rest` does not
// look like a title at all (a sentence that happens to start with "Chapter 12").
bool TakeTitle(std::string_view rest, std::string* title) {
  rest = text::Trim(rest);
  bool separated = false;
  while (!rest.empty()) {
    if (rest[0] == '.' || rest[0] == ':' || rest[0] == '-' || rest[0] == ')') {
      rest.remove_prefix(1);
    } else if (text::StartsWith(rest, "\xE2\x80\x94") || text::StartsWith(rest, "\xE2\x80\x93")) {
      rest.remove_prefix(3);
    } else {
      break;
    }
    separated = true;
    rest = text::Trim(rest);
  }
  if (rest.empty()) return true;
  if (!separated && !text::IsUpper(rest[0]) && rest[0] != '"' && rest[0] != '\'') return false;
  if (text::CountWords(rest) > kMaxTitleWords) return false;
  const char last = rest.back();
  if (last == ',' || last == ';') return false;
  *title = std::string(rest);
  return true;
}

std::optional<Heading> ParseBareNumeral(std::string_view line, text::Word first) {
  // Upper-case roman or arabic, followed by '.' or alone: "IV.", "XII. THE END", "12."
  const std::string_view w = first.text;
  for (char c : w) {
    if (!text::IsDigit(c) && std::string_view("IVXLCDM").find(c) == std::string_view::npos) {
      return std::nullopt;
    }
  }
  const int n = text::IsDigit(w[0]) ? ParseArabic(w) : ParseRoman(w);
  if (n == 0) return std::nullopt;
  const std::string_view rest = line.substr(first.end);
  if (!rest.empty() && rest[0] != '.') return std::nullopt;
  Heading h;
  h.label = std::string(w);
  h.number = n;
  if (!TakeTitle(rest, &h.title)) return std::nullopt;
  return h;
}

}  // namespace

std::optional<Heading> ParseHeading(std::string_view line) {
  line = text::Trim(line);
  if (line.empty() || line.size() > kMaxHeadingBytes || !text::IsAlnum(line[0])) {
    return std::nullopt;
  }
  const text::Word first = text::NextWord(line, 0);
  bool numbered = false;
  if (!IsKeyword(first.text, &numbered)) return ParseBareNumeral(line, first);
  Heading h;
  h.keyword = true;
  std::string_view rest = line.substr(first.end);
  if (numbered) {
    const text::Word num = text::NextWord(line, first.end);
    if (num.text.empty() || num.begin != first.end + 1) return std::nullopt;
    h.number = ParseNumber(num.text);
    if (h.number == 0) return std::nullopt;
    h.label = std::string(line.substr(0, num.end));
    rest = line.substr(num.end);
  } else {
    h.label = std::string(first.text);
  }
  if (!TakeTitle(rest, &h.title)) return std::nullopt;
  return h;
}

bool IsSceneBreak(std::string_view line) {
  line = text::Trim(line);
  if (line.empty() || line.size() > 80) return false;
  if (line == "\xC2\xA7") return true;  // §
  std::size_t marks = 0;
  char mark = 0;
  for (char c : line) {
    if (c == ' ') continue;
    if (c != '*' && c != '#' && c != '~' && c != '-' && c != '=' && c != '_') return false;
    if (mark != 0 && c != mark) return false;
    mark = c;
    ++marks;
  }
  if (mark == '*' || mark == '#') return true;
  return marks >= 3;
}

}  // namespace forkline
