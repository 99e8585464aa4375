#include "tests/engine/crash_workload.h"

#include <chrono>
#include <thread>

namespace forkline::testing {
namespace json = boost::json;

StepResult CrashExecutor::Run(const StepTask& task) {
  const json::object& params = task.context.at("step").at("params").as_object();
  const std::string name(task.context.at("step").at("name").as_string());
  if (const auto* w = params.if_contains("work_ms")) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(w->to_number<int>());
    while (std::chrono::steady_clock::now() < until) {
      if (task.abort.load()) return StepResult::Failure("aborted", "stopped");
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  if (params.contains("flaky")) {
    std::lock_guard lock(mu_);
    bool& failed = failed_[std::string(task.context.at("run_id").as_string()) + "/" + name];
    if (!failed) {
      failed = true;
      return StepResult::Failure("flaky", "try again", /*retryable=*/true);
    }
  }
  return StepResult::Success(
      json::object{{"step", name}, {"seen", task.context.at("steps").as_object().size()}});
}

namespace {

WorkflowDefinition Kind(const std::string& kind, std::vector<json::object> params,
                        std::vector<std::uint32_t> max_attempts) {
  WorkflowDefinition def;
  def.kind = kind;
  def.description = kind;
  def.source = "test";
  for (std::size_t i = 0; i < params.size(); ++i) {
    StepDefinition s;
    s.name = "s" + std::to_string(i);
    s.executor = "crash";
    s.params = std::move(params[i]);
    s.max_attempts = max_attempts[i];
    def.steps.push_back(std::move(s));
  }
  return def;
}

}  // namespace

std::vector<WorkflowDefinition> CrashWorkflows() {
  return {Kind("quick", {{}, {}, {}, {}}, {3, 3, 3, 3}),
          Kind("slowish", {{{"work_ms", 3}}, {{"work_ms", 12}}, {{"work_ms", 3}}}, {3, 3, 3}),
          Kind("fragile", {{}, {{"work_ms", 8}}, {{"flaky", true}}}, {1, 1, 3})};
}

std::vector<WorkflowDefinition> StepCrashWorkflows() {
  std::vector<WorkflowDefinition> out;
  for (const char* kind : {"mid_safe", "mid_unsafe"}) {
    WorkflowDefinition def = Kind(kind, {{}, {{"hang", true}}, {}}, {1, 1, 1});
    for (StepDefinition& s : def.steps) s.executor = "fake";
    def.steps[1].repeatable = std::string(kind) == "mid_safe";
    out.push_back(std::move(def));
  }
  return out;
}

}  // namespace forkline::testing
