#include "daemon/executors/prompt_template.h"

#include <boost/json/parse.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace forkline {
namespace {

using ::testing::HasSubstr;

boost::json::object Context() {
  return boost::json::parse(R"({
    "run_id": "r1", "kind": "k", "title": "T",
    "input": {"text": "Once upon a time.", "title": "Alice"},
    "steps": {"breakdown": {"episodes": [{"title": "One", "beats": ["a", "b"]}, {"title": "Two"}],
                            "count": 2, "ok": true, "none": null}},
    "item": {"title": "Two", "n": 2}
  })")
      .as_object();
}

std::string Render(std::string_view tmpl) {
  auto r = RenderPrompt(tmpl, Context());
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : "";
}

TEST(PromptTemplateTest, InsertsStringsAsTheyAre) {
  EXPECT_EQ(Render("Outline {{input.title}}: {{input.text}}"), "Outline Alice: Once upon a time.");
}

TEST(PromptTemplateTest, SpacesInsideBracesAreAllowed) {
  EXPECT_EQ(Render("[{{ input.title }}]"), "[Alice]");
}

TEST(PromptTemplateTest, OtherValuesAsCompactJson) {
  EXPECT_EQ(Render("{{steps.breakdown.count}} {{steps.breakdown.ok}} {{steps.breakdown.none}}"),
            "2 true null");
  EXPECT_EQ(Render("{{steps.breakdown.episodes.1}}"), R"({"title":"Two"})");
  EXPECT_EQ(Render("{{item}}"), R"({"title":"Two","n":2})");
}

TEST(PromptTemplateTest, IndexesArraysByDotOrBrackets) {
  EXPECT_EQ(Render("{{steps.breakdown.episodes.0.title}}"), "One");
  EXPECT_EQ(Render("{{steps.breakdown.episodes[0].beats[1]}}"), "b");
  EXPECT_EQ(Render("{{item.title}}"), "Two");
}

TEST(PromptTemplateTest, LeavesNonPlaceholdersAlone) {
  EXPECT_EQ(Render(R"(Reply as {{"episodes": []}} for {{input.title}})"),
            R"(Reply as {{"episodes": []}} for Alice)");
  EXPECT_EQ(Render("{{{input.title}}}"), "{Alice}");
  EXPECT_EQ(Render("open {{ and never closed"), "open {{ and never closed");
  EXPECT_EQ(Render("{{}} {{ }}"), "{{}} {{ }}");
  EXPECT_EQ(Render(""), "");
}

TEST(PromptTemplateTest, MissingValueIsAnError) {
  for (const char* tmpl : {"{{input.author}}", "{{steps.nope.x}}", "{{steps.breakdown.episodes.7}}",
                           "{{input.title.x}}", "{{steps.breakdown.episodes.x}}"}) {
    auto r = RenderPrompt(tmpl, Context());
    ASSERT_FALSE(r.ok()) << tmpl;
    EXPECT_EQ(r.status().code(), Code::kBadRequest);
    EXPECT_THAT(r.status().message(), HasSubstr(std::string(tmpl).substr(2, 6)));
  }
}

TEST(PromptTemplateTest, ItemIsAbsentOutsideForeach) {
  boost::json::object context = Context();
  context.erase("item");
  EXPECT_FALSE(RenderPrompt("{{item}}", context).ok());
}

TEST(PromptTemplateTest, LookupPath) {
  const auto context = Context();
  ASSERT_NE(LookupPath(context, "steps.breakdown.episodes"), nullptr);
  EXPECT_TRUE(LookupPath(context, "steps.breakdown.episodes")->is_array());
  EXPECT_EQ(LookupPath(context, "steps..x"), nullptr);
  EXPECT_EQ(LookupPath(context, "steps.breakdown.episodes[x]"), nullptr);
  EXPECT_EQ(LookupPath(context, ""), nullptr);
}

}  // namespace
}  // namespace forkline
