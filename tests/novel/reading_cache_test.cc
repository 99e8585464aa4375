// The reading cache (daemon/novel/reading_cache.h): the screenplay step gives the same
// output whether it takes what the characters step read or reads the text itself, and an
// entry is used only for the very texts, quote style and cast it was made from.
#include "daemon/novel/reading_cache.h"

#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include "daemon/novel/step_json.h"
#include "tests/novel/pipeline.h"
#include "tests/testutil/status_matchers.h"

namespace forkline::testing {
namespace {
namespace json = boost::json;

// A small novel with what the speaker walk depends on: names, pronouns, an alternating
// exchange, a scene break, and two chapters.
constexpr const char* kNovel =
    "CHAPTER I. The Hall\n\n"
    "Alice went into the hall. \"Who are you?\" said the Caterpillar.\n\n"
    "\"I hardly know, sir,\" Alice replied, rather shyly.\n\n"
    "\"What do you mean by that?\" he asked sternly.\n\n"
    "\"I can't explain myself.\"\n\n"
    "\"Explain yourself!\"\n\n"
    "* * *\n\n"
    "The next morning the Queen came. \"Off with her head!\" shouted the Queen.\n\n"
    "CHAPTER II. The Garden\n\n"
    "\"Come on!\" cried the Gryphon, and he ran off. Alice followed him into the garden.\n";

json::object Context(const Pipeline& p) {
  return json::object{
      {"run_id", "r_test"},
      {"kind", "novel_to_script"},
      {"title", "Test run"},
      {"input", json::object{{"text", kNovel}}},
      {"step", json::object{{"index", 3}, {"name", "screenplay"}}},
      {"steps",
       json::object{{"ingest", p.ingest}, {"characters", p.characters}, {"scenes", p.scenes}}}};
}

TEST(ReadingCache, ScreenplayIsTheSameWithOrWithoutTheCharactersReading) {
  ClearTextReadings();
  const Pipeline p = RunPipeline(kNovel);  // its screenplay step takes the reading
  ASSERT_TRUE(p.ok) << p.failed_action << ": " << p.error.message;
  ASSERT_FALSE(p.screenplay.at("scenes").as_array().empty());
  const StepResult again = RunAction("novel.screenplay", Context(p));  // reads the text
  ASSERT_TRUE(again.ok) << again.error.message;
  EXPECT_EQ(json::serialize(again.output), json::serialize(p.screenplay));
}

TEST(ReadingCache, TheCharactersStepLeavesAReadingForTheSameTextOnly) {
  ClearTextReadings();
  const Pipeline p = RunPipeline(kNovel);
  ASSERT_TRUE(p.ok);
  Result<ChapterViews> chapters = ChaptersFromJson(p.ingest);
  ASSERT_OK(chapters);
  QuoteStyle style = QuoteStyle::kSingle;
  Result<Cast> cast = CastFromJson(p.characters, &style);
  ASSERT_OK(cast);
  EXPECT_EQ(style, QuoteStyle::kDouble);
  // The pipeline's screenplay step took the entry out: none is left.
  EXPECT_EQ(TakeTextReading(chapters->texts, style, *cast), nullptr);

  json::object context = Context(p);
  context["step"] = json::object{{"index", 1}, {"name", "characters"}};
  ASSERT_TRUE(RunAction("novel.characters", context).ok);
  Cast other_cast = *cast;
  other_cast.cue_of["Dinah"] = "DINAH";
  std::string changed(chapters->texts[0]);
  changed[changed.size() / 2] ^= 0x20;  // same length, one byte different
  std::vector<std::string_view> other_texts = chapters->texts;
  other_texts[0] = changed;
  EXPECT_EQ(TakeTextReading(other_texts, style, *cast), nullptr);
  EXPECT_EQ(TakeTextReading(chapters->texts, QuoteStyle::kSingle, *cast), nullptr);
  EXPECT_EQ(TakeTextReading(chapters->texts, style, other_cast), nullptr);
  const std::shared_ptr<const TextReading> reading = TakeTextReading(chapters->texts, style, *cast);
  ASSERT_NE(reading, nullptr);
  ASSERT_EQ(reading->chapters.size(), chapters->paragraphs.size());
  for (std::size_t c = 0; c < reading->chapters.size(); ++c)
    EXPECT_EQ(reading->chapters[c].speakers.size(), chapters->paragraphs[c].size());
  EXPECT_EQ(TakeTextReading(chapters->texts, style, *cast), nullptr);  // taken
}

TEST(ReadingCache, KeepsOnlyTheNewestEntries) {
  ClearTextReadings();
  const std::string texts[] = {"one", "two", "three"};
  static_assert(kReadingCacheEntries == 2);
  for (const std::string& t : texts)
    PutTextReading({t}, std::make_shared<TextReading>());
  const Cast none;
  EXPECT_EQ(TakeTextReading({texts[0]}, QuoteStyle::kDouble, none), nullptr);
  EXPECT_NE(TakeTextReading({texts[2]}, QuoteStyle::kDouble, none), nullptr);
  EXPECT_NE(TakeTextReading({texts[1]}, QuoteStyle::kDouble, none), nullptr);

  const std::string too_large(kReadingCacheBytes + 1, 'x');
  PutTextReading({too_large}, std::make_shared<TextReading>());
  EXPECT_EQ(TakeTextReading({too_large}, QuoteStyle::kDouble, none), nullptr);
}

}  // namespace
}  // namespace forkline::testing
