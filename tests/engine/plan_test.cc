// foreach expansion as the fold and the decider see it: pure functions over events,
// no engine (projections/plan.h).
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "daemon/engine/decider.h"
#include "projections/fold.h"
#include "projections/plan.h"
#include "tests/testutil/status_matchers.h"

namespace forkline {
namespace {
namespace json = boost::json;

StepDefinition Def(const std::string& name, const std::string& foreach = "") {
  StepDefinition s;
  s.name = name;
  s.executor = "fake";
  s.foreach = foreach;
  return s;
}

WorkflowDefinition Episodes() {
  WorkflowDefinition w;
  w.kind = "episodes";
  w.steps = {Def("breakdown"), Def("draft", "steps.breakdown.json.episodes"),
             Def("critic", "steps.breakdown.json.episodes"), Def("commit")};
  return w;
}

// A run's history built by the decider and folded event by event, as the engine does.
class Log {
 public:
  explicit Log(const WorkflowDefinition& def) { Append(DecideCreate(def, {}, "t", false, Meta())); }
  static EventMeta Meta() { return {"2026-01-01T00:00:00.000Z", "", ""}; }

  void Append(const std::vector<NewEvent>& events) {
    for (const NewEvent& n : events) {
      auto e = std::make_shared<Event>();
      e->run_id = "r";
      e->version = history_.size() + 1;
      e->type = n.type;
      e->at = n.at;
      e->data = n.data;
      history_.push_back(e);
      ASSERT_OK(Apply(full_, *e, Payloads::kKeep));
      ASSERT_OK(Apply(compact_, *e, Payloads::kDrop));
    }
  }
  // Runs the step at the cursor with `output`.
  void Step(json::object output) {
    auto started = DecideNext(compact_, false, Meta());
    ASSERT_OK(started);
    Append(*started);
    StepEnd end{compact_.cursor, compact_.steps[compact_.cursor].attempt, StepResult::Success(std::move(output)), 1};
    auto ended = DecideStepEnded(compact_, end, Meta());
    ASSERT_OK(ended);
    Append(*ended);
  }
  std::vector<std::string> Names() const {
    std::vector<std::string> names;
    for (const StepRecord& s : compact_.steps) names.push_back(s.name);
    return names;
  }
  const RunState& full() const { return full_; }
  const RunState& compact() const { return compact_; }
  const EventList& history() const { return history_; }

 private:
  EventList history_;
  RunState full_;
  RunState compact_;
};

json::object Breakdown(json::array episodes) {
  return {{"text", "…"}, {"json", {{"episodes", std::move(episodes)}}}};
}

TEST(ForeachPathTest, ParsesStepsNameAndFields) {
  auto p = ParseForeach("steps.breakdown.json.episodes");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->step, "breakdown");
  EXPECT_EQ(p->fields, (std::vector<std::string>{"json", "episodes"}));
  for (const char* bad : {"", "steps", "steps.a", "input.a.b", "steps..a", "steps.a.", ".steps.a.b"}) {
    EXPECT_FALSE(ParseForeach(bad)) << bad;
  }
}

TEST(ForeachPathTest, ArrayOrAClearError) {
  const auto path = *ParseForeach("steps.b.json.episodes");
  const json::value two = Breakdown({1, 2});
  auto ok = ForeachArray(two, path);
  ASSERT_OK(ok);
  EXPECT_EQ((*ok)->size(), 2u);
  auto missing = ForeachArray(json::object{{"json", json::object{}}}, path);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(), "steps.b.json.episodes is missing from the output");
  auto scalar = ForeachArray(json::object{{"json", {{"episodes", "three"}}}}, path);
  ASSERT_FALSE(scalar.ok());
  EXPECT_EQ(scalar.status().message(), "steps.b.json.episodes is string, not an array");
  const json::value nested = json::parse(R"({"a": [{"b": [7]}]})");
  auto indexed = ForeachArray(nested, *ParseForeach("steps.s.a.0.b"));
  ASSERT_OK(indexed);
  EXPECT_EQ((*indexed)->size(), 1u);
}

TEST(PlanTest, BeforeExpansionEachForeachStepIsOnePendingPlaceholder) {
  Log log(Episodes());
  EXPECT_EQ(log.Names(), (std::vector<std::string>{"breakdown", "draft", "critic", "commit"}));
  EXPECT_EQ(log.compact().total_steps(), 4u);
  EXPECT_FALSE(log.compact().steps[1].item);
  EXPECT_EQ(log.compact().steps[3].def_index, 3u);
}

TEST(PlanTest, SourceCompletionExpandsEveryForeachStepOverIt) {
  Log log(Episodes());
  log.Step(Breakdown({"a", "b", "c"}));
  EXPECT_EQ(log.Names(), (std::vector<std::string>{"breakdown", "draft[0]", "draft[1]", "draft[2]",
                                                   "critic[0]", "critic[1]", "critic[2]", "commit"}));
  for (std::uint32_t i = 0; i < 8; ++i) EXPECT_EQ(log.compact().steps[i].index, i);
  EXPECT_EQ(log.compact().steps[5].def_index, 2u);
  EXPECT_EQ(log.compact().steps[5].item, 1u);
  EXPECT_EQ(log.compact().steps[0].status, StepStatus::kCompleted);
  EXPECT_EQ(log.compact().cursor, 1u);
  // Full and compact folds plan alike; the full one keeps the source's output.
  EXPECT_EQ(log.full().total_steps(), 8u);
  EXPECT_EQ(log.full().steps[0].output.at("json").at("episodes").as_array().size(), 3u);
}

