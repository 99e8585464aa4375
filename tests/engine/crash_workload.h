#pragma once
// The workload of the engine's crash test, shared by the child that is killed and the
// parent that restarts the engine on the same store: the workflows and an executor
// whose steps are instant or take a few milliseconds. No gtest here.

#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "daemon/executors/executor.h"
#include "daemon/workflow/definition.h"

namespace forkline::testing {

// Step behaviour from the step's params: {"work_ms": n} takes n ms (stopping early on
// abort); {"flaky": true} fails retryably the first time this process runs the step
// of a run. Output: {"step": name, "seen": <number of earlier outputs>}.
class CrashExecutor final : public Executor {
 public:
  StepResult Run(const StepTask& task) override;

 private:
  std::mutex mu_;  // guards failed_
  std::map<std::string, bool> failed_;
};

// "quick" (4 instant steps), "slowish" (3 steps of 3-12 ms, retried after a crash),
// "fragile" (a step with one attempt, run again after a crash since interruptions do
// not use up attempts; a flaky step).
std::vector<WorkflowDefinition> CrashWorkflows();

// The step-crash test's kinds, three steps on the executor "fake" with params
// {"hang": true} on the middle one (max_attempts 1): "mid_safe" (repeatable) and
// "mid_unsafe" (repeatable = false, as a step that posts or pays would be).
std::vector<WorkflowDefinition> StepCrashWorkflows();

}  // namespace forkline::testing
