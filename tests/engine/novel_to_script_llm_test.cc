// novel_to_script_llm end to end (issue 5): the shipped workflow file, run by the engine
// on a real RocksDB store with the real `llm` and `builtin` executors against the fake
// OpenAI-compatible server (real sockets on loopback), which answers by the prompt.
#include <boost/json.hpp>
#include <cstdlib>
#include <fstream>

#include "daemon/executors/builtin_executor.h"
#include "daemon/executors/llm_executor.h"
#include "daemon/executors/script_commit.h"
#include "daemon/workflow/workflow_loader.h"
#include "projections/fold.h"
#include "tests/engine/engine_fixture.h"
#include "tests/executors/fake_llm_server.h"

namespace forkline::testing {
namespace {
namespace json = boost::json;

constexpr char kNovel[] =
    "CHAPTER I. Down the Rabbit-Hole\n\nAlice was beginning to get very tired. 'Oh dear!' said "
    "the Rabbit.\n\nCHAPTER II. The Pool of Tears\n\n'Curiouser and curiouser!' cried Alice.\n";

std::string Between(const std::string& text, const std::string& from, const std::string& to) {
  const std::size_t a = text.find(from);
  if (a == std::string::npos) return "";
  const std::size_t b = text.find(to, a + from.size());
  return text.substr(a + from.size(), b == std::string::npos ? std::string::npos : b - a - from.size());
}

// Pieces of `text` as stream deltas, so the executor reassembles them.
FakeReply Stream(const std::string& text) {
  std::vector<std::string> deltas;
  for (std::size_t i = 0; i < text.size(); i += 40) deltas.push_back(text.substr(i, 40));
  return StreamReply(deltas);
}

// The fake model: a canned breakdown, and per-episode drafts, notes and fixes that name
// the episode they were asked about (so the test can tell them apart).
FakeReply Answer(const FakeRequest& request) {
  const json::value body = json::parse(request.body);
  const std::string prompt(body.at("messages").as_array().back().at("content").as_string());
  if (prompt.find("Break the novel below into episodes") != std::string::npos) {
    return Stream(R"(```json
{"episodes": [
  {"title": "Down the Hole", "chapters": {"from": 1, "to": 1}, "beats": ["Alice follows the Rabbit"]},
  {"title": "The Pool", "chapters": {"from": 2, "to": 2}, "beats": ["Alice grows", "Alice cries"]}]}
```)");
  }
  if (prompt.find("Write the screenplay draft") != std::string::npos) {
    const std::string title = Between(prompt, "\nEpisode: ", "\n");
    return Stream("INT. RABBIT HOLE - DAY\n\nAlice falls.\n\nALICE\nDraft of " + title + ".\n");
  }
  if (prompt.find("Critique this screenplay draft") != std::string::npos) {
    return Stream("1. Notes on " + Between(prompt, "Draft of ", ".") + ": shorter lines.");
  }
  if (prompt.find("Revise the draft") != std::string::npos) {
    const std::string title = Between(prompt, "Draft of ", ".");
    const std::string notes = Between(prompt, "1. Notes on ", ":");
    return Stream("```fountain\nEXT. RIVERBANK - DAY\n\nAlice sits by her sister.\n\nALICE\nFixed " +
                  title + " after notes on " + notes + ".\n```");
  }
  return StatusReply(400, R"({"error": {"message": "the fake does not know this prompt"}})");
}

class NovelToScriptLlmTest : public EngineTest {
 protected:
  void SetUp() override {
    EngineTest::SetUp();
    server_.Respond(Answer);
    LlmOptions options;
    options.base_url = server_.base_url();
    options.model = "fake-model";
    options.backoff_initial = std::chrono::milliseconds(1);
    llm_ = std::make_unique<LlmExecutor>(options);
    executors_ = {{"llm", llm_.get()}, {"builtin", &builtin_}};
    auto def = LoadWorkflowFile(
        std::string(FORKLINE_SOURCE_DIR) + "/config/workflows/novel_to_script_llm.toml",
        IsKnownBuiltinAction);
    ASSERT_OK(def);
    StartEngine({*def});
  }

  std::string CreateNovel() {
    json::object input{{"text", kNovel}, {"title", "Alice"}, {"author", "Lewis Carroll"}};
    return std::string(Ok("run.create", {{"kind", "novel_to_script_llm"}, {"input", input}})
                           .at("run").at("id").as_string());
  }

