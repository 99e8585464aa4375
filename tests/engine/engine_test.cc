// The spec's scenarios (DESIGN §2), driven through the engine's command interface.
#include <boost/json.hpp>

#include "eventstore/canonical.h"
#include "projections/fold.h"
#include "tests/engine/engine_fixture.h"

namespace forkline::testing {
namespace {
namespace json = boost::json;

std::string Status(const json::object& run) { return std::string(run.at("status").as_string()); }
std::uint64_t Cursor(const json::object& run) { return run.at("cursor").to_number<std::uint64_t>(); }

TEST_F(EngineTest, NextExecutesExactlyOneStepAndAdvancesTheCursor) {
  StartEngine();
  const std::string run = Create();
  EXPECT_EQ(Status(Get(run)), "queued");
  auto r = Ok("run.next", {{"run_id", run}});
  EXPECT_EQ(r.at("step").at("status").as_string(), "completed");
  EXPECT_EQ(r.at("step").at("index").to_number<std::int64_t>(), 0);
  EXPECT_EQ(Cursor(r.at("run").as_object()), 1u);
  EXPECT_EQ(Status(r.at("run").as_object()), "running");
  EXPECT_EQ(fake_.calls(), 1);
  const json::object run_json = Get(run);
  const json::array& steps = run_json.at("steps").as_array();
  ASSERT_EQ(steps.size(), 3u);
  EXPECT_EQ(steps[0].at("output").at("step").as_string(), "one");
  EXPECT_EQ(steps[1].at("status").as_string(), "pending");
  EXPECT_EQ(steps[2].at("status").as_string(), "pending");
}

TEST_F(EngineTest, EachNextContinuesFromTheCursorWithEarlierOutputs) {
  StartEngine();
  const std::string run = Create();
  Ok("run.next", {{"run_id", run}});
  auto second = Ok("run.next", {{"run_id", run}});
  EXPECT_EQ(second.at("step").at("name").as_string(), "two");
  EXPECT_EQ(second.at("step").at("output").at("seen"), (json::array{"one"}));
  auto third = Ok("run.next", {{"run_id", run}});
  EXPECT_EQ(third.at("step").at("output").at("seen"), (json::array{"one", "two"}));
  EXPECT_EQ(Status(third.at("run").as_object()), "completed");
  EXPECT_EQ(ErrCode("run.next", {{"run_id", run}}), "conflict");
}

TEST_F(EngineTest, AutorunRunsEveryStepToCompletion) {
  StartEngine();
  const std::string run = Create("three", /*autorun=*/true);
  WaitForStatus(run, "completed");
  const json::object r = Get(run);
  EXPECT_EQ(Cursor(r), 3u);
  EXPECT_FALSE(r.at("autorun").as_bool());
  const EventList history = History(run);
  EXPECT_EQ(history.back()->type, "run.completed");
  EXPECT_EQ(history[history.size() - 2]->type, "run.autorun_stopped");
}

TEST_F(EngineTest, AutorunIsAcceptedForQueuedAndRunningRefusedForPausedAndTerminal) {
  StartEngine();
  const std::string queued = Create();
  Ok("run.autorun", {{"run_id", queued}, {"enabled", true}});
  WaitForStatus(queued, "completed");
  EXPECT_EQ(ErrCode("run.autorun", {{"run_id", queued}, {"enabled", true}}), "conflict");

  const std::string running = Create();
  Ok("run.next", {{"run_id", running}});
  Ok("run.autorun", {{"run_id", running}, {"enabled", true}});
  WaitForStatus(running, "completed");

  const std::string paused = Create();
  Ok("run.pause", {{"run_id", paused}});
  EXPECT_EQ(ErrCode("run.autorun", {{"run_id", paused}, {"enabled", true}}), "conflict");
  EXPECT_EQ(ErrCode("run.next", {{"run_id", paused}}), "conflict");
}

// A client may send commands for one run back to back without waiting for the answers
// (a DEALER socket, a script): they are decided in the order they arrived. With the
// commands posted straight to the io pool, a resume was now and then decided before the
// pause sent ahead of it ("cannot resume run ...: it is running"); idempotency keys make
// each decision longer, which made that happen within a few hundred pairs.
TEST_F(EngineTest, CommandsForOneRunSentBackToBackAreDecidedInOrder) {
  StartEngine({});
  const std::string run = Create();
  Ok("run.pause", {{"run_id", run}});
  Ok("run.resume", {{"run_id", run}});
  const std::string before = Status(Get(run));  // where a pause and a resume leave it
  constexpr int kPairs = 500;
  std::vector<std::promise<CommandReply>> replies(2 * kPairs);
  for (int i = 0; i < 2 * kPairs; ++i) {
    std::promise<CommandReply>& promise = replies[i];
    engine_->Handle(CommandRequest{"t", i % 2 == 0 ? "run.pause" : "run.resume",
                                   {{"run_id", run}}, "order-" + std::to_string(i), "test"},
                    [&promise](CommandReply r) { promise.set_value(std::move(r)); });
  }
  int refused = 0;
  for (int i = 0; i < 2 * kPairs; ++i) {
    auto answer = replies[i].get_future();
    ASSERT_EQ(answer.wait_for(std::chrono::seconds(60)), std::future_status::ready) << i;
    const CommandReply r = answer.get();
    if (!r.ok() && refused++ < 3) ADD_FAILURE() << "command " << i << ": " << r.status().ToString();
  }
  EXPECT_EQ(refused, 0);
  const EventList history = History(run);
  ASSERT_GE(history.size(), 2u * kPairs);
  const std::size_t first = history.size() - 2 * kPairs;
  for (std::size_t i = first; i < history.size(); ++i) {
    EXPECT_EQ(history[i]->type, (i - first) % 2 == 0 ? "run.paused" : "run.resumed") << i;
  }
  EXPECT_EQ(Status(Get(run)), before);
}

TEST_F(EngineTest, PauseKeepsTheStepInFlightAndResumeContinuesAutorun) {
  StartEngine({});
  const std::string run = Ok("run.create", {{"kind", "three"}, {"input", json::object{}}})
                              .at("run").at("id").as_string().c_str();
  // Make step two block: a workflow whose second step has params.block.
  StopEngine();
  WorkflowDefinition blocking = ThreeSteps({{"block", true}});
  blocking.kind = "blocking";
  StartEngine({blocking});
  const std::string b = Create("blocking", /*autorun=*/true);
  fake_.WaitBlocked();
  auto paused = Ok("run.pause", {{"run_id", b}});
  EXPECT_EQ(Status(paused.at("run").as_object()), "paused");
  fake_.Release();
  WaitFor(b, [](const json::object& r) { return r.at("cursor").to_number<std::int64_t>() == 2; });
  // The step in flight was recorded; no further step started.
  EXPECT_EQ(Status(Get(b)), "paused");
  EXPECT_EQ(Get(b).at("steps").at(2).at("status").as_string(), "pending");
  auto resumed = Ok("run.resume", {{"run_id", b}});
  EXPECT_TRUE(resumed.at("run").at("autorun").as_bool());
  WaitForStatus(b, "completed");
  EXPECT_EQ(Get(b).at("steps").at(1).at("output").at("step").as_string(), "two");
  EXPECT_EQ(Status(Get(run)), "queued");
}

TEST_F(EngineTest, PauseWithAbortStepRecordsAbortedAndKeepsTheCursor) {
  WorkflowDefinition blocking = ThreeSteps({{"block", true}});
  blocking.kind = "blocking";
  StartEngine({blocking});
  const std::string run = Create("blocking");
  Ok("run.next", {{"run_id", run}});
  std::promise<CommandReply> next_reply;
  engine_->Handle(CommandRequest{"n", "run.next", {{"run_id", run}}, "", "test"},
                  [&](CommandReply r) { next_reply.set_value(std::move(r)); });
  fake_.WaitBlocked();
  EXPECT_EQ(ErrCode("run.next", {{"run_id", run}}), "conflict");  // a step is in flight
  auto paused = Ok("run.pause", {{"run_id", run}, {"abort_step", true}});
  EXPECT_EQ(Cursor(paused.at("run").as_object()), 1u);
  auto answered = next_reply.get_future().get();
  ASSERT_OK(answered);
  EXPECT_EQ(answered->object().at("step").at("status").as_string(), "aborted");
  EXPECT_EQ(Get(run).at("steps").at(1).at("status").as_string(), "aborted");
  Ok("run.resume", {{"run_id", run}});
  fake_.Release();
  auto again = Ok("run.next", {{"run_id", run}});
  EXPECT_EQ(again.at("step").at("attempt").to_number<std::int64_t>(), 2);
  EXPECT_EQ(again.at("step").at("status").as_string(), "completed");
  EXPECT_EQ(Get(run).at("steps").at(0).at("output").at("step").as_string(), "one");
}

TEST_F(EngineTest, ForkStepsOnFromItsCursorAndLeavesTheSourceUntouched) {
  StartEngine();
  const std::string src = Create();
  Ok("run.next", {{"run_id", src}});
  Ok("run.next", {{"run_id", src}});
  std::vector<std::string> before;
  for (const auto& e : History(src)) before.push_back(CanonicalJson(*e, CanonicalForm::kFull));
  const json::object src_before = Get(src);

  auto fork = Ok("run.fork", {{"run_id", src}, {"at", 1}, {"title", "branch"}});
  const json::object& f = fork.at("run").as_object();
  const std::string fid(f.at("id").as_string());
  EXPECT_EQ(Status(f), "queued");
  EXPECT_EQ(Cursor(f), 1u);
  EXPECT_EQ(f.at("parent").at("run_id").as_string(), src);
  EXPECT_EQ(f.at("steps").at(0).at("status").as_string(), "completed");
  EXPECT_EQ(f.at("steps").at(1).at("status").as_string(), "pending");
  auto step = Ok("run.next", {{"run_id", fid}});
  EXPECT_EQ(step.at("step").at("name").as_string(), "two");
  EXPECT_EQ(Cursor(step.at("run").as_object()), 2u);

  std::vector<std::string> after;
  for (const auto& e : History(src)) after.push_back(CanonicalJson(*e, CanonicalForm::kFull));
  EXPECT_EQ(before, after);
  EXPECT_EQ(Get(src), src_before);
  // A fork of the fork works the same way.
  auto grand = Ok("run.fork", {{"run_id", fid}});
  const std::string gid(grand.at("run").at("id").as_string());
  EXPECT_EQ(Cursor(grand.at("run").as_object()), 2u);
  auto last = Ok("run.next", {{"run_id", gid}});
  EXPECT_EQ(Status(last.at("run").as_object()), "completed");
  auto lineage = Ok("run.lineage", {{"run_id", gid}});
  EXPECT_EQ(lineage.at("root").as_string(), src);
  EXPECT_EQ(lineage.at("runs").as_array().size(), 3u);
}

TEST_F(EngineTest, AForkOfAForkCanBranchInsideTheInheritedPrefix) {
  StartEngine();
  const std::string src = Create("three", true);
  WaitForStatus(src, "completed");
  const std::string f(Ok("run.fork", {{"run_id", src}, {"at", 2}}).at("run").at("id").as_string());
  auto g = Ok("run.fork", {{"run_id", f}, {"at", 1}});
  const std::string gid(g.at("run").at("id").as_string());
  EXPECT_EQ(Cursor(g.at("run").as_object()), 1u);
  EXPECT_EQ(Get(gid).at("parent").at("run_id").as_string(), f);
  auto step = Ok("run.next", {{"run_id", gid}});
  EXPECT_EQ(step.at("step").at("name").as_string(), "two");
  // s1..s4 (created, autorun on, step one), run.forked, then step two started and done.
  EXPECT_EQ(Ok("run.events", {{"run_id", gid}}).at("events").as_array().size(), 7u);
}

TEST_F(EngineTest, ForkOverrideReplacesTheOutputTheNextStepSees) {
  WorkflowDefinition echo = ThreeSteps({{"echo", "one"}});
  echo.kind = "echo";
  StartEngine({echo});
  const std::string src = Create("echo");
  Ok("run.next", {{"run_id", src}});
  auto fork = Ok("run.fork", {{"run_id", src}, {"at", 1}, {"override", {{"output", {{"edited", true}}}}}});
  const std::string fid(fork.at("run").at("id").as_string());
  auto step = Ok("run.next", {{"run_id", fid}});
  EXPECT_EQ(step.at("step").at("output").at("from"), (json::object{{"edited", true}}));
  EXPECT_EQ(Get(src).at("steps").at(0).at("output").at("step").as_string(), "one");
  EXPECT_EQ(ErrCode("run.fork", {{"run_id", src}, {"at", 2}}), "conflict");
  EXPECT_EQ(ErrCode("run.fork", {{"run_id", src}, {"at", 0}, {"override", {{"output", 1}}}}),
            "bad_request");
}

// Outputs nest as deep as stored JSON may (1024), deeper than Boost.JSON's default parse
// depth (32): replies written as text and the DOM of run.get carry them whole.
TEST_F(EngineTest, RepliesCarryDeeplyNestedOutputs) {
  json::value deep = 1;
  for (int i = 0; i < 40; ++i) deep = json::array{deep};
  WorkflowDefinition nested = ThreeSteps({{"emit", {{"deep", deep}}}});
  nested.kind = "nested";
  StartEngine({nested});
  const std::string run = Create("nested");
  Ok("run.next", {{"run_id", run}});
  auto step = Call("run.next", {{"run_id", run}});
  ASSERT_OK(step);
  EXPECT_EQ(step->at("step").at("output").at("deep"), deep);
  auto paused = Call("run.pause", {{"run_id", run}});  // written as text
  ASSERT_OK(paused);
  EXPECT_EQ(paused->at("run").at("steps").at(1).at("output").at("deep"), deep);
  EXPECT_EQ(Get(run).at("steps").at(1).at("output").at("deep"), deep);  // run.get
}

TEST_F(EngineTest, ForkAtTheEndIsCompletedAtOnce) {
  StartEngine();
  const std::string src = Create("three", true);
  WaitForStatus(src, "completed");
  auto fork = Ok("run.fork", {{"run_id", src}, {"override", {{"output", {{"final", "edit"}}}}}});
  EXPECT_EQ(Status(fork.at("run").as_object()), "completed");
  EXPECT_EQ(fork.at("run").at("steps").at(2).at("output"), (json::object{{"final", "edit"}}));
}

TEST_F(EngineTest, RetryableFailuresAreRetriedUpToMaxAttempts) {
  WorkflowDefinition flaky = ThreeSteps({{"fail_times", 2}});
  flaky.kind = "flaky";
  StartEngine({flaky});
  const std::string run = Create("flaky");
  Ok("run.next", {{"run_id", run}});
  auto r = Ok("run.next", {{"run_id", run}});
  EXPECT_EQ(r.at("step").at("status").as_string(), "completed");
  EXPECT_EQ(r.at("step").at("attempt").to_number<std::int64_t>(), 3);
  int failed = 0;
  for (const auto& e : History(run)) failed += e->type == "step.failed";
  EXPECT_EQ(failed, 2);
}

TEST_F(EngineTest, AFinalFailureFailsTheRunAndRetryRunsTheStepAgain) {
  WorkflowDefinition flaky = ThreeSteps({{"fail_times", 3}});
  flaky.kind = "flaky";
  StartEngine({flaky});
  const std::string run = Create("flaky");
  Ok("run.next", {{"run_id", run}});
  auto r = Ok("run.next", {{"run_id", run}});
  EXPECT_EQ(r.at("step").at("status").as_string(), "failed");
  EXPECT_EQ(Status(r.at("run").as_object()), "failed");
  EXPECT_EQ(History(run).back()->type, "run.failed");
  EXPECT_EQ(ErrCode("run.next", {{"run_id", run}}), "conflict");
  Ok("run.retry", {{"run_id", run}});
  auto again = Ok("run.next", {{"run_id", run}});
  EXPECT_EQ(again.at("step").at("attempt").to_number<std::int64_t>(), 4);
  EXPECT_EQ(again.at("step").at("status").as_string(), "completed");
}

TEST_F(EngineTest, AStepPastItsTimeoutFailsWithTimeout) {
  WorkflowDefinition slow = ThreeSteps({{"block", true}});
  slow.kind = "slow";
  slow.steps[1].timeout_s = 1;
  slow.steps[1].max_attempts = 1;
  StartEngine({slow});
  const std::string run = Create("slow");
  Ok("run.next", {{"run_id", run}});
  auto r = Ok("run.next", {{"run_id", run}});
  EXPECT_EQ(r.at("step").at("status").as_string(), "failed");
  EXPECT_EQ(r.at("step").at("error").at("code").as_string(), "timeout");
  EXPECT_EQ(Status(r.at("run").as_object()), "failed");
}

TEST_F(EngineTest, CancelAbortsTheStepInFlightAndIsTerminal) {
  WorkflowDefinition blocking = ThreeSteps({{"block", true}});
  blocking.kind = "blocking";
  StartEngine({blocking});
  const std::string run = Create("blocking", true);
  fake_.WaitBlocked();
  auto canceled = Ok("run.cancel", {{"run_id", run}});
  EXPECT_EQ(Status(canceled.at("run").as_object()), "canceled");
  EXPECT_EQ(canceled.at("run").at("steps").at(1).at("status").as_string(), "aborted");
  EXPECT_EQ(ErrCode("run.cancel", {{"run_id", run}}), "conflict");
  EXPECT_EQ(ErrCode("run.resume", {{"run_id", run}}), "conflict");
  EXPECT_EQ(History(run).back()->type, "run.canceled");
}

TEST_F(EngineTest, IdempotencyKeyReplaysTheFirstAnswer) {
  StartEngine();
  json::object args{{"kind", "three"}, {"input", {{"text", "x"}}}};
  auto first = Ok("run.create", args, "k1");
  auto second = Ok("run.create", args, "k1");
  EXPECT_EQ(first, second);
  EXPECT_EQ(Ok("run.list", {}).at("runs").as_array().size(), 1u);
  args["title"] = "other";
  auto conflict = Call("run.create", args, "k1");
  EXPECT_EQ(conflict.status().code(), Code::kConflict);
  const std::string run(first.at("run").at("id").as_string());
  auto n1 = Ok("run.next", {{"run_id", run}}, "n1");
  auto n2 = Ok("run.next", {{"run_id", run}}, "n1");
  EXPECT_EQ(n1, n2);
  EXPECT_EQ(fake_.calls(), 1);
}

TEST_F(EngineTest, IdempotencyKeysSurviveARestart) {
  StartEngine();
  json::object args{{"kind", "three"}, {"input", {{"text", "x"}}}};
  auto first = Ok("run.create", args, "k1");
  StopEngine();
  StartEngine();
  auto again = Ok("run.create", args, "k1");
  EXPECT_EQ(again.at("run").at("id"), first.at("run").at("id"));
  EXPECT_EQ(Ok("run.list", {}).at("runs").as_array().size(), 1u);
  args["title"] = "other";
  EXPECT_EQ(Call("run.create", args, "k1").status().code(), Code::kConflict);
}

TEST_F(EngineTest, ExpectVersionMustMatch) {
  StartEngine();
  const std::string run = Create();
  EXPECT_EQ(ErrCode("run.next", {{"run_id", run}, {"expect_version", 7}}), "conflict");
  Ok("run.next", {{"run_id", run}, {"expect_version", 1}});
}

TEST_F(EngineTest, BadArgumentsAreBadRequestsNamingTheProblem) {
  StartEngine();
  auto r = Call("run.create", {{"kind", "three"}});
  EXPECT_EQ(r.status().code(), Code::kBadRequest);
  EXPECT_NE(r.status().message().find("input"), std::string::npos);
  EXPECT_EQ(ErrCode("run.create", {{"kind", "nope"}, {"input", json::object{}}}), "not_found");
  EXPECT_EQ(ErrCode("run.get", {{"run_id", 5}}), "bad_request");
  EXPECT_EQ(ErrCode("run.get", {{"run_id", "r_missing"}}), "not_found");
  EXPECT_EQ(ErrCode("run.list", {{"limit", 5000}}), "bad_request");
  EXPECT_EQ(ErrCode("run.list", {{"status", "sleeping"}}), "bad_request");
  EXPECT_EQ(ErrCode("run.frobnicate", {}), "bad_request");
  EXPECT_EQ(ErrCode("run.get", {{"run_id", "x"}, {"extra", 1}}), "bad_request");
}

TEST_F(EngineTest, ListFiltersAndPaginatesNewestFirst) {
  StartEngine();
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(Create());
  Ok("run.next", {{"run_id", ids[0]}});
  auto page1 = Ok("run.list", {{"limit", 2}});
  ASSERT_EQ(page1.at("runs").as_array().size(), 2u);
  EXPECT_EQ(page1.at("runs").at(0).at("id").as_string(), ids[4]);
  EXPECT_FALSE(page1.at("runs").at(0).as_object().contains("steps"));
  auto page2 = Ok("run.list", {{"limit", 2}, {"after", page1.at("next")}});
  EXPECT_EQ(page2.at("runs").at(0).at("id").as_string(), ids[2]);
  auto running = Ok("run.list", {{"status", "running"}});
  ASSERT_EQ(running.at("runs").as_array().size(), 1u);
  EXPECT_EQ(running.at("runs").at(0).at("id").as_string(), ids[0]);
  EXPECT_TRUE(running.at("next").is_null());
}

TEST_F(EngineTest, EventsPageTheHistory) {
  StartEngine();
  const std::string run = Create();
  Ok("run.next", {{"run_id", run}});
  auto page = Ok("run.events", {{"run_id", run}, {"limit", 2}});
  ASSERT_EQ(page.at("events").as_array().size(), 2u);
  EXPECT_EQ(page.at("events").at(0).at("type").as_string(), "run.created");
  EXPECT_EQ(page.at("next").to_number<std::int64_t>(), 2);
  auto rest = Ok("run.events", {{"run_id", run}, {"after", 2}});
  EXPECT_EQ(rest.at("events").at(0).at("version").to_number<std::int64_t>(), 3);
  EXPECT_TRUE(rest.at("next").is_null());
}

TEST_F(EngineTest, ARunCreatedStoresItsDefinition) {
  StartEngine();
  const std::string run = Create();
  const EventList history = History(run);
  auto data = json::parse(history[0]->data).as_object();
  EXPECT_EQ(data.at("definition").as_array().size(), 3u);
  EXPECT_EQ(data.at("definition").at(1).at("name").as_string(), "two");
  // A later definition change does not alter the run: restart with a different "three".
  StopEngine();
  StartEngine();
  EXPECT_EQ(Get(run).at("total_steps").to_number<std::int64_t>(), 3);
}

TEST_F(EngineTest, AStepInFlightAtACrashIsInterruptedAndRetried) {
  // What a crash leaves: run.created and step.started, nothing after.
  const WorkflowDefinition def = ThreeSteps();
  EventMeta meta{"2026-01-01T00:00:00.000Z", "", ""};
  AppendRequest req;
  req.run_id = "r_crashed";
  req.events = DecideCreate(def, {}, "crashed", /*autorun=*/true, meta);
  RunState state;
  state.id = "r_crashed";
  ASSERT_OK(store_->Append(req));
  {
    auto history = store_->ReadStream("r_crashed", 0, 100);
    ASSERT_OK(history);
    for (const auto& e : *history) ASSERT_OK(Apply(state, *e, Payloads::kDrop));
  }
  auto started = DecideNext(state, true, meta);
  ASSERT_OK(started);
  AppendRequest step_req;
  step_req.run_id = "r_crashed";
  step_req.expected_version = state.version;
  step_req.events = std::move(started).value();
  ASSERT_OK(store_->Append(std::move(step_req)));
  StartEngine();
  WaitForStatus("r_crashed", "completed");
  const json::object r = Get("r_crashed");
  EXPECT_EQ(r.at("steps").at(0).at("attempt").to_number<std::int64_t>(), 2);
  bool interrupted = false;
  for (const auto& e : History("r_crashed")) {
    interrupted |= e->type == "step.failed" && e->data.find("interrupted") != std::string::npos;
  }
  EXPECT_TRUE(interrupted);
}

TEST_F(EngineTest, ARetryDueAtACrashRunsAfterTheRestart) {
  // What a crash during a retry backoff leaves: the attempt failed retryably, no more.
  const WorkflowDefinition def = ThreeSteps();
  EventMeta meta{"2026-01-01T00:00:00.000Z", "", ""};
  RunState state;
  auto append = [&](std::vector<NewEvent> events) {
    AppendRequest req;
    req.run_id = "r_backoff";
    req.expected_version = state.version;
    req.events = std::move(events);
    auto r = store_->Append(std::move(req));
    ASSERT_OK(r);
    for (const auto& e : r->events) ASSERT_OK(Apply(state, *e, Payloads::kDrop));
  };
  append(DecideCreate(def, {}, "backoff", /*autorun=*/false, meta));
  auto started = DecideNext(state, false, meta);
  ASSERT_OK(started);
  append(std::move(started).value());
  StepEnd end{0, 1, StepResult::Failure("flaky", "try again", /*retryable=*/true), 5};
  auto failed = DecideStepEnded(state, end, meta);
  ASSERT_OK(failed);
  append(std::move(failed).value());
  ASSERT_EQ(state.status, RunStatus::kRunning);
  StartEngine();
  WaitFor("r_backoff", [](const json::object& r) { return Cursor(r) == 1; });
  EXPECT_EQ(Get("r_backoff").at("steps").at(0).at("attempt").to_number<std::int64_t>(), 2);
}

}  // namespace
}  // namespace forkline::testing
