#include "daemon/executors/exec_executor.h"

#include <errno.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <fstream>
#include <future>
#include <mutex>
#include <thread>

#include <boost/json/parse.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "daemon/executors/executor_registry.h"
#include "tests/testutil/temp_dir.h"

namespace forkline {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class ExecExecutorTest : public ::testing::Test {
 protected:
  // Writes an executable sh script into the temp folder; returns its name.
  std::string Script(const std::string& name, const std::string& body) {
    const std::string path = dir_.Sub(name);
    std::ofstream(path) << "#!/bin/sh\n" << body << "\n";
    chmod(path.c_str(), 0755);
    return name;
  }
  StepDefinition Step(std::vector<std::string> argv) {
    StepDefinition step;
    step.name = "s";
    step.executor = "exec";
    step.argv = std::move(argv);
    step.workdir = dir_.path();
    return step;
  }
  // Runs the step on this thread. `on_line` sees every progress line as it arrives.
  StepResult Run(const StepDefinition& step,
                 std::function<void(const std::string&)> on_line = nullptr) {
    StepTask task{context_,
                  step,
                  abort_,
                  [&, on_line](StepProgress p) {
                    {
                      std::lock_guard<std::mutex> lock(mu_);
                      lines_.push_back(p.message);
                    }
                    if (on_line) on_line(p.message);
                  },
                  timeout_,
                  max_output_bytes_};
    return executor_.Run(task);
  }
  // Runs the step on another thread and sets abort once stderr says "started".
  StepResult RunAndAbortOnceStarted(const StepDefinition& step) {
    std::promise<void> started;
    auto result = std::async(std::launch::async, [&] {
      return Run(step, [&](const std::string& line) {
        if (line == "started") started.set_value();
      });
    });
    started.get_future().wait();
    abort_ = true;
    return result.get();
  }
  std::vector<std::string> Lines() {
    std::lock_guard<std::mutex> lock(mu_);
    return lines_;
  }

  testing::TempDir dir_;
  boost::json::object context_ =
      boost::json::parse(R"({"run_id": "r_1", "kind": "k", "title": "T", "input": {"text": "hi"},
                             "step": {"index": 0, "name": "s", "params": {}}, "steps": {}})")
          .as_object();
  std::atomic<bool> abort_{false};
  std::chrono::milliseconds timeout_{60000};
  std::size_t max_output_bytes_ = 1 << 20;
  ExecExecutor executor_{
      ExecOptions{std::chrono::milliseconds(200), 4096, std::chrono::milliseconds(10)}};
  std::mutex mu_;
  std::vector<std::string> lines_;
};

TEST_F(ExecExecutorTest, JsonObjectOnStdoutIsTheOutput) {
  const StepResult r = Run(Step({"./" + Script("ok.sh", R"(echo '{"ok": true, "n": 3}')")}));
  ASSERT_TRUE(r.ok) << r.error.code << ": " << r.error.message;
  EXPECT_EQ(r.output, boost::json::parse(R"({"ok": true, "n": 3})").as_object());
}

TEST_F(ExecExecutorTest, ContextArrivesOnStdin) {
  const StepResult r = Run(Step({"sh", Script("cat.sh", "cat")}));
  ASSERT_TRUE(r.ok) << r.error.message;
  EXPECT_EQ(r.output, context_);
}

TEST_F(ExecExecutorTest, LargeContextBothWaysWithoutDeadlock) {
  context_["input"].as_object()["text"] = std::string(3 << 20, 'x');  // > any pipe buffer
  max_output_bytes_ = 8 << 20;
  const StepResult r = Run(Step({"sh", Script("cat.sh", "cat")}));
  ASSERT_TRUE(r.ok) << r.error.message;
  EXPECT_EQ(r.output, context_);
}

TEST_F(ExecExecutorTest, ChildThatIgnoresStdinIsFine) {
  context_["input"].as_object()["text"] = std::string(3 << 20, 'x');
  const StepResult r = Run(Step({"sh", Script("ok.sh", "echo '{}'")}));
  ASSERT_TRUE(r.ok) << r.error.message;  // EPIPE on our side, no SIGPIPE death
}

TEST_F(ExecExecutorTest, NonZeroExitFailsWithStderrTail) {
  const StepResult r = Run(
      Step({"sh", Script("fail.sh", "echo 'reading input' >&2\necho 'disk on fire' >&2\nexit 3")}));
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.code, "exit_status");
  EXPECT_THAT(r.error.message, HasSubstr("status 3"));
  EXPECT_THAT(r.error.message, HasSubstr("disk on fire"));
  EXPECT_FALSE(r.error.retryable);
}

TEST_F(ExecExecutorTest, ExitTempFailIsRetryable) {
  const StepResult r = Run(Step({"sh", Script("busy.sh", "echo busy >&2; exit 75")}));
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.code, "exit_status");
  EXPECT_TRUE(r.error.retryable);
}

