#include "daemon/workflow/workflow_loader.h"

#include <filesystem>
#include <fstream>

#include <boost/json/parse.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "daemon/executors/script_commit.h"
#include "daemon/workflow/workflow_catalog.h"
#include "tests/testutil/status_matchers.h"
#include "tests/testutil/temp_dir.h"

namespace forkline {
namespace {

using ::testing::HasSubstr;

constexpr const char* kGood = R"(kind = "novel_to_script_llm"
description = "Novel to screenplay with a language model"

[[steps]]
name = "ingest"
executor = "builtin"
action = "novel.ingest"

[[steps]]
name = "outline"
executor = "llm"
prompt = "Outline the story of {{input.title}}: {{steps.ingest.text}}"
model = "small"
max_attempts = 3
timeout_s = 300
params = { temperature = 0.2, stop = ["END"], nested = { on = true } }

[[steps]]
name = "convert"
executor = "exec"
argv = ["python3", "scripts/convert.py"]
foreach = "steps.outline.parts"

[[steps]]
name = "assemble"
executor = "builtin"
action = "novel.assemble"
)";

class WorkflowLoaderTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = dir_.Sub(name);
    std::ofstream(path) << text;
    return path;
  }
  Result<std::vector<WorkflowDefinition>> Load() {
    return LoadWorkflowDir(dir_.path(), IsNovelAction, {"novel_to_script"});
  }
  // Loads a folder holding only `text` as x.toml and returns the error message.
  std::string ErrorOf(const std::string& text) {
    Write("x.toml", text);
    auto defs = Load();
    EXPECT_FALSE(defs.ok()) << text;
    if (defs.ok()) return "";
    EXPECT_EQ(defs.status().code(), Code::kBadRequest);
    return defs.status().message();
  }
  std::string At(int line) { return dir_.Sub("x.toml") + ":" + std::to_string(line) + ": "; }

  testing::TempDir dir_;
};

TEST_F(WorkflowLoaderTest, LoadsTheDesignExample) {
  Write("llm.toml", kGood);
  auto defs = Load();
  ASSERT_OK(defs);
  ASSERT_EQ(defs->size(), 1u);
  const WorkflowDefinition& def = (*defs)[0];
  EXPECT_EQ(def.kind, "novel_to_script_llm");
  EXPECT_EQ(def.description, "Novel to screenplay with a language model");
  EXPECT_EQ(def.source, dir_.Sub("llm.toml"));
  ASSERT_EQ(def.steps.size(), 4u);
  EXPECT_EQ(def.steps[0].action, "novel.ingest");
  const StepDefinition& outline = def.steps[1];
  EXPECT_EQ(outline.executor, "llm");
  EXPECT_EQ(outline.model, "small");
  EXPECT_EQ(outline.max_attempts, 3u);
  EXPECT_EQ(outline.timeout_s, 300u);
  EXPECT_EQ(outline.params,
            boost::json::parse(R"({"temperature": 0.2, "stop": ["END"], "nested": {"on": true}})")
                .as_object());
  const StepDefinition& convert = def.steps[2];
  EXPECT_EQ(convert.argv, (std::vector<std::string>{"python3", "scripts/convert.py"}));
  EXPECT_EQ(convert.workdir, std::filesystem::absolute(dir_.path()).lexically_normal().string());
  EXPECT_EQ(convert.foreach, "steps.outline.parts");
  EXPECT_EQ(convert.max_attempts, 1u);
  EXPECT_EQ(convert.timeout_s, 0u);
  EXPECT_TRUE(def.steps[3].workdir.empty());
  // The stored form round-trips.
  auto back = StepsFromJson(StepsToJson(def.steps));
  ASSERT_OK(back);
  EXPECT_EQ(*back, def.steps);
}

TEST_F(WorkflowLoaderTest, MissingFolderIsEmpty) {
  auto defs = LoadWorkflowDir(dir_.Sub("absent"), IsNovelAction);
  ASSERT_OK(defs);
  EXPECT_TRUE(defs->empty());
}

