#include "daemon/novel/text_util.h"

#include <algorithm>
#include <array>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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

#if defined(__SSE2__)
// Space and letter-or-digit bytes of 16 bytes, as bit masks (bit i: byte i).
struct ByteMasks {
  unsigned space;
  unsigned alnum;
};

// The bytes of `v` that are ASCII letters or digits, or >= 0x80 (counted as letters: they
// are negative as signed bytes, so they fail both range tests and count through their
// sign bit, which movemask reads), as a 16-bit mask.
unsigned AlnumMask16(__m128i v) {
  const __m128i folded = _mm_or_si128(v, _mm_set1_epi8(0x20));
  const __m128i letter = _mm_and_si128(_mm_cmpgt_epi8(folded, _mm_set1_epi8('a' - 1)),
                                       _mm_cmplt_epi8(folded, _mm_set1_epi8('z' + 1)));
  const __m128i digit = _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8('0' - 1)),
                                      _mm_cmplt_epi8(v, _mm_set1_epi8('9' + 1)));
  return static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(letter, digit))) |
         static_cast<unsigned>(_mm_movemask_epi8(v));
}

ByteMasks Classify16(const char* p) {
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  const __m128i space = _mm_or_si128(
      _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(' ')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\n'))),
      _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('\t')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\r'))));
  return {static_cast<unsigned>(_mm_movemask_epi8(space)), AlnumMask16(v)};
}

// Counts the words of `s` 64 bytes at a time, stopping soon after `limit` are found.
// A word starts at a letter or digit whose nearest earlier space-or-alnum byte is a
// space (or that has none). With A the alnum bits and S the space bits of a block,
// "the last space-or-alnum byte up to bit i was a space" is the carry out of bit i of
// ~A + S + carry-in: S bits generate a carry, the other bytes (~A & ~S) pass it on,
// A bits stop it. So the sum's bit i, where A is set, is that state just before i.
std::size_t CountUpTo(std::string_view s, std::size_t limit) {
  std::size_t words = 0;
  std::uint64_t carry = 1;  // the text starts as if after a space
  std::size_t pos = 0;
  while (pos < s.size()) {
    std::uint64_t space = 0, alnum = 0;
    // Past the end, bits stay clear: neither space nor alnum, they change no count.
    for (unsigned k = 0; k < 4 && pos < s.size(); ++k, pos += 16) {
      ByteMasks m;
      if (pos + 16 <= s.size()) {
        m = Classify16(s.data() + pos);
      } else {
        char tail[16] = {};
        std::memcpy(tail, s.data() + pos, s.size() - pos);
        m = Classify16(tail);
      }
      space |= static_cast<std::uint64_t>(m.space) << (16 * k);
      alnum |= static_cast<std::uint64_t>(m.alnum) << (16 * k);
    }
    std::uint64_t sum = 0;
    const bool c1 = __builtin_add_overflow(~alnum, space, &sum);
    const bool c2 = __builtin_add_overflow(sum, carry, &sum);
    carry = (c1 || c2) ? 1 : 0;
    words += static_cast<std::size_t>(__builtin_popcountll(alnum & sum));
    if (words >= limit) break;
  }
  return words;
}
#else
// 1: space, 2: letter or digit, 0: anything else.
constexpr std::array<unsigned char, 256> kWordClass = [] {
  std::array<unsigned char, 256> t{};
  for (int c = 0; c < 256; ++c) {
    const char ch = static_cast<char>(c);
    t[c] = IsSpace(ch) ? 1 : (IsAlnum(ch) ? 2 : 0);
  }
  return t;
}();

// Counts the words of `s`, stopping soon after `limit` are found.
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
#endif

}  // namespace

std::size_t CountWords(std::string_view s) {
  return CountUpTo(s, static_cast<std::size_t>(-1));
}

bool HasWords(std::string_view s, std::size_t n) {
  return CountUpTo(s, n) >= n;
}

std::vector<Word> Words(std::string_view s) {
  std::vector<Word> words;
  for (Word w = NextWord(s, 0); !w.text.empty(); w = NextWord(s, w.end))
    words.push_back(w);
  return words;
}

