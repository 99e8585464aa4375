// Exec step processes never outlive the daemon (issue 8 §4): a host process — a forked
// copy of this test running the ExecExecutor, and a real forklined — runs an exec step
// (a long sleep) and is killed with SIGKILL; the kernel then kills the step's process
// (PR_SET_PDEATHSIG). This binary is a child subreaper, so the orphaned step process is
// reparented to it and its end can be waited for and inspected.
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

#include <boost/json/object.hpp>
#include <gtest/gtest.h>

#include "daemon/executors/exec_executor.h"
#include "tests/testutil/daemon_fixture.h"
#include "tests/testutil/temp_dir.h"

namespace forkline {
namespace {

using Clock = std::chrono::steady_clock;

// Runs in the forked host: one exec step whose shell writes its pid, then becomes sleep.
[[noreturn]] void HostRunsALongStep(const std::string& dir) {
  StepDefinition step;
  step.name = "sleep";
  step.executor = "exec";
  step.argv = {"sh", "-c", "echo $$ > pid.tmp && mv pid.tmp pid && exec sleep 600"};
  step.workdir = dir;
  const boost::json::object context;
  const std::atomic<bool> abort{false};
  ExecExecutor executor;
  executor.Run(StepTask{context, step, abort, nullptr, std::chrono::milliseconds(600000), 1024});
  _exit(0);
}

// Waits up to `limit` for `done` to hold, checking every 10 ms.
template <typename Pred>
bool WaitFor(Pred done, std::chrono::seconds limit) {
  const auto until = Clock::now() + limit;
  while (!done()) {
    if (Clock::now() >= until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

// The pid the step wrote to `path`, once it is there (-1 after 60 s).
pid_t StepPid(const std::string& path) {
  pid_t pid = -1;
  WaitFor(
      [&] {
        std::ifstream f(path);
        return static_cast<bool>(f >> pid);
      },
      std::chrono::seconds(60));
  return pid;
}

// The step process, reparented to this subreaper, must end by SIGKILL soon.
void ExpectKilledByTheKernel(pid_t step_pid) {
  int status = 0;
  pid_t reaped = 0;
  ASSERT_TRUE(WaitFor(
      [&] {
        reaped = waitpid(step_pid, &status, WNOHANG);
        return reaped != 0;
      },
      std::chrono::seconds(10)))
      << "step process " << step_pid << " outlived its host";
  ASSERT_EQ(reaped, step_pid);
  EXPECT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGKILL);
}

TEST(ExecParentDeathTest, StepProcessDiesWithItsHost) {
  ASSERT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
  testing::TempDir dir;
  const pid_t host = fork();
  ASSERT_GE(host, 0);
  if (host == 0) HostRunsALongStep(dir.path());

  const pid_t step_pid = StepPid(dir.Sub("pid"));
  ASSERT_GT(step_pid, 0) << "the step never started";
  ASSERT_EQ(kill(step_pid, 0), 0) << "the step process should be running";
  ASSERT_EQ(kill(host, SIGKILL), 0);
  int host_status = 0;
  ASSERT_EQ(waitpid(host, &host_status, 0), host);
  ASSERT_TRUE(WIFSIGNALED(host_status));
  ExpectKilledByTheKernel(step_pid);
}

TEST(ExecParentDeathTest, StepProcessDiesWithForklined) {
  ASSERT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
  testing::TestDaemonOptions options;
  options.workflows["sleeper.toml"] = R"(kind = "sleeper"
description = "one long exec step"

[[steps]]
name = "sleep"
executor = "exec"
timeout_s = 600
argv = ["/bin/sh", "-c", "echo $$ > @DIR@/pid.tmp && mv @DIR@/pid.tmp @DIR@/pid && exec sleep 600"]
)";
  testing::TestDaemon daemon(options);
  ASSERT_TRUE(daemon.Start().ok()) << daemon.LogTail();
  const auto created = testing::HttpRequest(daemon.http_port(), "POST", "/v1/runs",
                                            R"({"kind": "sleeper", "input": {}, "autorun": true})");
  ASSERT_EQ(created.status, 201) << created.body;

  const pid_t step_pid = StepPid(daemon.dir() + "/pid");
  ASSERT_GT(step_pid, 0) << "the step never started\n" << daemon.LogTail();
  ASSERT_EQ(kill(step_pid, 0), 0) << "the step process should be running";
  daemon.Kill9();
  ExpectKilledByTheKernel(step_pid);
}

}  // namespace
}  // namespace forkline
