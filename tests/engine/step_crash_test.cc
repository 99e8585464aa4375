// A daemon that dies while a step runs (issue 8, "steps and crashes"): a child process
// (step_crash_child) runs the engine on a RocksDB store and is killed with SIGKILL while
// a step is in flight; an Engine started here on the same store then recovers.
//  * a repeatable step runs again (interruptions do not use up max_attempts), at most
//    InterruptionLimit times; the run completes with one step.completed per index;
//  * a step that is not repeatable is not run again: the run fails "interrupted" with
//    an unknown-outcome message and waits for a person (run.retry);
// and, in-process: a shutdown that stops a non-repeatable step mid-way does the same,
// and a step's own retryable failures still respect max_attempts.
#include <gmock/gmock.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <set>
#include <sstream>

#include "daemon/engine/decider.h"
#include "tests/engine/crash_workload.h"
#include "tests/engine/engine_fixture.h"

namespace forkline::testing {
namespace {
namespace json = boost::json;
using ::testing::HasSubstr;

class StepCrashTest : public EngineTest {
 protected:
  // Closes this test's store, runs the child on it until it has started the hanging
  // step, kills it, and opens the store again. Returns the run and the step index.
  std::pair<std::string, std::uint32_t> KillMidStep(const std::string& kind) {
    store_.reset();
    int fds[2];
    EXPECT_EQ(::pipe(fds), 0);
    const std::string db = dir_.Sub("db");
    const pid_t pid = ::fork();
    if (pid == 0) {
      ::dup2(fds[1], 1);
      ::close(fds[0]);
      ::execl(STEP_CRASH_CHILD, STEP_CRASH_CHILD, db.c_str(), kind.c_str(), nullptr);
      _exit(127);
    }
    ::close(fds[1]);
    FILE* in = ::fdopen(fds[0], "r");
    char line[256] = {0};
    const bool started = std::fgets(line, sizeof line, in) != nullptr;
    ::kill(pid, SIGKILL);
    std::fclose(in);
    int status = 0;
    ::waitpid(pid, &status, 0);
    EXPECT_TRUE(started && WIFSIGNALED(status)) << "the child ended by itself (status " << status
                                                << "); its stderr says why";
    std::istringstream words(line);
    std::string what, run;
    std::uint32_t index = 0;
    words >> what >> run >> index;
    RocksDbStoreOptions o;
    o.path = db;
    auto store = OpenRocksDbEventStore(o);
    EXPECT_OK(store);
    if (store.ok()) store_ = std::move(store).value();
    return {run, index};
  }

  void Start() { StartEngine(StepCrashWorkflows()); }

  // The data of the run's own events of `type`, in order.
  std::vector<json::object> Events(const std::string& run, std::string_view type) {
    std::vector<json::object> out;
    for (const EventPtr& e : History(run)) {
      if (e->type == type) out.push_back(json::parse(e->data).as_object());
    }
    return out;
  }

  // No (index) is recorded completed twice, and each of the `steps` once.
  void ExpectOneCompletionPerIndex(const std::string& run, std::uint64_t steps) {
    std::multiset<std::uint64_t> indexes;
    for (const json::object& d : Events(run, events::kStepCompleted)) {
      indexes.insert(d.at("index").to_number<std::uint64_t>());
    }
    for (std::uint64_t i = 0; i < steps; ++i) EXPECT_EQ(indexes.count(i), 1u) << "step " << i;
    EXPECT_EQ(indexes.size(), steps);
  }
};

TEST_F(StepCrashTest, ARepeatableStepRunsAgainAfterACrashAndTheRunCompletes) {
  const auto [run, index] = KillMidStep("mid_safe");
  ASSERT_EQ(index, 1u);
  Start();
  WaitForStatus(run, "completed");
  ExpectOneCompletionPerIndex(run, 3);
  // Attempt 1 was interrupted, attempt 2 ran here, although max_attempts is 1.
  const auto failed = Events(run, events::kStepFailed);
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].at("attempt"), json::value(1));
  EXPECT_EQ(failed[0].at("error").at("code"), json::value("interrupted"));
  EXPECT_EQ(failed[0].at("retryable"), json::value(true));
  const auto completed = Events(run, events::kStepCompleted);
  EXPECT_EQ(completed[1].at("attempt"), json::value(2));
  EXPECT_EQ(fake_.calls(), 2);  // steps 1 and 2, here
}

