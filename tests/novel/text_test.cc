// Normalisation, paragraphs, headings and chapters (the `ingest` step).
#include <random>

#include <gtest/gtest.h>

#include "daemon/novel/chapter_heading.h"
#include "daemon/novel/chapters.h"
#include "daemon/novel/ingest.h"
#include "daemon/novel/paragraphs.h"
#include "daemon/novel/text_normalize.h"
#include "daemon/novel/text_util.h"
#include "tests/testutil/status_matchers.h"

namespace forkline {
namespace {

std::vector<std::string> Paragraphs(std::string_view text) {
  Result<std::vector<std::string>> r = SplitParagraphs(text, AbortCheck());
  EXPECT_TRUE(r.ok());
  return r.ok() ? *r : std::vector<std::string>{};
}

// The word count the vectorised CountWords must agree with, byte by byte.
std::size_t CountWordsByBytes(std::string_view s) {
  std::size_t words = 0;
  bool counted = false;
  for (char c : s) {
    if (text::IsSpace(c)) {
      counted = false;
    } else if (text::IsAlnum(c) && !counted) {
      ++words;
      counted = true;
    }
  }
  return words;
}

TEST(CountWords, AgreesWithAByteByByteCount) {
  EXPECT_EQ(text::CountWords(""), 0u);
  EXPECT_EQ(text::CountWords("  -- ... "), 0u);
  EXPECT_EQ(text::CountWords("'Curiouser!' said Alice; \xC3\xA9t\xC3\xA9 x--y 42"), 6u);
  const std::string alphabet = std::string(" \n\t\r.,'\"-aZz09@[`{") + "\x80\xC3\xFF";
  std::mt19937 rng(5);
  for (int round = 0; round < 3000; ++round) {
    std::string s(rng() % 300, ' ');
    for (char& c : s)
      c = alphabet[rng() % alphabet.size()];
    ASSERT_EQ(text::CountWords(s), CountWordsByBytes(s)) << "text: " << s;
    const std::size_t n = rng() % 20;
    ASSERT_EQ(text::HasWords(s, n), CountWordsByBytes(s) >= n) << "text: " << s;
  }
}

TEST(TextScanners, AgreeWithPlainLoops) {
  const std::string alphabet = "  aZ'-.\n\"Q\xC3";
  std::mt19937 rng(9);
  for (int round = 0; round < 3000; ++round) {
    std::string s(rng() % 80, ' ');
    for (char& c : s)
      c = alphabet[rng() % alphabet.size()];
    std::size_t doubled = std::string_view::npos;
    for (std::size_t i = 0; i + 1 < s.size() && doubled == std::string_view::npos; ++i) {
      if (s[i] == ' ' && s[i + 1] == ' ') doubled = i;
    }
    ASSERT_EQ(text::FindDoubled(s, ' '), doubled) << "text: " << s;
    const std::size_t from = s.empty() ? 0 : rng() % s.size();
    std::size_t capital = std::string_view::npos;
    for (std::size_t i = from; i < s.size() && capital == std::string_view::npos; ++i) {
      if (text::IsUpper(s[i]) && (i == 0 || !text::IsLetter(s[i - 1]))) capital = i;
    }
    ASSERT_EQ(text::NextCapitalStart(s, from), capital) << "text: " << s << " from " << from;
  }
}

TEST(WordScanner, FindsTheWordsNextWordFinds) {
  const std::string alphabet = std::string("  aZ09'-.\n\"") + "\x80\xC3";
  std::mt19937 rng(13);
  for (int round = 0; round < 4000; ++round) {
    // Up to ~300 bytes: words that straddle the 64-byte blocks, and texts that end in one.
    std::string s(rng() % 300, ' ');
    for (char& c : s)
      c = alphabet[rng() % alphabet.size()];
    text::WordScanner scanner(s);
    for (text::Word w = text::NextWord(s, 0);; w = text::NextWord(s, w.end)) {
      const text::Word got = scanner.Next();
      ASSERT_EQ(got.text, w.text) << "text: " << s;
      ASSERT_EQ(got.begin, w.begin) << "text: " << s;
      ASSERT_EQ(got.end, w.end) << "text: " << s;
      if (w.text.empty()) break;
    }
    ASSERT_TRUE(scanner.Next().text.empty());
  }
  text::WordScanner empty("");
  EXPECT_TRUE(empty.Next().text.empty());
  const std::string long_word(200, 'x');
  text::WordScanner one(long_word);
  EXPECT_EQ(one.Next().text.size(), 200u);
  EXPECT_TRUE(one.Next().text.empty());
}

TEST(NormalizeText, LineEndsQuotesAndBom) {
  Result<NormalizedText> r = NormalizeText(
      "\xEF\xBB\xBF\xE2\x80\x9CHi,\xE2\x80\x9D she said.\r\n\xE2\x80\x98Yes\xE2\x80\x99\rend\tx");
  ASSERT_OK(r);
  EXPECT_EQ(r->text, "\"Hi,\" she said.\n'Yes'\nend x");
  EXPECT_EQ(r->encoding, "utf-8");
}

TEST(NormalizeText, Latin1IsTranscoded) {
  Result<NormalizedText> r = NormalizeText("Caf\xE9 \x93quoted\x94");
  ASSERT_OK(r);
  EXPECT_EQ(r->text, "Caf\xC3\xA9 \"quoted\"");
  EXPECT_EQ(r->encoding, "latin-1");
}

TEST(NormalizeText, StrayInvalidBytesInUtf8AreReplaced) {
  Result<NormalizedText> r = NormalizeText(
      "na\xC3\xAFve text with one bad byte \xFF here and more "
      "words to make it a text");
  ASSERT_OK(r);
  EXPECT_NE(r->text.find("\xEF\xBF\xBD"), std::string::npos);
  EXPECT_EQ(r->encoding, "utf-8 (repaired)");
}

TEST(NormalizeText, RefusesEmptyAndBinary) {
  EXPECT_FALSE(NormalizeText("").ok());
  EXPECT_FALSE(NormalizeText(" \n\n  \t").ok());
  EXPECT_FALSE(NormalizeText(std::string("abc\0def", 7)).ok());
  std::string binary;
  for (int i = 0; i < 4096; ++i)
    binary.push_back(static_cast<char>((i * 37) % 256));
  const Result<NormalizedText> r = NormalizeText(binary);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("binary"), std::string::npos);
}

TEST(StripGutenberg, KeepsOnlyTheBookAndReadsTheHeader) {
  const std::string text =
      "The Project Gutenberg eBook of Emma\n\nTitle: Emma\nAuthor: Jane Austen\n\n"
      "*** START OF THE PROJECT GUTENBERG EBOOK EMMA ***\n\nCHAPTER I\n\nEmma Woodhouse.\n\n"
      "*** END OF THE PROJECT GUTENBERG EBOOK EMMA ***\nLicence text.\n";
  const GutenbergParts parts = StripGutenberg(text);
  EXPECT_EQ(parts.title, "Emma");
  EXPECT_EQ(parts.author, "Jane Austen");
  EXPECT_EQ(parts.body.find("Licence"), std::string::npos);
  EXPECT_EQ(parts.body.find("START"), std::string::npos);
  EXPECT_NE(parts.body.find("Emma Woodhouse."), std::string::npos);
}

TEST(ParseHeading, ChapterForms) {
  struct Case {
    const char* line;
    int number;
    const char* title;
  };
  for (const Case& c :
       {Case{"CHAPTER I.", 1, ""},
        Case{"CHAPTER I. Down the Rabbit-Hole", 1, "Down the Rabbit-Hole"},
        Case{"Chapter 12", 12, ""}, Case{"BOOK ONE", 1, ""},
        Case{"Chapter XIV: The Storm", 14, "The Storm"}, Case{"PART 2 - Home", 2, "Home"},
        Case{"chapter", 0, nullptr},
        Case{"CHAPTER IV The Rabbit Sends in a Little Bill", 4,
             "The Rabbit Sends in a Little Bill"},
        Case{"XII. THE FINAL PROBLEM", 12, "THE FINAL PROBLEM"}, Case{"PROLOGUE", 0, ""}}) {
    const std::optional<Heading> h = ParseHeading(c.line);
    if (c.title == nullptr) {
      EXPECT_FALSE(h) << c.line;
      continue;
    }
    ASSERT_TRUE(h) << c.line;
    EXPECT_EQ(h->number, c.number) << c.line;
    EXPECT_EQ(h->title, c.title) << c.line;
  }
  EXPECT_FALSE(ParseHeading("Chapter 12 was the one she liked best, and she read it twice."));
  EXPECT_FALSE(ParseHeading("I said nothing."));
  EXPECT_FALSE(ParseHeading("Book after book fell from the shelf"));
}

TEST(IsSceneBreak, Forms) {
  for (const char* yes : {"* * *", "*    *    *    *", "***", "#", "~ ~ ~", "---"}) {
    EXPECT_TRUE(IsSceneBreak(yes)) << yes;
  }
  for (const char* no : {"*Yes*", "- no", "Well", "--"})
    EXPECT_FALSE(IsSceneBreak(no)) << no;
}

TEST(SplitParagraphs, JoinsHardWrappedLinesAndDropsIndentation) {
  const auto p = Paragraphs(
      "  The rabbit-hole went straight\n  on like a well-\n  known tunnel.\n\n"
      "Second   paragraph.\n");
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0], "The rabbit-hole went straight on like a well-known tunnel.");
  EXPECT_EQ(p[1], "Second paragraph.");
}

