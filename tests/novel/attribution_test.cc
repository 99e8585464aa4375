// Quotes and dialogue attribution: every quote form and attribution form of issue 5.
#include <gtest/gtest.h>

#include "daemon/novel/characters.h"
#include "daemon/novel/quotes.h"
#include "daemon/novel/speaker_tracker.h"
#include "daemon/novel/text_util.h"

namespace forkline {
namespace {

std::vector<std::string> SpeechTexts(std::string_view p, QuoteStyle style) {
  std::vector<std::string> out;
  for (const QuoteSegment& s : SplitQuotes(p, style)) {
    if (s.speech) out.emplace_back(p.substr(s.begin, s.end - s.begin));
  }
  return out;
}

// Speakers of each paragraph, in order, with the cast built as the characters step does.
std::vector<std::string> Speakers(const std::vector<std::string_view>& paragraphs) {
  ChapterParagraphs chapters{paragraphs};
  Result<CastAnalysis> cast = AnalyzeCast(chapters, AbortCheck());
  EXPECT_TRUE(cast.ok());
  std::vector<std::string> out;
  ForEachSpeech(chapters, cast->style, &cast->cast, AbortCheck(),
                [&](std::size_t, std::size_t, const Speech& s) { out.push_back(s.speaker); });
  return out;
}

TEST(Quotes, StraightSingleQuotesAndApostrophes) {
  const auto t = SpeechTexts(
      "'Curiouser and curiouser!' cried Alice (she was so much "
      "surprised); 'now I'm opening out like the largest telescope "
      "that ever was! 'Tis so, isn't it?'",
      QuoteStyle::kSingle);
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[0], "Curiouser and curiouser!");
  EXPECT_EQ(t[1].substr(0, 10), "now I'm op");
  EXPECT_TRUE(text::EndsWith(t[1], "isn't it?"));
}

TEST(Quotes, DialogueSplitByAttributionIsOneSpeech) {
  const std::string p =
      "'What a curious feeling!' said Alice; 'I must be shutting up like a "
      "telescope.'";
  ASSERT_EQ(SpeechTexts(p, QuoteStyle::kSingle).size(), 2u);
  const std::optional<Speech> s = SpeakerTracker(QuoteStyle::kSingle, nullptr).Read(p);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->speaker, "ALICE");
  EXPECT_EQ(s->text, "What a curious feeling! I must be shutting up like a telescope.");
  EXPECT_TRUE(s->action_after.empty());
}

TEST(Quotes, DoubleStraightAndCurlyNormalised) {
  const auto t =
      SpeechTexts("\"Come here,\" said Holmes, \"and look at the 'Times'.\"", QuoteStyle::kDouble);
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[1], "and look at the 'Times'.");  // nested single quotes stay inside
  EXPECT_EQ(DetectQuoteStyle("\"A,\" he said. \"B.\" 'Tis"), QuoteStyle::kDouble);
  EXPECT_EQ(DetectQuoteStyle("'A,' he said. 'B.' \"x"), QuoteStyle::kSingle);
}

TEST(Quotes, NestedDoubleInsideSingle) {
  const auto t = SpeechTexts(
      "'You might just as well say that \"I see what I eat\" is the "
      "same thing!' said the Hatter.",
      QuoteStyle::kSingle);
  ASSERT_EQ(t.size(), 1u);
  EXPECT_NE(t[0].find("\"I see what I eat\""), std::string::npos);
}

TEST(Quotes, MentionsStayInNarrationAndPossessivesAreNotQuotes) {
  EXPECT_TRUE(SpeechTexts("it was labelled 'ORANGE MARMALADE', but to her great "
                          "disappointment it was empty",
                          QuoteStyle::kSingle)
                  .empty());
  const auto t = SpeechTexts("'Look at the Queens' crowns,' said Alice.", QuoteStyle::kSingle);
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0], "Look at the Queens' crowns,");
}

TEST(Quotes, SpeechRunningOnIntoTheNextParagraph) {
  const auto segs = SplitQuotes("'It was a long story, and it went on", QuoteStyle::kSingle);
  ASSERT_EQ(segs.size(), 1u);
  EXPECT_TRUE(segs[0].open);
}

struct AttributionCase {
  const char* paragraph;
  const char* speaker;
};