TEST_F(ExecExecutorTest, GarbageIsBadOutput) {
  StepResult r = Run(Step({"sh", Script("garbage.sh", "echo 'this is not json'")}));
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.code, "bad_output");
  EXPECT_THAT(r.error.message, HasSubstr("this is not json"));
  r = Run(Step({"sh", Script("array.sh", "echo '[1, 2]'")}));
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.code, "bad_output");
  r = Run(Step({"sh", Script("empty.sh", "true")}));
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.code, "bad_output");
}

TEST_F(ExecExecutorTest, OutputOverTheLimitKillsTheProcess) {
  max_output_bytes_ = 4096;
  const StepResult r = Run(Step({"sh", Script("yes.sh", "exec yes")}));  // never ends by itself
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.code, "output_too_large");
  EXPECT_FALSE(r.error.retryable);
}

TEST_F(ExecExecutorTest, StderrLinesArriveAsProgress) {
  const StepResult r =
      Run(Step({"sh", Script("talk.sh",
                             "echo one >&2\necho >&2\nprintf 'two\\r\\n' >&2\nprintf three >&2\n"
                             "echo '{}'")}));
  ASSERT_TRUE(r.ok) << r.error.message;
  EXPECT_THAT(Lines(), ElementsAre("one", "two", "three"));
}

TEST_F(ExecExecutorTest, AbortStopsTheProcessGroup) {
  const StepResult r = RunAndAbortOnceStarted(
      Step({"sh", Script("slow.sh", "echo started >&2\nsleep 600\necho '{}'")}));
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.code, "aborted");
  EXPECT_FALSE(r.error.retryable);
}

TEST_F(ExecExecutorTest, ScriptIgnoringSigtermIsKilled) {
  const StepResult r = RunAndAbortOnceStarted(Step(
      {"sh", Script("stubborn.sh", "trap '' TERM\necho started >&2\nwhile :; do sleep 1; done")}));
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.code, "aborted");
}

TEST_F(ExecExecutorTest, TimeoutKillsAndIsRetryable) {
  timeout_ = std::chrono::milliseconds(50);
  const StepResult r = Run(Step({"sh", Script("sleep.sh", "echo waiting >&2\nsleep 600")}));
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.code, "timeout");
  EXPECT_TRUE(r.error.retryable);
}

TEST_F(ExecExecutorTest, AbortBeforeStartStopsAtOnce) {
  abort_ = true;
  const StepResult r = Run(Step({"sh", Script("slow.sh", "sleep 600")}));
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.code, "aborted");
}

TEST_F(ExecExecutorTest, LeftoverBackgroundProcessDoesNotHoldTheStep) {
  // The background sleep keeps stdout open; the step still ends when the script does.
  const StepResult r = Run(Step({"sh", Script("bg.sh", "sleep 600 &\necho '{\"done\": 1}'")}));
  ASSERT_TRUE(r.ok) << r.error.message;
  EXPECT_EQ(r.output.at("done"), 1);
}

TEST_F(ExecExecutorTest, MissingProgramFailsToSpawn) {
  const StepResult r = Run(Step({"./no-such-program"}));
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.code, "spawn_failed");
  EXPECT_THAT(r.error.message, HasSubstr("no-such-program"));
  EXPECT_EQ(Run(Step({})).error.code, "bad_definition");
}

TEST_F(ExecExecutorTest, ProgramRunsInTheWorkdir) {
  std::ofstream(dir_.Sub("data.json")) << R"({"from": "workdir"})";
  const StepResult r = Run(Step({"cat", "data.json"}));
  ASSERT_TRUE(r.ok) << r.error.message;
  EXPECT_EQ(r.output.at("from"), "workdir");
}

TEST_F(ExecExecutorTest, LeavesNoChildrenBehind) {
  Run(Step({"sh", Script("ok.sh", "echo '{}'")}));
  Run(Step({"sh", Script("fail.sh", "exit 1")}));
  abort_ = true;
  Run(Step({"sh", Script("slow.sh", "sleep 600")}));
  errno = 0;
  EXPECT_EQ(waitpid(-1, nullptr, WNOHANG), -1);  // no child at all, not even a zombie
  EXPECT_EQ(errno, ECHILD);
}

TEST(ExecutorRegistryTest, ExecByDefaultOthersRegistered) {
  ExecutorRegistry registry = ExecutorRegistry::WithDefaults();
  EXPECT_NE(dynamic_cast<ExecExecutor*>(registry.Find("exec")), nullptr);
  EXPECT_EQ(registry.Find("llm"), nullptr);
  ExecExecutor other;
  EXPECT_TRUE(registry.Register("llm", &other).ok());
  EXPECT_EQ(registry.Find("llm"), &other);
  EXPECT_EQ(registry.Register("exec", &other).code(), Code::kConflict);
  EXPECT_THAT(registry.Names(), ElementsAre("exec", "llm"));
}

}  // namespace
}  // namespace forkline
