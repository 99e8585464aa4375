// foreach steps through the engine (issue 5): run.next and autorun through an
// expansion, forks inside it and with an override that changes the array, a restart.
#include <boost/json.hpp>

#include "projections/fold.h"
#include "tests/engine/engine_fixture.h"

namespace forkline::testing {
namespace {
namespace json = boost::json;

StepDefinition Fake(const std::string& name, const std::string& foreach = "",
                    json::object params = {}) {
  StepDefinition s;
  s.name = name;
  s.executor = "fake";
  s.foreach = foreach;
  s.params = std::move(params);
  return s;
}

// breakdown (emits `episodes`) -> draft foreach -> critic foreach -> commit.
WorkflowDefinition Episodes(json::array episodes, bool with_commit = true) {
  WorkflowDefinition w;
  w.kind = "episodes";
  w.source = "test";
  w.steps = {Fake("breakdown", "", {{"emit", {{"episodes", std::move(episodes)}}}}),
             Fake("draft", "steps.breakdown.episodes"),
             Fake("critic", "steps.breakdown.episodes")};
  if (with_commit) w.steps.push_back(Fake("commit", "", {{"echo", "critic"}}));
  return w;
}

std::vector<std::string> Names(const json::object& run) {
  std::vector<std::string> names;
  for (const auto& s : run.at("steps").as_array()) names.emplace_back(s.at("name").as_string());
  return names;
}
std::uint64_t Num(const json::value& v) { return v.to_number<std::uint64_t>(); }
std::string Id(const json::object& reply) { return std::string(reply.at("run").at("id").as_string()); }

class ForeachEngineTest : public EngineTest {
 protected:
  // The live run (run.get) must equal the fold of its log.
  void ExpectLiveEqualsLog(const std::string& run) {
    auto folded = Fold(History(run), Payloads::kKeep);
    ASSERT_OK(folded);
    json::object live = Get(run);
    json::object from_log = RunToJson(*folded, RunDetail::kFull);
    EXPECT_EQ(json::serialize(live), json::serialize(from_log));
  }
};

TEST_F(ForeachEngineTest, NextWalksThroughTheExpansionOneConcreteStepAtATime) {
  StartEngine({Episodes({"a", "b", "c"})});
  const std::string run = Create("episodes");
  json::object r = Get(run);
  EXPECT_EQ(Names(r), (std::vector<std::string>{"breakdown", "draft", "critic", "commit"}));
  EXPECT_EQ(Num(r.at("total_steps")), 4u);

  json::object first = Ok("run.next", {{"run_id", run}});
  EXPECT_EQ(Num(first.at("run").at("total_steps")), 8u);
  EXPECT_EQ(Names(first.at("run").as_object()),
            (std::vector<std::string>{"breakdown", "draft[0]", "draft[1]", "draft[2]", "critic[0]",
                                      "critic[1]", "critic[2]", "commit"}));
  for (int i = 0; i < 3; ++i) {
    json::object draft = Ok("run.next", {{"run_id", run}});
    const json::object& step = draft.at("step").as_object();
    EXPECT_EQ(step.at("name").as_string(), "draft[" + std::to_string(i) + "]");
    EXPECT_EQ(Num(step.at("index")), static_cast<std::uint64_t>(i + 1));
    EXPECT_EQ(step.at("output").at("item"), json::value(std::string(1, static_cast<char>('a' + i))));
    EXPECT_EQ(Num(step.at("output").at("item_index")), static_cast<std::uint64_t>(i));
    EXPECT_EQ(Num(draft.at("run").at("cursor")), static_cast<std::uint64_t>(i + 2));
  }
  json::object critic = Ok("run.next", {{"run_id", run}});
  EXPECT_EQ(critic.at("step").at("name").as_string(), "critic[0]");
  // `each` holds the same element's earlier foreach outputs; steps.draft is the array.
  EXPECT_EQ(critic.at("step").at("output").at("each").at("draft").at("step").as_string(), "draft[0]");
  EXPECT_EQ(critic.at("step").at("output").at("seen"), (json::array{"breakdown", "draft"}));
  Ok("run.next", {{"run_id", run}});
  Ok("run.next", {{"run_id", run}});
  json::object commit = Ok("run.next", {{"run_id", run}});
  EXPECT_EQ(commit.at("step").at("name").as_string(), "commit");
  const json::array& critics = commit.at("step").at("output").at("from").as_array();
  ASSERT_EQ(critics.size(), 3u);
  EXPECT_EQ(critics[2].at("step").as_string(), "critic[2]");
  EXPECT_EQ(commit.at("run").at("status").as_string(), "completed");
  EXPECT_EQ(ErrCode("run.next", {{"run_id", run}}), "conflict");

  // The log's step events carry the concrete name and the plan index.
  int started = 0;
  for (const EventPtr& e : History(run)) {
    if (e->type != "step.started") continue;
    const json::value d = json::parse(e->data);
    EXPECT_EQ(d.at("name").as_string(), Names(Get(run))[static_cast<std::size_t>(d.at("index").as_int64())]);
    ++started;
  }
  EXPECT_EQ(started, 8);
  ExpectLiveEqualsLog(run);
}

TEST_F(ForeachEngineTest, AutorunGoesThroughTheExpansion) {
  StartEngine({Episodes({"a", "b"})});
  const std::string run = Create("episodes", /*autorun=*/true);
  WaitForStatus(run, "completed");
  json::object r = Get(run);
  EXPECT_EQ(Num(r.at("cursor")), 6u);
  EXPECT_EQ(Num(r.at("total_steps")), 6u);
  for (const auto& s : r.at("steps").as_array()) EXPECT_EQ(s.at("status").as_string(), "completed");
  ExpectLiveEqualsLog(run);
}

TEST_F(ForeachEngineTest, AnEmptyArrayExpandsToNoStep) {
  StartEngine({Episodes({})});
  const std::string run = Create("episodes", true);
  WaitForStatus(run, "completed");
  json::object r = Get(run);
  EXPECT_EQ(Names(r), (std::vector<std::string>{"breakdown", "commit"}));
  EXPECT_EQ(r.at("steps").at(1).at("output").at("from"), json::array{});
}

TEST_F(ForeachEngineTest, ANonArrayFailsTheForeachStepWithAClearError) {
  WorkflowDefinition w = Episodes({});
  w.steps[0].params = {{"emit", {{"episodes", "not a list"}}}};
  StartEngine({w});
  const std::string run = Create("episodes");
  Ok("run.next", {{"run_id", run}});
  json::object r = Ok("run.next", {{"run_id", run}});
  const json::object& step = r.at("step").as_object();
  EXPECT_EQ(step.at("name").as_string(), "draft");
  EXPECT_EQ(step.at("status").as_string(), "failed");
  EXPECT_EQ(step.at("error").at("code").as_string(), "bad_foreach");
  EXPECT_EQ(step.at("error").at("message").as_string(),
            "foreach \"steps.breakdown.episodes\": steps.breakdown.episodes is string, not an array");
  EXPECT_EQ(r.at("run").at("status").as_string(), "failed");
  EXPECT_EQ(fake_.calls(), 1) << "the executor never ran the placeholder";
}

TEST_F(ForeachEngineTest, ForkInsideTheExpansionRunsTheRestOfIt) {
  StartEngine({Episodes({"a", "b", "c"})});
  const std::string run = Create("episodes");
  for (int i = 0; i < 3; ++i) Ok("run.next", {{"run_id", run}});  // breakdown, draft[0], draft[1]
  const std::string fork = Id(Ok("run.fork", {{"run_id", run}, {"at", 2}}));
  json::object f = Get(fork);
  EXPECT_EQ(Num(f.at("cursor")), 2u);
  EXPECT_EQ(Num(f.at("total_steps")), 8u);
  EXPECT_EQ(f.at("steps").at(1).at("status").as_string(), "completed");
  EXPECT_EQ(f.at("steps").at(2).at("status").as_string(), "pending");
  json::object next = Ok("run.next", {{"run_id", fork}});
  EXPECT_EQ(next.at("step").at("name").as_string(), "draft[1]");
  EXPECT_EQ(next.at("step").at("output").at("item").as_string(), "b");
  Ok("run.autorun", {{"run_id", fork}, {"enabled", true}});
  WaitForStatus(fork, "completed");
  EXPECT_EQ(Num(Get(run).at("cursor")), 3u) << "the source is untouched";
  ExpectLiveEqualsLog(fork);
  ExpectLiveEqualsLog(run);
}

TEST_F(ForeachEngineTest, ForkBeforeTheSourceShowsThePlaceholderAgain) {
  StartEngine({Episodes({"a", "b"})});
  const std::string run = Create("episodes", true);
  WaitForStatus(run, "completed");
  const std::string fork = Id(Ok("run.fork", {{"run_id", run}, {"at", 0}}));
  EXPECT_EQ(Names(Get(fork)), (std::vector<std::string>{"breakdown", "draft", "critic", "commit"}));
  ExpectLiveEqualsLog(fork);
  Ok("run.next", {{"run_id", fork}});
  EXPECT_EQ(Num(Get(fork).at("total_steps")), 6u);
  ExpectLiveEqualsLog(fork);
}

TEST_F(ForeachEngineTest, ForkWithAnOverrideOfTheSourceReExpands) {
  StartEngine({Episodes({"a", "b"})});
  const std::string run = Create("episodes", true);
  WaitForStatus(run, "completed");

  json::object three{{"output", {{"episodes", {"x", "y", "z"}}}}};
  const std::string longer = Id(Ok("run.fork", {{"run_id", run}, {"at", 1}, {"override", three}}));
  EXPECT_EQ(Num(Get(longer).at("total_steps")), 8u);
  ExpectLiveEqualsLog(longer);
  Ok("run.autorun", {{"run_id", longer}, {"enabled", true}});
  WaitForStatus(longer, "completed");
  json::object l = Get(longer);
  EXPECT_EQ(l.at("steps").at(3).at("name").as_string(), "draft[2]");
  EXPECT_EQ(l.at("steps").at(3).at("output").at("item").as_string(), "z");
  EXPECT_EQ(l.at("steps").at(7).at("output").at("from").as_array().size(), 3u);
  ExpectLiveEqualsLog(longer);

  json::object one{{"output", {{"episodes", {"solo"}}}}};
  const std::string shorter =
      Id(Ok("run.fork", {{"run_id", run}, {"at", 1}, {"override", one}, {"autorun", true}}));
  WaitForStatus(shorter, "completed");
  EXPECT_EQ(Names(Get(shorter)), (std::vector<std::string>{"breakdown", "draft[0]", "critic[0]", "commit"}));
  ExpectLiveEqualsLog(shorter);
  EXPECT_EQ(Num(Get(run).at("total_steps")), 6u) << "the source keeps its plan";
}

TEST_F(ForeachEngineTest, ForkAtTheEndWithAGrowingOverrideIsNotCompletedAtOnce) {
  StartEngine({Episodes({}, /*with_commit=*/false)});
  const std::string run = Create("episodes", true);
  WaitForStatus(run, "completed");
  EXPECT_EQ(Num(Get(run).at("total_steps")), 1u);
  json::object two{{"output", {{"episodes", {"p", "q"}}}}};
  json::object f = Ok("run.fork", {{"run_id", run}, {"at", 1}, {"override", two}})
                       .at("run").as_object();
  EXPECT_EQ(f.at("status").as_string(), "queued");
  EXPECT_EQ(Num(f.at("total_steps")), 5u);
  Ok("run.autorun", {{"run_id", Id({{"run", f}})}, {"enabled", true}});
  WaitForStatus(Id({{"run", f}}), "completed");
}

TEST_F(ForeachEngineTest, ARestartReplaysTheSamePlan) {
  StartEngine({Episodes({"a", "b", "c"})});
  const std::string run = Create("episodes");
  for (int i = 0; i < 3; ++i) Ok("run.next", {{"run_id", run}});
  const std::string fork = Id(Ok("run.fork", {{"run_id", run}, {"at", 1},
                                              {"override", {{"output", {{"episodes", {"x"}}}}}}}));
  const json::object before = Get(run);
  const json::object fork_before = Get(fork);
  StopEngine();
  StartEngine({Episodes({"a", "b", "c"})});
  EXPECT_EQ(json::serialize(Get(run)), json::serialize(before));
  EXPECT_EQ(json::serialize(Get(fork)), json::serialize(fork_before));
  json::object next = Ok("run.next", {{"run_id", run}});
  EXPECT_EQ(next.at("step").at("name").as_string(), "draft[2]");
  Ok("run.autorun", {{"run_id", fork}, {"enabled", true}});
  WaitForStatus(fork, "completed");
  EXPECT_EQ(Num(Get(fork).at("total_steps")), 4u);
  ExpectLiveEqualsLog(run);
  ExpectLiveEqualsLog(fork);
}

}  // namespace
}  // namespace forkline::testing