TEST_F(WorkflowLoaderTest, ReadsTomlFilesSortedByName) {
  Write("b.toml", "kind = \"bbb\"\n[[steps]]\nname = \"s\"\nexecutor = \"llm\"\nprompt = \"p\"\n");
  Write("a.toml", "kind = \"aaa\"\n[[steps]]\nname = \"s\"\nexecutor = \"llm\"\nprompt = \"p\"\n");
  Write("notes.txt", "not toml at all [[[");
  auto defs = Load();
  ASSERT_OK(defs);
  ASSERT_EQ(defs->size(), 2u);
  EXPECT_EQ((*defs)[0].kind, "aaa");
  EXPECT_EQ((*defs)[1].kind, "bbb");
}

TEST_F(WorkflowLoaderTest, ErrorsNameFileAndLine) {
  const std::string head = "kind = \"k\"\n[[steps]]\nname = \"a\"\n";  // lines 1-3
  EXPECT_EQ(ErrorOf(head + "executor = \"shell\"\n"), At(4) + "unknown executor 'shell'");
  EXPECT_EQ(ErrorOf(head + "executor = \"builtin\"\naction = \"novel.fly\"\n"),
            At(5) + "unknown action 'novel.fly'");
  EXPECT_EQ(ErrorOf(head + "executor = \"llm\"\nprompt = \"p\"\n[[steps]]\nname = \"a\"\n"
                           "executor = \"llm\"\nprompt = \"q\"\n"),
            At(7) + "duplicate step name 'a'");
  EXPECT_EQ(ErrorOf(head + "executor = \"llm\"\nprompt = \"p\"\ncolour = \"red\"\n"),
            At(6) + "unknown key 'colour'");
  EXPECT_EQ(ErrorOf(head + "executor = \"builtin\"\naction = \"novel.ingest\"\nargv = [\"x\"]\n"),
            At(6) + "key 'argv' is not allowed for executor 'builtin'");
  EXPECT_THAT(ErrorOf(head + "executor = \"exec\"\n"), HasSubstr(At(2) + "missing 'argv'"));
  EXPECT_THAT(ErrorOf(head + "executor = \"exec\"\nargv = []\n"), HasSubstr(At(5) + "'argv'"));
  EXPECT_THAT(ErrorOf(head + "executor = \"exec\"\nargv = [\n\"a\",\n2]\n"),
              HasSubstr(At(7) + "'argv'"));
  EXPECT_THAT(ErrorOf(head + "executor = \"llm\"\n"), HasSubstr(At(2) + "missing 'prompt'"));
  EXPECT_THAT(ErrorOf(head + "executor = \"llm\"\nprompt = \"p\"\nmax_attempts = 0\n"),
              HasSubstr(At(6) + "'max_attempts'"));
  EXPECT_THAT(ErrorOf(head + "executor = \"llm\"\nprompt = \"p\"\ntimeout_s = \"1m\"\n"),
              HasSubstr(At(6) + "'timeout_s'"));
  EXPECT_THAT(ErrorOf(head + "executor = \"llm\"\nprompt = \"p\"\nparams = 3\n"),
              HasSubstr(At(6) + "'params' must be a table"));
  EXPECT_THAT(ErrorOf(head), HasSubstr(At(2) + "missing 'executor'"));
}

TEST_F(WorkflowLoaderTest, RepeatableIsABooleanDefaultingToTrue) {
  Write("x.toml", "kind = \"k\"\n"
                  "[[steps]]\nname = \"a\"\nexecutor = \"llm\"\nprompt = \"p\"\n"
                  "[[steps]]\nname = \"b\"\nexecutor = \"exec\"\nargv = [\"post\"]\n"
                  "repeatable = false\n"
                  "[[steps]]\nname = \"c\"\nexecutor = \"builtin\"\naction = \"novel.ingest\"\n"
                  "repeatable = true\n");
  auto defs = Load();
  ASSERT_OK(defs);
  ASSERT_EQ(defs->size(), 1u);
  const auto& steps = defs->front().steps;
  ASSERT_EQ(steps.size(), 3u);
  EXPECT_TRUE(steps[0].repeatable);
  EXPECT_FALSE(steps[1].repeatable);
  EXPECT_TRUE(steps[2].repeatable);

  const std::string head = "kind = \"k\"\n[[steps]]\nname = \"a\"\n";  // lines 1-3
  EXPECT_EQ(ErrorOf(head + "executor = \"exec\"\nargv = [\"x\"]\nrepeatable = \"no\"\n"),
            At(6) + "'repeatable' must be true or false");
  EXPECT_EQ(ErrorOf(head + "executor = \"llm\"\nprompt = \"p\"\nrepeatable = 0\n"),
            At(6) + "'repeatable' must be true or false");
}