TEST(SplitParagraphs, IndentationMarksParagraphsWhenThereAreNoBlankLines) {
  std::string text;
  for (int i = 0; i < 6; ++i) {
    text += "    Paragraph " + std::to_string(i) + " starts here and\nwraps onto a second line.\n";
  }
  const auto p = Paragraphs(text);
  ASSERT_EQ(p.size(), 6u);
  EXPECT_EQ(p[3], "Paragraph 3 starts here and wraps onto a second line.");
}

TEST(SplitParagraphs, HeadingTakesTheTitleLineUnderIt) {
  const auto p = Paragraphs(
      "CHAPTER I\nDown the Rabbit-Hole\n\nAlice was tired.\n\n"
      "Chapter 2\nIt was late. She slept.\n");
  ASSERT_EQ(p.size(), 4u);
  EXPECT_EQ(p[0], "CHAPTER I Down the Rabbit-Hole");
  EXPECT_EQ(p[2], "Chapter 2");
  EXPECT_EQ(p[3], "It was late. She slept.");
}

TEST(SplitChapters, TitlesOnTheirOwnLineAndTablesOfContents) {
  Book book = SplitChapters({"MY BOOK", "by Jo Writer", "CHAPTER I. One", "CHAPTER II. Two",
                             "CHAPTER I", "The Start", "Text of one.", "More.", "CHAPTER II",
                             "Text of two.", "THE END"});
  EXPECT_EQ(book.title, "MY BOOK");
  EXPECT_EQ(book.author, "Jo Writer");
  ASSERT_EQ(book.chapters.size(), 2u);
  EXPECT_EQ(book.chapters[0].title, "The Start");
  EXPECT_EQ(book.chapters[0].paragraphs.size(), 2u);
  EXPECT_EQ(book.chapters[1].title, "CHAPTER II");
  ASSERT_EQ(book.chapters[1].paragraphs.size(), 1u);  // THE END dropped
}