  FakeLlmServer server_;
  std::unique_ptr<LlmExecutor> llm_;
  BuiltinExecutor builtin_;
};

std::vector<std::string> Names(const json::object& run) {
  std::vector<std::string> names;
  for (const auto& s : run.at("steps").as_array()) names.emplace_back(s.at("name").as_string());
  return names;
}

TEST_F(NovelToScriptLlmTest, RunsEndToEndIntoOneFountainScript) {
  const std::string run = CreateNovel();
  EXPECT_EQ(Names(Get(run)), (std::vector<std::string>{"breakdown", "draft", "critic", "fix", "commit"}));
  json::object breakdown = Ok("run.next", {{"run_id", run}});
  ASSERT_EQ(breakdown.at("step").at("status").as_string(), "completed")
      << json::serialize(breakdown.at("step"));
  EXPECT_EQ(Names(breakdown.at("run").as_object()),
            (std::vector<std::string>{"breakdown", "draft[0]", "draft[1]", "critic[0]", "critic[1]",
                                      "fix[0]", "fix[1]", "commit"}));
  json::object draft = Ok("run.next", {{"run_id", run}});
  EXPECT_EQ(draft.at("step").at("name").as_string(), "draft[0]");
  EXPECT_NE(draft.at("step").at("output").at("text").as_string().find("Draft of Down the Hole."),
            json::string::npos);

  Ok("run.autorun", {{"run_id", run}, {"enabled", true}});
  WaitForStatus(run, "completed");
  const json::object done = Get(run);
  ASSERT_EQ(done.at("cursor").to_number<int>(), 8);
  const json::object& commit = done.at("steps").at(7).at("output").as_object();
  const std::string fountain(commit.at("fountain").as_string());
  EXPECT_EQ(fountain.rfind("Title: Alice\nAuthor: Lewis Carroll\n", 0), 0u) << fountain;
  const std::size_t one = fountain.find("# Episode 1: Down the Hole\n\nEXT. RIVERBANK - DAY");
  const std::size_t two = fountain.find("# Episode 2: The Pool\n");
  ASSERT_NE(one, std::string::npos) << fountain;
  ASSERT_NE(two, std::string::npos) << fountain;
  EXPECT_LT(one, two);
  // Each fix saw its own episode's draft and notes (context `each`), not a neighbour's.
  EXPECT_NE(fountain.find("Fixed Down the Hole after notes on Down the Hole."), std::string::npos);
  EXPECT_NE(fountain.find("Fixed The Pool after notes on The Pool."), std::string::npos);
  EXPECT_EQ(fountain.find("```"), std::string::npos) << "fences are dropped";
  EXPECT_EQ(commit.at("stats").at("episodes").to_number<int>(), 2);
  EXPECT_EQ(commit.at("stats").at("scenes").to_number<int>(), 2);
  EXPECT_EQ(server_.requests().size(), 7u);  // breakdown + 3 steps × 2 episodes

  // An independent parser reads the script with as many scenes as the stats say.
  const std::string file = dir_.Sub("script.fountain");
  std::ofstream(file) << fountain;
  const std::string root = FORKLINE_SOURCE_DIR;
  const std::string cmd = "NODE_PATH='" + root + "/node_modules' node '" + root +
                          "/tests/novel/fountain_check.js' '" + file + "' 2 >/dev/null";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd << "\n(needs node and fountain-js: scripts/npm-deps)";

  auto folded = Fold(History(run), Payloads::kKeep);
  ASSERT_OK(folded);
  EXPECT_EQ(json::serialize(RunToJson(*folded, RunDetail::kFull)), json::serialize(Get(run)));
}

TEST_F(NovelToScriptLlmTest, AForkWithAnEditedBreakdownWritesItsOwnEpisodes) {
  const std::string run = CreateNovel();
  Ok("run.autorun", {{"run_id", run}, {"enabled", true}});
  WaitForStatus(run, "completed");
  json::object edited{{"text", "(edited by hand)"},
                      {"json", {{"episodes", {{{"title", "Everything"},
                                                     {"chapters", {{"from", 1}, {"to", 2}}},
                                                     {"beats", {"all of it"}}}}}}}};
  const std::string fork = std::string(
      Ok("run.fork", {{"run_id", run}, {"at", 1}, {"override", {{"output", edited}}}, {"autorun", true}})
          .at("run").at("id").as_string());
  WaitForStatus(fork, "completed");
  const json::object f = Get(fork);
  EXPECT_EQ(Names(f), (std::vector<std::string>{"breakdown", "draft[0]", "critic[0]", "fix[0]", "commit"}));
  const std::string fountain(f.at("steps").at(4).at("output").at("fountain").as_string());
  EXPECT_NE(fountain.find("# Episode 1: Everything\n"), std::string::npos) << fountain;
  EXPECT_EQ(fountain.find("# Episode 2"), std::string::npos) << fountain;
  EXPECT_EQ(Get(run).at("total_steps").to_number<int>(), 8) << "the source keeps its episodes";
}

TEST_F(NovelToScriptLlmTest, ABreakdownWithoutEpisodesFailsTheDraftStepClearly) {
  const std::string run = CreateNovel();
  Ok("run.next", {{"run_id", run}});
  json::object no_list{{"text", "{}"}, {"json", json::object{}}};
  const std::string fork = std::string(
      Ok("run.fork", {{"run_id", run}, {"at", 1}, {"override", {{"output", no_list}}}})
          .at("run").at("id").as_string());
  json::object r = Ok("run.next", {{"run_id", fork}});
  EXPECT_EQ(r.at("step").at("name").as_string(), "draft");
  EXPECT_EQ(r.at("step").at("error").at("code").as_string(), "bad_foreach");
  EXPECT_NE(r.at("step").at("error").at("message").as_string().find(
                "steps.breakdown.json.episodes is missing from the output"),
            json::string::npos);
  EXPECT_EQ(r.at("run").at("status").as_string(), "failed");
}

}  // namespace
}  // namespace forkline::testing