TEST_F(WorkflowLoaderTest, TopLevelErrors) {
  const std::string step = "[[steps]]\nname = \"a\"\nexecutor = \"llm\"\nprompt = \"p\"\n";
  EXPECT_EQ(ErrorOf("kind = \"Bad-Kind\"\n" + step),
            At(1) + "kind 'Bad-Kind' must match [a-z0-9_]+");
  EXPECT_THAT(ErrorOf("description = \"d\"\n" + step), HasSubstr("missing 'kind'"));
  EXPECT_THAT(ErrorOf("kind = \"k\"\n"), HasSubstr("missing [[steps]]"));
  EXPECT_EQ(ErrorOf("kind = \"k\"\nversion = 2\n" + step), At(2) + "unknown key 'version'");
  EXPECT_THAT(ErrorOf("kind = \"k\"\n\n[[steps]]\nname = = 1\n"),
              HasSubstr(dir_.Sub("x.toml") + ":4:"));
  EXPECT_EQ(ErrorOf("\nkind = \"novel_to_script\"\n" + step),
            At(2) + "kind 'novel_to_script' is built in and cannot be redefined");
}

TEST_F(WorkflowLoaderTest, DuplicateKindAcrossFiles) {
  const std::string text =
      "kind = \"k\"\n[[steps]]\nname = \"a\"\nexecutor = \"llm\"\n"
      "prompt = \"p\"\n";
  Write("one.toml", text);
  Write("two.toml", text);
  auto defs = Load();
  ASSERT_FALSE(defs.ok());
  EXPECT_EQ(defs.status().message(),
            dir_.Sub("two.toml") + ":1: kind 'k' is already defined in " + dir_.Sub("one.toml"));
}

TEST_F(WorkflowLoaderTest, ForeachMustRangeOverAnEarlierPlainStep) {
  // lines 1-5: step a; 6-10: step b (foreach over a); 11-14: step c; 15: its foreach
  const std::string head =
      "kind = \"k\"\n[[steps]]\nname = \"a\"\nexecutor = \"llm\"\nprompt = \"p\"\n"
      "[[steps]]\nname = \"b\"\nexecutor = \"llm\"\nprompt = \"p\"\nforeach = \"steps.a.list\"\n"
      "[[steps]]\nname = \"c\"\nexecutor = \"llm\"\nprompt = \"p\"\n";
  EXPECT_EQ(ErrorOf(head + "foreach = \"input.list\"\n"),
            At(15) + "foreach 'input.list' must be steps.<step>.<field>");
  EXPECT_EQ(ErrorOf(head + "foreach = \"steps.a\"\n"),
            At(15) + "foreach 'steps.a' must be steps.<step>.<field>");
  EXPECT_EQ(ErrorOf(head + "foreach = \"steps.c.list\"\n"),
            At(15) + "foreach 'steps.c.list': no earlier step named 'c'");
  EXPECT_EQ(ErrorOf(head + "foreach = \"steps.z.list\"\n"),
            At(15) + "foreach 'steps.z.list': no earlier step named 'z'");
  EXPECT_EQ(ErrorOf(head + "foreach = \"steps.b.list\"\n"),
            At(15) + "foreach 'steps.b.list': step 'b' is a foreach step; range over its "
                     "source's array instead");
  Write("x.toml", head + "foreach = \"steps.a.json.episodes\"\n");
  auto defs = Load();
  ASSERT_OK(defs);
  EXPECT_EQ(defs->at(0).steps[2].foreach, "steps.a.json.episodes");
}

