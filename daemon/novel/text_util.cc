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

namespace {

// 1: space, 2: letter or digit, 0: anything else.
constexpr std::array<unsigned char, 256> kWordClass = [] {
  std::array<unsigned char, 256> t{};
  for (int c = 0; c < 256; ++c) {
    const char ch = static_cast<char>(c);
    t[c] = IsSpace(ch) ? 1 : (IsAlnum(ch) ? 2 : 0);
  }
  return t;
}();

// Counts the words of `s`, stopping soon after `limit` are found. Branch-free per byte:
// CountWords runs over whole novels, several times.
std::size_t CountUpTo(std::string_view s, std::size_t limit) {
  std::size_t words = 0;
  unsigned counted = 0;  // 1 when the current run of non-space bytes was counted already
  for (std::size_t i = 0; i < s.size(); ++i) {
    const unsigned k = kWordClass[static_cast<unsigned char>(s[i])];
    const unsigned alnum = k >> 1;
    words += alnum & ~counted & 1u;
    counted = (counted | alnum) & static_cast<unsigned>(k != 1);
    if ((i & 63) == 63 && words >= limit) break;
  }
  return words;
}

}  // namespace

std::size_t CountWords(std::string_view s) {
  return CountUpTo(s, static_cast<std::size_t>(-1));
}

bool HasWords(std::string_view s, std::size_t n) {
  return CountUpTo(s, n) >= n;
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

void WordShapes::Add(std::string_view w) {
  if (const std::size_t at = Index(w); at != kUnfit) shapes_[at] |= 1u << (w.back() - 'a');
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
