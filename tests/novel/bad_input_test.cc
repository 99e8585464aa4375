// Bad input never crashes or hangs: it fails with a clear message or gives a script.
#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "daemon/novel/novel_actions.h"
#include "tests/novel/pipeline.h"

namespace forkline::testing {
namespace {
namespace json = boost::json;

void ExpectBadInput(std::string_view text, std::string_view words) {
  const Pipeline p = RunPipeline(text);
  ASSERT_FALSE(p.ok);
  EXPECT_EQ(p.failed_action, "ingest");
  EXPECT_EQ(p.error.code, "bad_input");
  EXPECT_NE(p.error.message.find(words), std::string::npos) << p.error.message;
}

TEST(BadInput, EmptyAndBinaryFailClearly) {
  ExpectBadInput("", "empty");
  ExpectBadInput("   \n\n ", "empty");
  std::string binary;
  for (int i = 0; i < 10000; ++i)
    binary.push_back(static_cast<char>((i * 131) % 256));
  ExpectBadInput(binary, "binary");
  ExpectBadInput("!!! ... ---", "no words");
}

TEST(BadInput, InvalidUtf8StillGivesAScript) {
  const Pipeline p = RunPipeline("\xC0\xC1 'Hello,' said Ann\xE9. 'Bye,' said Bob.\n");
  ASSERT_TRUE(p.ok) << p.error.message;
  EXPECT_EQ(p.ingest.at("encoding").as_string(), "latin-1");
}

TEST(BadInput, NoQuotesAtAllIsAllAction) {
  const Pipeline p = RunPipeline("It rained. The town slept in the dark night.\n\nNobody came.\n",
                                 json::object{{"title", "Rain"}, {"author", "A. Writer"}});
  ASSERT_TRUE(p.ok) << p.error.message;
  const json::object& stats = p.assemble.at("stats").as_object();
  EXPECT_EQ(stats.at("characters").to_number<int>(), 0);
  EXPECT_EQ(stats.at("scenes").to_number<int>(), 1);
  const std::string_view f = p.assemble.at("fountain").as_string();
  EXPECT_EQ(f.rfind("Title: Rain\n", 0), 0u);
  EXPECT_NE(f.find("Author: A. Writer"), std::string_view::npos);
  EXPECT_NE(f.find("NIGHT"), std::string_view::npos);
}

TEST(BadInput, MissingEarlierStepIsNamed) {
  const json::object context{{"input", json::object{{"text", "x"}}},
                             {"step", json::object{{"params", json::object()}}},
                             {"steps", json::object()}};
  const StepResult r = RunAction("novel.screenplay", context);
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.code, "bad_input");
  EXPECT_NE(r.error.message.find("steps.ingest"), std::string::npos);
  EXPECT_FALSE(RunAction("novel.nothing", context).ok);
  EXPECT_TRUE(IsNovelAction("novel.assemble"));
  EXPECT_FALSE(IsNovelAction("novel.nothing"));
}

TEST(BadInput, FromParamsRenamesAnEarlierStep) {
  const Pipeline p = RunPipeline("'Hi,' said Ann.\n");
  ASSERT_TRUE(p.ok);
  const json::object context{
      {"input", json::object{{"text", "x"}}},
      {"step", json::object{{"params", json::object{{"from_ingest", "my_ingest"}}}}},
      {"steps", json::object{{"my_ingest", p.ingest}}}};
  const StepResult r = RunAction("novel.characters", context);
  ASSERT_TRUE(r.ok) << r.error.message;
  EXPECT_EQ(r.output.at("characters").as_array()[0].at("name").as_string(), "ANN");
}

TEST(BadInput, TwentyMegabytesCompletes) {
  std::string big;
  const std::string para =
      "'Where are you going?' said the Knight, riding through the forest "
      "at night. The horse stumbled twice and the moon rose.\n\n";
  while (big.size() < (20u << 20))
    big += para;
  const Pipeline p = RunPipeline(big);
  ASSERT_TRUE(p.ok) << p.error.message;
  EXPECT_EQ(p.characters.at("characters").as_array()[0].at("name").as_string(), "KNIGHT");
}

TEST(BadInput, AbortStopsALongText) {
  std::string big;
  while (big.size() < (20u << 20))
    big += "She walked on. 'Hello,' said Ann.\n\n";
  json::object context{{"input", json::object{{"text", big}}},
                       {"step", json::object{{"params", json::object()}}},
                       {"steps", json::object()}};
  StepDefinition def;
  std::atomic<bool> abort{true};
  const StepTask task{context, def, abort, {}, std::chrono::milliseconds(0), 0};
  const StepResult r = RunNovelAction("novel.ingest", task);
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.code, "aborted");
}

}  // namespace
}  // namespace forkline::testing
