#include "daemon/workflow/definition.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include "daemon/workflow/workflow_catalog.h"
#include "tests/testutil/status_matchers.h"

namespace forkline {
namespace {

StepDefinition FullStep() {
  StepDefinition s;
  s.name = "convert";
  s.executor = "exec";
  s.argv = {"python3", "scripts/convert.py", "--fast"};
  s.workdir = "/etc/forkline/workflows";
  s.foreach = "steps.scenes.scenes";
  s.max_attempts = 3;
  s.timeout_s = 60;
  s.params = boost::json::parse(R"({"temperature": 0.2, "tags": ["a", 1], "deep": {"x": null}})")
                 .as_object();
  return s;
}

TEST(DefinitionTest, StepRoundTripsExactly) {
  StepDefinition llm;
  llm.name = "outline";
  llm.executor = "llm";
  llm.prompt = "Outline {{input.title}}";
  llm.model = "gpt-x";
  for (const StepDefinition& step : {FullStep(), llm, BuiltinNovelToScript().steps[0]}) {
    const boost::json::object json = ToJson(step);
    auto back = StepFromJson(json);
    ASSERT_OK(back);
    EXPECT_EQ(*back, step);
    EXPECT_EQ(ToJson(*back), json);
    // Through text too, as it is stored in run.created.
    auto reparsed = StepFromJson(boost::json::parse(boost::json::serialize(json)));
    ASSERT_OK(reparsed);
    EXPECT_EQ(*reparsed, step);
  }
}

TEST(DefinitionTest, StoredFormHasTheFieldsSet) {
  const boost::json::object json = ToJson(FullStep());
  EXPECT_EQ(json.at("name"), "convert");
  EXPECT_EQ(json.at("executor"), "exec");
  EXPECT_EQ(json.at("argv").as_array().size(), 3u);
  EXPECT_EQ(json.at("foreach"), "steps.scenes.scenes");
  EXPECT_EQ(json.at("max_attempts"), 3);
  EXPECT_FALSE(json.contains("prompt"));  // empty fields are left out
  const boost::json::object builtin = ToJson(BuiltinNovelToScript().steps[4]);
  EXPECT_EQ(builtin.at("action"), "novel.assemble");
  EXPECT_EQ(builtin.at("max_attempts"), 1);
  EXPECT_EQ(builtin.at("timeout_s"), 0);
  EXPECT_TRUE(builtin.at("params").as_object().empty());
}

TEST(DefinitionTest, StepsRoundTrip) {
  const auto steps = BuiltinNovelToScript().steps;
  const boost::json::array json = StepsToJson(steps);
  ASSERT_EQ(json.size(), 5u);
  auto back = StepsFromJson(json);
  ASSERT_OK(back);
  EXPECT_EQ(*back, steps);
}

TEST(DefinitionTest, StepFromJsonRefusesBadShapes) {
  for (const char* text : {
           R"([])",
           R"({"executor": "exec"})",
           R"({"name": "a"})",
           R"({"name": 1, "executor": "exec"})",
           R"({"name": "a", "executor": "exec", "argv": "x"})",
           R"({"name": "a", "executor": "exec", "argv": [1]})",
           R"({"name": "a", "executor": "exec", "max_attempts": -1})",
           R"({"name": "a", "executor": "exec", "max_attempts": 0})",
           R"({"name": "a", "executor": "exec", "timeout_s": 5000000000})",
           R"({"name": "a", "executor": "exec", "params": []})",
           R"({"name": "a", "executor": "exec", "repeatable": "no"})",
       }) {
    auto step = StepFromJson(boost::json::parse(text));
    EXPECT_FALSE(step.ok()) << text;
    if (!step.ok()) {
      EXPECT_EQ(step.status().code(), Code::kBadRequest) << text;
    }
  }
  EXPECT_FALSE(StepsFromJson(boost::json::parse(R"({})")).ok());
  EXPECT_FALSE(StepsFromJson(boost::json::parse(R"([{"name": "a"}])")).ok());
}

// A stored step without "repeatable" (every run recorded before the flag existed) is
// repeatable; only false is written, so the stored form of other steps is unchanged.
TEST(DefinitionTest, RepeatableDefaultsToTrueAndOnlyFalseIsStored) {
  auto old = StepFromJson(boost::json::parse(R"({"name": "a", "executor": "exec",
      "argv": ["x"], "max_attempts": 1, "timeout_s": 0, "params": {}})"));
  ASSERT_OK(old);
  EXPECT_TRUE(old->repeatable);
  EXPECT_FALSE(ToJson(*old).contains("repeatable"));
  StepDefinition post = *old;
  post.repeatable = false;
  const boost::json::object stored = ToJson(post);
  EXPECT_EQ(stored.at("repeatable"), boost::json::value(false));
  auto back = StepFromJson(stored);
  ASSERT_OK(back);
  EXPECT_EQ(*back, post);
}

TEST(DefinitionTest, UnknownKeysAreIgnored) {
  auto step = StepFromJson(boost::json::parse(R"({"name": "a", "executor": "builtin",
      "action": "novel.ingest", "future_key": {"x": 1}})"));
  ASSERT_OK(step);
  EXPECT_EQ(step->action, "novel.ingest");
}

}  // namespace
}  // namespace forkline