void WordScanner::Refill() {
  // Per byte of the block: A, a letter or digit; J, an apostrophe or a hyphen. A word is
  // a run of A bytes and of J bytes between two A bytes (NextWord's "don't",
  // "Rabbit-Hole"). Bytes past the end of the text are neither.
  const std::size_t n = std::min<std::size_t>(64, s_.size() - next_);
  const char* p = s_.data() + next_;
  std::uint64_t alnum = 0, joiner = 0;
#if defined(__SSE2__)
  char tail[64];
  if (n < 64) {
    std::memset(tail, 0, sizeof(tail));
    std::memcpy(tail, p, n);
    p = tail;
  }
  for (unsigned k = 0; k < 4; ++k) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * k));
    const unsigned a = AlnumMask16(v);
    const unsigned j = static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(
        _mm_cmpeq_epi8(v, _mm_set1_epi8('\'')), _mm_cmpeq_epi8(v, _mm_set1_epi8('-')))));
    alnum |= static_cast<std::uint64_t>(a & 0xffffu) << (16 * k);
    joiner |= static_cast<std::uint64_t>(j & 0xffffu) << (16 * k);
  }
#else
  for (std::size_t i = 0; i < n; ++i) {
    alnum |= static_cast<std::uint64_t>(IsAlnum(p[i]) ? 1 : 0) << i;
    joiner |= static_cast<std::uint64_t>(p[i] == '\'' || p[i] == '-' ? 1 : 0) << i;
  }
#endif
  const std::uint64_t next_alnum =
      next_ + 64 < s_.size() && IsAlnum(s_[next_ + 64]) ? std::uint64_t{1} << 63 : 0;
  const std::uint64_t word =
      alnum | (joiner & ((alnum << 1) | (last_alnum_ ? 1 : 0)) & ((alnum >> 1) | next_alnum));
  const std::uint64_t before = (word << 1) | (last_in_word_ ? 1 : 0);  // bit i: byte i - 1
  starts_ = word & ~before;
  ends_ = ~word & before;
  block_ = next_;
  next_ += n;
  last_in_word_ = (word >> 63) & 1;
  last_alnum_ = (alnum >> 63) & 1;
}

std::size_t FindDoubled(std::string_view s, char c) {
  std::size_t i = 0;
#if defined(__SSE2__)
  const __m128i cc = _mm_set1_epi8(c);
  for (; i + 17 <= s.size(); i += 16) {
    const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + i));
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + i + 1));
    const unsigned pairs = static_cast<unsigned>(
        _mm_movemask_epi8(_mm_and_si128(_mm_cmpeq_epi8(a, cc), _mm_cmpeq_epi8(b, cc))));
    if (pairs != 0) return i + static_cast<std::size_t>(__builtin_ctz(pairs));
  }
#endif
  for (; i + 1 < s.size(); ++i) {
    if (s[i] == c && s[i + 1] == c) return i;
  }
  return std::string_view::npos;
}

std::size_t NextCapitalStart(std::string_view s, std::size_t from) {
  const auto starts_word = [&](std::size_t i) { return i == 0 || !IsLetter(s[i - 1]); };
  std::size_t i = from;
#if defined(__SSE2__)
  // Capitals are a few bytes in a hundred: find them 16 bytes at a time.
  for (; i + 16 <= s.size(); i += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + i));
    unsigned upper = static_cast<unsigned>(_mm_movemask_epi8(_mm_and_si128(
        _mm_cmpgt_epi8(v, _mm_set1_epi8('A' - 1)), _mm_cmplt_epi8(v, _mm_set1_epi8('Z' + 1)))));
    for (; upper != 0; upper &= upper - 1) {
      const std::size_t at = i + static_cast<std::size_t>(__builtin_ctz(upper));
      if (starts_word(at)) return at;
    }
  }
#endif
  for (; i < s.size(); ++i) {
    if (IsUpper(s[i]) && starts_word(i)) return i;
  }
  return std::string_view::npos;
}

void WordShapes::Add(std::string_view w) {
  if (w.empty()) return;
  if (const std::size_t at = Index(w.size(), w.front(), w.back()); at != kUnfit) {
    shapes_[at] |= 1u << (w.back() - 'a');
  }
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