TEST_F(StepCrashTest, AStepThatIsNotRepeatableWaitsForAPersonAfterACrash) {
  const auto [run, index] = KillMidStep("mid_unsafe");
  ASSERT_EQ(index, 1u);
  Start();
  WaitForStatus(run, "failed");
  const json::object got = Get(run);
  EXPECT_EQ(got.at("error").at("code"), json::value("interrupted"));
  EXPECT_THAT(std::string(got.at("error").at("message").as_string()),
              HasSubstr("outcome is unknown"));
  EXPECT_THAT(std::string(got.at("error").at("message").as_string()), HasSubstr("run.retry"));
  EXPECT_EQ(got.at("autorun"), json::value(false));
  const auto failed = Events(run, events::kStepFailed);
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].at("retryable"), json::value(false));
  const auto stopped = Events(run, events::kAutorunStopped);
  ASSERT_EQ(stopped.size(), 1u);
  EXPECT_EQ(stopped[0].at("reason"), json::value("failed"));
  EXPECT_EQ(fake_.calls(), 0) << "the step that is not repeatable ran again by itself";
  // A person checked: run.retry, then the step runs again on run.next.
  Ok("run.retry", {{"run_id", run}});
  const json::object next = Ok("run.next", {{"run_id", run}});
  EXPECT_EQ(next.at("step").at("status"), json::value("completed"));
  EXPECT_EQ(next.at("step").at("attempt"), json::value(2));
  Ok("run.next", {{"run_id", run}});
  EXPECT_EQ(Get(run).at("status"), json::value("completed"));
  ExpectOneCompletionPerIndex(run, 3);
}

// Interruptions do not use up max_attempts, but a step that keeps dying with the daemon
// is not started forever: the interruption after kMaxInterruptions (max_attempts is 1
// here) fails the run.
TEST_F(StepCrashTest, ARepeatableStepIsStartedAgainAtMostThreeTimes) {
  const auto [run, index] = KillMidStep("mid_safe");
  for (std::uint32_t i = 0; i < kMaxInterruptions; ++i) {
    const auto again = KillMidStep("mid_safe");  // the child's recovery restarts the step
    ASSERT_EQ(again, std::make_pair(run, index));
  }
  Start();
  WaitForStatus(run, "failed");
  const auto failed = Events(run, events::kStepFailed);
  ASSERT_EQ(failed.size(), kMaxInterruptions + 1);
  for (std::uint32_t i = 0; i < failed.size(); ++i) {
    EXPECT_EQ(failed[i].at("attempt"), json::value(i + 1));
    EXPECT_EQ(failed[i].at("error").at("code"), json::value("interrupted"));
  }
  EXPECT_THAT(std::string(Get(run).at("error").at("message").as_string()),
              HasSubstr("interrupted 4 times"));
  EXPECT_EQ(fake_.calls(), 0);
  Ok("run.retry", {{"run_id", run}});
  Ok("run.autorun", {{"run_id", run}, {"enabled", true}});
  WaitForStatus(run, "completed");
  ExpectOneCompletionPerIndex(run, 3);
}

// A shutdown that stops a step that is not repeatable leaves its outcome unknown too:
// recorded failed "interrupted", not aborted (an aborted step runs again).
TEST_F(StepCrashTest, ShutdownStopsANonRepeatableStepAsInterrupted) {
  WorkflowDefinition post = ThreeSteps({{"block", true}});
  post.kind = "post";
  post.steps[1].repeatable = false;
  StartEngine({post});
  const std::string run = Create("post", /*autorun=*/true);
  fake_.WaitBlocked();
  StopEngine();
  StartEngine({post});
  WaitForStatus(run, "failed");
  EXPECT_EQ(Get(run).at("error").at("code"), json::value("interrupted"));
  EXPECT_TRUE(Events(run, events::kStepAborted).empty());
  EXPECT_EQ(fake_.calls(), 2) << "the step that is not repeatable ran again by itself";
}

// A step's own retryable failures are counted against max_attempts; interruptions are
// not, and do not reset that count either.
TEST(InterruptionPolicy, OwnFailuresRespectMaxAttempts) {
  RunState run;
  run.steps.resize(1);
  StepRecord& s = run.steps[0];
  s.max_attempts = 2;
  s.status = StepStatus::kRunning;
  s.attempt = 4;
  s.interruptions = 2;
  const StepEnd flaky{0, 4, StepResult::Failure("flaky", "try again", true), 0};
  EXPECT_TRUE(WillRetry(run, flaky));  // one own failure, of two allowed
  s.failures = 1;
  EXPECT_FALSE(WillRetry(run, flaky));  // the second own failure
  const StepEnd fatal{0, 4, StepResult::Failure("bad", "no", false), 0};
  s.failures = 0;
  EXPECT_FALSE(WillRetry(run, fatal));
  run.in_flight = 0;
  EXPECT_TRUE(WillRetry(run, InterruptedEnd(run, false)));  // the third interruption
  s.interruptions = kMaxInterruptions;
  EXPECT_FALSE(WillRetry(run, InterruptedEnd(run, false)));
  s.max_attempts = 5;  // a step allowed more attempts may be interrupted as often
  EXPECT_TRUE(WillRetry(run, InterruptedEnd(run, false)));
  s.interruptions = 5;
  EXPECT_FALSE(WillRetry(run, InterruptedEnd(run, false)));
  s.interruptions = 0;
  s.repeatable = false;
  const StepEnd unknown = InterruptedEnd(run, false);
  EXPECT_FALSE(unknown.result.error.retryable);
  EXPECT_FALSE(WillRetry(run, unknown));
}

}  // namespace
}  // namespace forkline::testing