TEST_F(WorkflowLoaderTest, IsBuiltinActionDecidesActions) {
  Write("x.toml",
        "kind = \"k\"\n[[steps]]\nname = \"a\"\nexecutor = \"builtin\"\n"
        "action = \"custom.thing\"\n");
  auto defs = LoadWorkflowDir(dir_.path(), [](std::string_view a) { return a == "custom.thing"; });
  ASSERT_OK(defs);
  EXPECT_EQ((*defs)[0].steps[0].action, "custom.thing");
}

TEST(WorkflowCatalogTest, BuiltinNovelToScript) {
  const WorkflowDefinition def = BuiltinNovelToScript();
  EXPECT_EQ(def.kind, "novel_to_script");
  EXPECT_FALSE(def.description.empty());
  EXPECT_EQ(def.source, "builtin");
  const std::vector<std::string> names = {"ingest", "characters", "scenes", "screenplay",
                                          "assemble"};
  ASSERT_EQ(def.steps.size(), names.size());
  for (std::size_t i = 0; i < names.size(); ++i) {
    EXPECT_EQ(def.steps[i].name, names[i]);
    EXPECT_EQ(def.steps[i].executor, "builtin");
    EXPECT_EQ(def.steps[i].action, "novel." + names[i]);
    EXPECT_TRUE(IsNovelAction(def.steps[i].action));
  }
  EXPECT_FALSE(IsNovelAction("novel.fly"));
  const boost::json::object summary = WorkflowSummaryJson(def);
  EXPECT_EQ(summary.at("kind"), "novel_to_script");
  EXPECT_EQ(summary.at("steps").as_array()[0],
            boost::json::parse(R"({"name": "ingest", "executor": "builtin"})"));
}

TEST(WorkflowCatalogTest, BuiltinFirstThenFiles) {
  testing::TempDir dir;
  std::ofstream(dir.Sub("llm.toml")) << kGood;
  auto catalog = BuildWorkflowCatalog(dir.path(), IsNovelAction);
  ASSERT_OK(catalog);
  ASSERT_EQ(catalog->All().size(), 2u);
  EXPECT_EQ(catalog->All()[0].kind, "novel_to_script");
  EXPECT_EQ(catalog->All()[1].kind, "novel_to_script_llm");
  ASSERT_NE(catalog->Find("novel_to_script_llm"), nullptr);
  EXPECT_EQ(catalog->Find("novel_to_script_llm")->steps.size(), 4u);
  EXPECT_EQ(catalog->Find("nope"), nullptr);
  EXPECT_EQ(catalog->Add(BuiltinNovelToScript()).code(), Code::kConflict);
}

TEST(WorkflowCatalogTest, FileMayNotRedefineBuiltin) {
  testing::TempDir dir;
  std::ofstream(dir.Sub("n.toml")) << "kind = \"novel_to_script\"\n[[steps]]\nname = \"a\"\n"
                                      "executor = \"llm\"\nprompt = \"p\"\n";
  auto catalog = BuildWorkflowCatalog(dir.path(), IsNovelAction);
  ASSERT_FALSE(catalog.ok());
  EXPECT_THAT(catalog.status().message(), HasSubstr("n.toml:1: kind 'novel_to_script'"));
}

TEST(WorkflowCatalogTest, ShippedWorkflowFilesLoad) {
  // The builtin actions forklined knows: novel.* and script.commit.
  auto catalog = BuildWorkflowCatalog(std::string(FORKLINE_SOURCE_DIR) + "/config/workflows",
                                      IsKnownBuiltinAction);
  ASSERT_OK(catalog);
  EXPECT_NE(catalog->Find("novel_to_script"), nullptr);
  EXPECT_NE(catalog->Find("novel_stats"), nullptr);
  const WorkflowDefinition* llm = catalog->Find("novel_to_script_llm");
  ASSERT_NE(llm, nullptr);
  ASSERT_EQ(llm->steps.size(), 5u);
  EXPECT_EQ(llm->steps[1].foreach, "steps.breakdown.json.episodes");
  EXPECT_EQ(llm->steps[4].action, "script.commit");
}

}  // namespace
}  // namespace forkline