TEST(Attribution, ExplicitForms) {
  for (const AttributionCase& c : {
           AttributionCase{"'Curiouser!' said Alice.", "ALICE"},
           {"'Curiouser!' Alice said.", "ALICE"},
           {"'Off with her head!' said the Queen.", "QUEEN"},
           {"'And so on,' the Hatter went on.", "HATTER"},
           {"'Yes,' said the White Rabbit.", "WHITE RABBIT"},
           {"'It was the BEST butter,' the March Hare meekly replied.", "MARCH HARE"},
           {"'My dear,' said Mr. Bennet, 'have you heard?'", "MR. BENNET"},
           {"'I have,' replied Mrs. Bennet.", "MRS. BENNET"},
           {"'Indeed,' said Miss Bingley.", "MISS BINGLEY"},
           {"'Quite so,' Dr. Watson remarked.", "DR. WATSON"},
           {"'Off with his head!' said the Queen of Hearts.", "QUEEN OF HEARTS"},
           {"Alice replied, rather shyly, 'I hardly know, sir.'", "ALICE"},
           {"'You are old,' said the youth, 'as I mentioned before.'", "YOUTH"},
       }) {
    const std::vector<std::string> s = Speakers({c.paragraph});
    ASSERT_EQ(s.size(), 1u) << c.paragraph;
    EXPECT_EQ(s[0], c.speaker) << c.paragraph;
  }
}

TEST(Attribution, PronounsResolveToTheLastNamedSpeaker) {
  const auto s = Speakers({"'Come in,' said Holmes.", "'Thank you,' said Watson.",
                           "'Sit down,' said Holmes.", "'Now,' said he, 'tell me all.'"});
  ASSERT_EQ(s.size(), 4u);
  EXPECT_EQ(s[3], "HOLMES");
  const auto t = Speakers(
      {"'Hello,' said the Queen.", "'Hello,' said the King.", "'Who are you?' she asked."});
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(t[2], "QUEEN");  // she: the Queen, not the King who spoke last
}

TEST(Attribution, FirstPersonNarrator) {
  const auto s = Speakers({"'Very well,' said I.", "'Good,' said Holmes."});
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0], "NARRATOR");
}

TEST(Attribution, AlternatingUnattributedBackAndForth) {
  const auto s = Speakers({"'Who are you?' said the Caterpillar.", "'I hardly know,' said Alice.",
                           "'Explain yourself!'", "'I can't explain myself.'", "'Why not?'",
                           "'Because I'm not myself, you see.'"});
  ASSERT_EQ(s.size(), 6u);
  EXPECT_EQ(s[2], "CATERPILLAR");
  EXPECT_EQ(s[3], "ALICE");
  EXPECT_EQ(s[4], "CATERPILLAR");
  EXPECT_EQ(s[5], "ALICE");
}

TEST(Attribution, LeadInSubjectSpeaks) {
  const auto s = Speakers({"'Tea?' said the Hatter.", "'Yes,' said Alice.",
                           "The Hatter was the first to break the silence. 'What day is it?'"});
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s[2], "HATTER");
}

TEST(Attribution, MannerBecomesParenthetical) {
  SpeakerTracker tracker(QuoteStyle::kDouble, nullptr);
  std::optional<Speech> s = tracker.Read("\"Hush,\" whispered Anna.");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->manner, "whispering");
  s = tracker.Read("\"Go away!\" cried Tom angrily.");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->manner, "angrily");
  s = tracker.Read("\"How odd,\" thought Anna.");
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->thinking);
}

TEST(Characters, AliasesMergeAndMostLinesFirst) {
  ChapterParagraphs chapters{{"'Late!' said the White Rabbit.", "'Oh dear!' said the Rabbit.",
                              "'Wait!' said Alice.", "'Please!' said Alice.", "'Stop!' said Alice.",
                              "'Hurry!' said the White Rabbit."}};
  Result<CastAnalysis> cast = AnalyzeCast(chapters, AbortCheck());
  ASSERT_TRUE(cast.ok());
  ASSERT_EQ(cast->characters.size(), 2u);
  EXPECT_EQ(cast->characters[0].name, "ALICE");
  EXPECT_EQ(cast->characters[1].name, "WHITE RABBIT");
  EXPECT_EQ(cast->characters[1].lines, 3u);
  EXPECT_EQ(cast->characters[1].aliases.size(), 2u);
  EXPECT_EQ(cast->cast.protagonist, "ALICE");
}

}  // namespace
}  // namespace forkline
