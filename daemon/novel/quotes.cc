#include "daemon/novel/quotes.h"

#include <array>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "daemon/novel/text_util.h"

namespace forkline {
namespace {

constexpr std::size_t kMaxMentionWords = 4;

bool OpensAfter(char prev) {
  return prev == ' ' || prev == '(' || prev == '[' || prev == '-' || prev == '"' || prev == '\n' ||
         prev == '\'' || static_cast<unsigned char>(prev) == 0x94;  // —
}

// Elisions that start with an apostrophe in lower case: "'em", "'tis".
bool IsElision(std::string_view s, std::size_t word_start) {
  static constexpr std::array<std::string_view, 12> kElisions = {
      "em", "tis", "twas", "twere", "twill", "cause", "bout", "neath", "til", "n", "im", "er"};
  const text::Word w = text::NextWord(s, word_start);
  if (w.begin != word_start) return false;
  for (std::string_view e : kElisions) {
    if (w.text == e) return true;
  }
  return false;
}

bool IsSingleOpener(std::string_view s, std::size_t i) {
  if (i + 1 >= s.size() || text::IsSpace(s[i + 1])) return false;
  if (i > 0 && !OpensAfter(s[i - 1])) return false;
  return !IsElision(s, i + 1);
}

// A closing single quote, not an apostrophe: "…curious,' said", "…Queens' garden".
bool IsSingleCloser(std::string_view s, std::size_t i) {
  if (i == 0 || text::IsSpace(s[i - 1])) return false;
  if (i + 1 >= s.size()) return true;
  const char next = s[i + 1];
  if (text::IsAlnum(next)) return false;
  if (s[i - 1] != 's' || next != ' ') return true;
  // "s' " followed by a lower-case word: a plural possessive, unless the word is an
  // attribution ("…yours' said") — these are rare enough to go with the possessive.
  return !(i + 2 < s.size() && text::IsLower(s[i + 2]));
}

struct Span {
  std::size_t open;   // offset of the opening mark
  std::size_t close;  // offset of the closing mark, or npos
};

// Calls fn(span) for each quoted span of `s`, in order; the last may be left open.
template <typename Fn>
void ForEachSpan(std::string_view s, QuoteStyle style, Fn&& fn) {
  const char mark = style == QuoteStyle::kSingle ? '\'' : '"';
  bool inside = false;
  Span span{0, std::string_view::npos};
  for (std::size_t i = s.find(mark); i != std::string_view::npos; i = s.find(mark, i + 1)) {
    if (style == QuoteStyle::kDouble ? !inside : (!inside && IsSingleOpener(s, i))) {
      span = {i, std::string_view::npos};
      inside = true;
    } else if (inside && (style == QuoteStyle::kDouble || IsSingleCloser(s, i))) {
      span.close = i;
      fn(span);
      inside = false;
    }
  }
  if (inside) fn(span);
}

// A short quoted phrase inside narration ("labelled 'ORANGE MARMALADE', but").
bool IsMention(std::string_view s, const Span& span) {
  if (span.close == std::string_view::npos || span.open < 2) return false;
  const std::string_view inner = s.substr(span.open + 1, span.close - span.open - 1);
  if (inner.empty()) return false;
  const char last = inner.back();
  if (!text::IsAlnum(last)) return false;  // speech ends in punctuation: ',' '!' '--'
  return s[span.open - 1] == ' ' && text::IsAlnum(s[span.open - 2]) &&
         !text::HasWords(inner, kMaxMentionWords + 1);
}

}  // namespace

void QuoteCensus::Add(std::string_view text) {
  const auto count = [&](std::size_t i) {
    if (text[i] == '"') {
      ++doubles_;
    } else if ((i == 0 || text::IsSpace(text[i - 1])) && i + 1 < text.size() &&
               text::IsLetter(text[i + 1])) {
      ++singles_;
    }
  };
  std::size_t i = 0;
#if defined(__SSE2__)
  // Quote marks are rare: find them 16 bytes at a time.
  for (; i + 16 <= text.size(); i += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(text.data() + i));
    unsigned marks = static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(
        _mm_cmpeq_epi8(v, _mm_set1_epi8('"')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\'')))));
    for (; marks != 0; marks &= marks - 1)
      count(i + static_cast<std::size_t>(__builtin_ctz(marks)));
  }
#endif
  for (; i < text.size(); ++i) {
    if (text[i] == '"' || text[i] == '\'') count(i);
  }
}

QuoteStyle DetectQuoteStyle(std::string_view text) {
  QuoteCensus census;
  census.Add(text);
  return census.Style();
}

std::vector<QuoteSegment> SplitQuotes(std::string_view s, QuoteStyle style) {
  std::vector<QuoteSegment> out;
  out.reserve(4);  // narration, speech, attribution, speech: most paragraphs fit
  std::size_t cursor = 0;
  auto narration_to = [&](std::size_t end) {
    if (end > cursor && !text::Trim(s.substr(cursor, end - cursor)).empty()) {
      out.push_back({false, false, cursor, end});
    }
  };
  ForEachSpan(s, style, [&](const Span& span) {
    if (IsMention(s, span)) return;
    narration_to(span.open);
    const bool open = span.close == std::string_view::npos;
    const std::size_t end = open ? s.size() : span.close;
    if (!text::Trim(s.substr(span.open + 1, end - span.open - 1)).empty()) {
      out.push_back({true, open, span.open + 1, end});
    }
    cursor = open ? s.size() : span.close + 1;
  });
  narration_to(s.size());
  return out;
}

bool StartsWithQuote(std::string_view paragraph, QuoteStyle style) {
  const std::string_view p = text::Trim(paragraph);
  return !p.empty() && p[0] == (style == QuoteStyle::kSingle ? '\'' : '"');
}

}  // namespace forkline