namespace forkline {
namespace {

StepResult Commit(const std::string& context_json, boost::json::object params = {}) {
  const boost::json::object context = boost::json::parse(context_json).as_object();
  StepDefinition step;
  step.name = "commit";
  step.executor = "builtin";
  step.action = "script.commit";
  step.params = std::move(params);
  std::atomic<bool> abort{false};
  StepTask task{context, step, abort, [](StepProgress) {}, std::chrono::seconds(5), 1 << 20};
  return BuiltinExecutor().Run(task);
}

TEST(ScriptCommitTest, RefusesAMissingOrBrokenEpisodeList) {
  StepResult none = Commit(R"({"title": "T", "input": {}, "steps": {}})");
  ASSERT_FALSE(none.ok);
  EXPECT_EQ(none.error.code, "bad_input");
  EXPECT_EQ(none.error.message, "script.commit needs steps.fix: the array of a foreach step's outputs");
  StepResult no_text = Commit(R"({"title": "T", "input": {}, "steps": {"fix": [{"text": "A"}, {}]}})");
  ASSERT_FALSE(no_text.ok);
  EXPECT_EQ(no_text.error.message, "script.commit: steps.fix[1] has no text in \"text\"");
}

TEST(ScriptCommitTest, AssemblesEpisodesFromTheNamedStep) {
  StepResult r = Commit(R"({"title": "Run title", "input": {},
      "steps": {"polish": [{"body": "INT. HALL - NIGHT\r\n\r\nRain.\n"}, {"body": ".THE ROOF\n\nWind."}]}})",
                        {{"from", "polish"}, {"field", "body"}});
  ASSERT_TRUE(r.ok) << r.error.message;
  EXPECT_EQ(std::string(r.output.at("fountain").as_string()),
            "Title: Run title\nSource: written with Forkline (novel_to_script_llm)\n\n"
            "# Episode 1\n\nINT. HALL - NIGHT\n\nRain.\n\n# Episode 2\n\n.THE ROOF\n\nWind.\n\n");
  EXPECT_EQ(r.output.at("stats").at("scenes").to_number<int>(), 2);
  EXPECT_EQ(r.output.at("stats").at("episodes").to_number<int>(), 2);
  EXPECT_TRUE(IsKnownBuiltinAction("script.commit"));
  EXPECT_TRUE(IsKnownBuiltinAction("novel.assemble"));
  EXPECT_FALSE(IsKnownBuiltinAction("script.fly"));
}

TEST(ScriptCommitTest, AnEmptyListIsATitlePageOnly) {
  StepResult r = Commit(R"({"title": "T", "input": {"title": "Novel", "author": "A. N. Author"},
                            "steps": {"fix": []}})");
  ASSERT_TRUE(r.ok) << r.error.message;
  EXPECT_EQ(std::string(r.output.at("fountain").as_string()),
            "Title: Novel\nAuthor: A. N. Author\nSource: written with Forkline (novel_to_script_llm)\n\n");
}

}  // namespace
}  // namespace forkline