TEST(PlanTest, ConcreteStepsCarryTheirNameAndPlanIndexInEvents) {
  Log log(Episodes());
  log.Step(Breakdown({"a", "b"}));
  log.Step({});
  log.Step({});
  const Event& started = *log.history()[log.history().size() - 2];
  ASSERT_EQ(started.type, "step.started");
  const json::value d = json::parse(started.data);
  EXPECT_EQ(d.at("name").as_string(), "draft[1]");
  EXPECT_EQ(d.at("index").as_int64(), 2);
  EXPECT_EQ(log.compact().cursor, 3u);
}

TEST(PlanTest, EmptyArrayExpandsToNoStepAndTheRunCanEndAtTheSource) {
  WorkflowDefinition w = Episodes();
  w.steps.pop_back();  // no commit: the source is the last step once the array is empty
  Log log(w);
  EXPECT_EQ(log.compact().total_steps(), 3u);
  log.Step(Breakdown({}));
  EXPECT_EQ(log.Names(), (std::vector<std::string>{"breakdown"}));
  EXPECT_EQ(log.compact().status, RunStatus::kCompleted) << "decided on the plan after expansion";
  EXPECT_EQ(log.history().back()->type, "run.completed");
}

TEST(PlanTest, ANonArrayLeavesThePlaceholderWithAReason) {
  Log log(Episodes());
  log.Step({{"json", {{"episodes", 3}}}});
  EXPECT_EQ(log.Names(), (std::vector<std::string>{"breakdown", "draft", "critic", "commit"}));
  EXPECT_EQ(ForeachProblem(log.full(), 1),
            "foreach \"steps.breakdown.json.episodes\": steps.breakdown.json.episodes is int64, not an array");
  EXPECT_EQ(ForeachProblem(log.full(), 0), "");
  EXPECT_EQ(ForeachProblem(log.full(), 3), "");
}

TEST(PlanTest, WithoutForeachThePlanIsTheDefinition) {
  WorkflowDefinition w;
  w.kind = "plain";
  w.steps = {Def("a"), Def("b")};
  Log log(w);
  log.Step({{"x", json::array{1, 2}}});
  EXPECT_EQ(log.Names(), (std::vector<std::string>{"a", "b"}));
  log.Step({});
  EXPECT_EQ(log.compact().status, RunStatus::kCompleted);
}

// A fork's plan as its fold sees it: the prefix, then run.forked.
RunState ForkOf(const Log& log, std::uint32_t at, const json::value& override_value) {
  auto plan = DecideFork(log.compact(), at, override_value, "", false, Log::Meta());
  EXPECT_OK(plan);
  RunState s;
  for (const EventPtr& e : log.history()) {
    if (e->version > plan->source_version) break;
    EXPECT_OK(Apply(s, *e, Payloads::kKeep));
  }
  for (const NewEvent& n : plan->events) {
    Event e;
    e.run_id = "f";
    e.version = s.version + 1;
    e.type = n.type;
    e.data = n.data;
    EXPECT_OK(Apply(s, e, Payloads::kKeep));
  }
  return s;
}

std::vector<std::string> NamesOf(const RunState& s) {
  std::vector<std::string> names;
  for (const StepRecord& r : s.steps) names.push_back(r.name);
  return names;
}

TEST(PlanTest, ForksKeepOrRecomputeTheExpansion) {
  Log log(Episodes());
  log.Step(Breakdown({"a", "b"}));
  for (int i = 0; i < 5; ++i) log.Step({{"n", i}});
  ASSERT_EQ(log.compact().status, RunStatus::kCompleted);

  RunState inside = ForkOf(log, 2, nullptr);  // after draft[0]
  EXPECT_EQ(inside.total_steps(), 6u);
  EXPECT_EQ(inside.steps[1].status, StepStatus::kCompleted);
  EXPECT_EQ(inside.steps[2].status, StepStatus::kPending);
  EXPECT_EQ(inside.steps[2].name, "draft[1]");

  RunState before = ForkOf(log, 0, nullptr);
  EXPECT_EQ(NamesOf(before), (std::vector<std::string>{"breakdown", "draft", "critic", "commit"}));

  RunState longer = ForkOf(log, 1, json::object{{"output", Breakdown({"x", "y", "z"})}});
  EXPECT_EQ(longer.total_steps(), 8u);
  EXPECT_EQ(longer.status, RunStatus::kQueued);
  EXPECT_EQ(longer.steps[3].name, "draft[2]");

  RunState shorter = ForkOf(log, 1, json::object{{"output", Breakdown({})}});
  EXPECT_EQ(NamesOf(shorter), (std::vector<std::string>{"breakdown", "commit"}));

  RunState broken = ForkOf(log, 1, json::object{{"output", json::object{}}});
  EXPECT_EQ(NamesOf(broken), (std::vector<std::string>{"breakdown", "draft", "critic", "commit"}));
}

TEST(PlanTest, AForkAtTheEndThatGrowsThePlanIsNotCompletedAtOnce) {
  WorkflowDefinition w = Episodes();
  w.steps.pop_back();
  Log log(w);
  log.Step(Breakdown({}));
  ASSERT_EQ(log.compact().status, RunStatus::kCompleted);
  RunState same = ForkOf(log, 1, nullptr);
  EXPECT_EQ(same.status, RunStatus::kCompleted);
  RunState grown = ForkOf(log, 1, json::object{{"output", Breakdown({"a"})}});
  EXPECT_EQ(grown.status, RunStatus::kQueued);
  EXPECT_EQ(NamesOf(grown), (std::vector<std::string>{"breakdown", "draft[0]", "critic[0]"}));
}

}  // namespace
}  // namespace forkline
