#pragma once
// The `exec` executor (DESIGN §6): runs step.argv as a subprocess, without a shell.
//
// * argv[0] without a '/' is looked up in PATH; with one, a relative path resolves
//   against step.workdir, which is also the process's working folder ("" = the
//   daemon's). The environment is the daemon's.
// * The process gets its own process group. stdin is the context JSON (then EOF);
//   stdout is the output; every stderr line becomes task.progress({message: line}).
// * Outcomes, as StepResult:
//     exit 0, stdout a JSON object          -> success with that object
//     exit 0, stdout anything else          -> "bad_output"
//     exit N != 0 or killed by a signal     -> "exit_status" with the stderr tail;
//                                              retryable only for exit 75 (EX_TEMPFAIL,
//                                              "try again later")
//     stdout over task.max_output_bytes     -> "output_too_large" (process killed)
//     task.timeout passed                   -> "timeout", retryable
//     task.abort set                        -> "aborted"
//     program cannot be started             -> "spawn_failed"
//   On timeout, abort and too-large output the whole process group gets SIGTERM, then
//   SIGKILL after `kill_grace` if the leader is still alive. When the leader exits, what
//   is left of its group is killed. Run returns only after the child is reaped.
// * Thread-safe: Run may be called from several threads at once. It blocks SIGPIPE on
//   the calling thread while it runs (and discards one raised by its own writes).

#include <chrono>
#include <cstddef>

#include "daemon/executors/executor.h"

namespace forkline {

struct ExecOptions {
  // Between SIGTERM and SIGKILL for a process group being stopped. Default: 2 s.
  std::chrono::milliseconds kill_grace{2000};
  // Bytes of stderr kept for error messages. Default: 4 KiB.
  std::size_t stderr_tail_bytes = 4096;
  // How often, at most, abort and the deadline are checked. Default: 20 ms.
  std::chrono::milliseconds poll_interval{20};
};

class ExecExecutor final : public Executor {
 public:
  explicit ExecExecutor(ExecOptions options = {}) : options_(options) {}
  // REQUIRES: task.step.argv is not empty (else "bad_definition").
  // task.timeout <= 0 and task.max_output_bytes == 0 mean no limit.
  StepResult Run(const StepTask& task) override;

 private:
  const ExecOptions options_;
};

}  // namespace forkline
