#pragma once
// The `builtin` executor (DESIGN §6): actions compiled into the daemon, chosen by the
// step's `action`: the novel_to_script actions (daemon/novel/novel_actions.h) and
// script.commit (daemon/executors/script_commit.h).

#include "daemon/executors/executor.h"

namespace forkline {

class BuiltinExecutor final : public Executor {
 public:
  // An unknown action fails the step with "bad_definition".
  StepResult Run(const StepTask& task) override;
};

}  // namespace forkline
