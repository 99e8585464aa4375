#include "daemon/novel/text_util.h"

#include <array>

namespace forkline::text {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back()))
    s.remove_suffix(1);
  return s;
}

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    c = ToUpper(c);
  return out;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    c = ToLower(c);
  return out;
}

bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (ToLower(a[i]) != ToLower(b[i])) return false;
  }
  return true;
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::size_t CountWords(std::string_view s) {
  // 1: space, 2: letter or digit, 0: anything else.
  static const auto kClass = [] {
    std::array<unsigned char, 256> t{};
    for (int c = 0; c < 256; ++c) {
      const char ch = static_cast<char>(c);
      t[c] = IsSpace(ch) ? 1 : (IsAlnum(ch) ? 2 : 0);
    }
    return t;
  }();
  std::size_t words = 0;
  bool counted = false;  // the current run of non-space bytes was counted already
  for (char c : s) {
    const unsigned char k = kClass[static_cast<unsigned char>(c)];
    if (k == 1) {
      counted = false;
    } else if (k == 2 && !counted) {
      ++words;
      counted = true;
    }
  }
  return words;
}

Word NextWord(std::string_view s, std::size_t pos) {
  while (pos < s.size() && !IsAlnum(s[pos]))
    ++pos;
  if (pos >= s.size()) return {{}, s.size(), s.size()};
  std::size_t end = pos;
  while (end < s.size()) {
    const char c = s[end];
    if (IsAlnum(c)) {
      ++end;
    } else if ((c == '\'' || c == '-') && end + 1 < s.size() && IsAlnum(s[end + 1])) {
      end += 2;
    } else {
      break;
    }
  }
  return {s.substr(pos, end - pos), pos, end};
}

std::vector<Word> Words(std::string_view s) {
  std::vector<Word> words;
  for (Word w = NextWord(s, 0); !w.text.empty(); w = NextWord(s, w.end))
    words.push_back(w);
  return words;
}

std::vector<std::string_view> SplitOnBlankLines(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t pos = 0;
  while (pos < s.size()) {
    std::size_t end = s.find("\n\n", pos);
    if (end == std::string_view::npos) end = s.size();
    const std::string_view p = Trim(s.substr(pos, end - pos));
    if (!p.empty()) out.push_back(p);
    pos = end + 2;
  }
  return out;
}

}  // namespace forkline::text
