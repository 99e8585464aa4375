#pragma once
// The `exec` executor (DESIGN §6): runs step.argv as a subprocess, without a shell.
//
// * argv[0] without a '/' is looked up in PATH; with one, a relative path resolves
//   against step.workdir, which is also the process's working folder ("" = the
//   daemon's). argv reaches execve byte for byte (no shell, no globbing, no $VAR).
// * The environment holds only the daemon's variables named in options.env_allow plus
//   those a step names in params.env_allow (an array of names); nothing else.
// * Hardening (see subprocess.h): own process group, killed by the kernel when the daemon
//   dies (PR_SET_PDEATHSIG), no_new_privs, only fds 0-2, rlimits from options.limits.
// * stdin is the context JSON (then EOF); stdout is the output; every stderr line becomes
//   task.progress({message: line}) until options.max_progress_bytes of stderr were sent.
// * Outcomes, as StepResult:
//     exit 0, stdout a JSON object          -> success with that object
//     exit 0, stdout anything else          -> "bad_output"
//     exit N != 0 or killed by a signal     -> "exit_status" with the stderr tail;
//                                              retryable only for exit 75 (EX_TEMPFAIL,
//                                              "try again later")
//     stdout over task.max_output_bytes     -> "output_too_large" (group SIGKILLed at once)
//     task.timeout passed                   -> "timeout", retryable
//     task.abort set                        -> "aborted"
//     program cannot be started             -> "spawn_failed"
//   On timeout and abort the whole process group gets SIGTERM, then SIGKILL after
//   `kill_grace` if the leader is still alive: a runaway is dead within timeout +
//   kill_grace + poll_interval. When the leader exits, what is left of its group is
//   killed. Run returns only after the child is reaped and no live process is left in
//   its group (waiting at most 1 s for the kernel to finish the kills). Processes that
//   leave the group (setsid) are out of reach, and PR_SET_PDEATHSIG covers only the
//   direct child.
// * Thread-safe: Run may be called from several threads at once. It blocks SIGPIPE on
//   the calling thread while it runs (and discards one raised by its own writes).

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "daemon/executors/executor.h"
#include "daemon/executors/subprocess.h"

namespace forkline {

struct ExecOptions {
  // Between SIGTERM and SIGKILL for a process group being stopped. Default: 800 ms.
  std::chrono::milliseconds kill_grace{800};
  // Bytes of stderr kept for error messages. Default: 4 KiB.
  std::size_t stderr_tail_bytes = 4096;
  // How often, at most, abort and the deadline are checked. Default: 20 ms.
  std::chrono::milliseconds poll_interval{20};
  // The daemon's environment variables a step's process sees (by name).
  // Default: PATH, HOME, LANG, LC_ALL, TZ.
  std::vector<std::string> env_allow{"PATH", "HOME", "LANG", "LC_ALL", "TZ"};
  // rlimits of every step process. Default: 1 CPU hour, 4 GiB of address space,
  // 1024 processes of the daemon's user (RLIMIT_NPROC; the kernel ignores it for root).
  SpawnLimits limits{3600, std::uint64_t{4} << 30, 1024};
  // Bytes of stderr forwarded as progress lines; later lines are only kept in the tail
  // (one line says so). Default: 1 MiB.
  std::size_t max_progress_bytes = 1 << 20;
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
