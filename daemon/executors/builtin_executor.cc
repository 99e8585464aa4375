#include "daemon/executors/builtin_executor.h"

#include "daemon/executors/script_commit.h"
#include "daemon/novel/novel_actions.h"

namespace forkline {

StepResult BuiltinExecutor::Run(const StepTask& task) {
  if (IsNovelAction(task.step.action)) return RunNovelAction(task.step.action, task);
  if (IsScriptAction(task.step.action)) return RunScriptAction(task.step.action, task);
  return StepResult::Failure("bad_definition", "no builtin action named '" + task.step.action + "'");
}

}  // namespace forkline
