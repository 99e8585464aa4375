#include "daemon/novel/chapters.h"

#include <optional>

#include "daemon/novel/chapter_heading.h"
#include "daemon/novel/text_util.h"

namespace forkline {
namespace {

constexpr std::size_t kMaxTitleWords = 10;
constexpr std::size_t kMaxFrontTitleWords = 12;
constexpr std::size_t kFrontMatterChapterWords = 300;
constexpr std::size_t kFrontMatterScan = 8;

struct Found {
  std::size_t paragraph;
  Heading heading;
};

std::vector<Found> FindHeadings(const std::vector<std::string>& paragraphs) {
  std::vector<Found> keyword, bare;
  for (std::size_t i = 0; i < paragraphs.size(); ++i) {
    if (std::optional<Heading> h = ParseHeading(paragraphs[i])) {
      (h->keyword ? keyword : bare).push_back({i, std::move(*h)});
    }
  }
  if (!keyword.empty()) return keyword;
  if (bare.size() >= 2) return bare;
  return {};
}

bool IsTitleParagraph(std::string_view p) {
  if (p.empty() || p.size() > 80 || text::CountWords(p) > kMaxTitleWords) return false;
  const char last = p.back();
  return last != '.' && last != ',' && last != ';' && last != ':' && p[0] != '"' && p[0] != '\'' &&
         !ParseHeading(p) && !IsSceneBreak(p);
}

bool LooksLikeName(std::string_view p) {
  const std::vector<text::Word> words = text::Words(p);
  if (words.size() < 2 || words.size() > 5) return false;
  for (const text::Word& w : words) {
    if (!text::IsUpper(w.text[0]) && w.text != "de" && w.text != "van" && w.text != "von") {
      return false;
    }
    for (char c : w.text) {
      if (text::IsDigit(c)) return false;
    }
  }
  return p.find_first_of(".,;:") == std::string_view::npos ||
         p.find(". ") != std::string_view::npos;  // "L. M. Montgomery"
}

void GuessTitleAndAuthor(const std::vector<std::string>& front, Book& book) {
  const std::size_t n = std::min(front.size(), kFrontMatterScan);
  for (std::size_t i = 0; i < n; ++i) {
    const std::string_view p = front[i];
    if (text::StartsWith(p, "by ") || text::StartsWith(p, "By ") || text::StartsWith(p, "BY ")) {
      if (book.author.empty()) book.author = std::string(text::Trim(p.substr(3)));
    } else if (book.title.empty()) {
      if (text::CountWords(p) <= kMaxFrontTitleWords && p.back() != '.') book.title = p;
    } else if (book.author.empty() && LooksLikeName(p)) {
      book.author = p;
    }
  }
}

void DropTheEnd(std::vector<std::string>& paragraphs) {
  while (!paragraphs.empty()) {
    std::string_view last = paragraphs.back();
    while (!last.empty() && (last.back() == '.' || last.back() == '!'))
      last.remove_suffix(1);
    if (!text::EqualsNoCase(last, "the end") && !text::EqualsNoCase(last, "finis")) return;
    paragraphs.pop_back();
  }
}

Chapter MakeChapter(const Heading& h, std::vector<std::string>& paragraphs, std::size_t begin,
                    std::size_t end) {
  Chapter c;
  c.heading = h.label;
  c.number = h.number;
  c.title = h.title;
  if (c.title.empty() && begin < end && end - begin > 1 && IsTitleParagraph(paragraphs[begin])) {
    c.title = std::move(paragraphs[begin++]);
  }
  if (c.title.empty()) c.title = c.heading;
  for (std::size_t i = begin; i < end; ++i)
    c.paragraphs.push_back(std::move(paragraphs[i]));
  return c;
}

}  // namespace

Book SplitChapters(std::vector<std::string> paragraphs) {
  Book book;
  DropTheEnd(paragraphs);
  const std::vector<Found> headings = FindHeadings(paragraphs);
  if (headings.empty()) {
    GuessTitleAndAuthor(paragraphs, book);
    if (paragraphs.empty()) return book;
    Chapter whole;
    whole.title = book.title.empty() ? "Chapter 1" : book.title;
    whole.paragraphs = std::move(paragraphs);
    book.chapters.push_back(std::move(whole));
    return book;
  }
  const std::vector<std::string> front(paragraphs.begin(),
                                       paragraphs.begin() + headings[0].paragraph);
  GuessTitleAndAuthor(front, book);
  std::size_t front_words = 0;
  for (const std::string& p : front)
    front_words += text::CountWords(p);
  if (front_words >= kFrontMatterChapterWords) {
    Heading opening;
    opening.title = "Opening";
    book.chapters.push_back(MakeChapter(opening, paragraphs, 0, headings[0].paragraph));
  }
  for (std::size_t k = 0; k < headings.size(); ++k) {
    const std::size_t begin = headings[k].paragraph + 1;
    const std::size_t end = k + 1 < headings.size() ? headings[k + 1].paragraph : paragraphs.size();
    if (begin >= end) continue;  // a table of contents line, or BOOK ONE over CHAPTER I
    book.chapters.push_back(MakeChapter(headings[k].heading, paragraphs, begin, end));
  }
  return book;
}

}  // namespace forkline