TEST(SplitChapters, BookAboveChapterAndBareNumerals) {
  Book book = SplitChapters({"BOOK ONE", "CHAPTER 1", "Text.", "Chapter 2", "More text."});
  ASSERT_EQ(book.chapters.size(), 2u);
  EXPECT_EQ(book.chapters[1].number, 2);
  Book bare = SplitChapters({"I.", "One.", "II.", "Two.", "III. THE LAST", "Three."});
  ASSERT_EQ(bare.chapters.size(), 3u);
  EXPECT_EQ(bare.chapters[2].title, "THE LAST");
}

TEST(SplitChapters, NoHeadingsIsOneChapter) {
  Book book = SplitChapters({"It was a dark night.", "She waited."});
  ASSERT_EQ(book.chapters.size(), 1u);
  EXPECT_EQ(book.chapters[0].paragraphs.size(), 2u);
}

TEST(Ingest, WordsAndCanonicalText) {
  Result<IngestResult> r = Ingest("Chapter 1\n\nOne two\nthree.\n\nFour.\n", AbortCheck());
  ASSERT_OK(r);
  EXPECT_EQ(r->words, 4u);
  ASSERT_EQ(r->chapters.size(), 1u);
  EXPECT_EQ(ChapterText(r->chapters[0]), "One two three.\n\nFour.");
}

}  // namespace
}  // namespace forkline
