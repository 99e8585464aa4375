#pragma once
// Finds speech in a paragraph: the quoted spans, told apart from apostrophes
// ("Alice's", "'tis") and from quoted mentions in narration ("labelled 'ORANGE
// MARMALADE'", which stay part of the narration).

#include <cstddef>
#include <string_view>
#include <vector>

namespace forkline {

// A novel either quotes speech with double quotes (nested speech in single ones) or
// with single quotes (nested in double ones). Text is normalised: straight quotes only.
enum class QuoteStyle { kDouble, kSingle };

// Counts quote openings of each style, text by text, and picks the style with more.
class QuoteCensus {
 public:
  void Add(std::string_view text);
  QuoteStyle Style() const {
    return singles_ > doubles_ ? QuoteStyle::kSingle : QuoteStyle::kDouble;
  }

 private:
  std::size_t doubles_ = 0;
  std::size_t singles_ = 0;
};

// The style with more quote openings in `text`; kDouble when there are none.
QuoteStyle DetectQuoteStyle(std::string_view text);

// Consecutive, non-overlapping pieces of a paragraph, in order. For speech, [begin, end)
// excludes the quote marks; a speech left open at the end of the paragraph (a speech
// that goes on in the next paragraph) has `open` set. (Named apart from eventstore's
// `Segment`: two classes of one name in one namespace are an ODR violation — the
// linker kept one `std::vector<Segment>` instantiation for both layouts, and the
// sanitizer build's forklined double-freed in ResolveSegments.)
struct QuoteSegment {
  bool speech = false;
  bool open = false;
  std::size_t begin = 0;
  std::size_t end = 0;
};

std::vector<QuoteSegment> SplitQuotes(std::string_view paragraph, QuoteStyle style);

// True when `paragraph` starts with a quote mark of `style` (after spaces).
bool StartsWithQuote(std::string_view paragraph, QuoteStyle style);

}  // namespace forkline
