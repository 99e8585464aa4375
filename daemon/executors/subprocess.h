#pragma once
// Starting and reaping a child process for the exec executor: posix_spawn (vfork-like,
// safe in a multi-threaded daemon with a large address space), its own process group,
// a working folder, pipes for stdin/stdout/stderr and no other inherited descriptor.

#include <sys/types.h>

#include <string>
#include <vector>

#include "eventstore/status.h"

namespace forkline {

// Owns one file descriptor; closes it on destruction.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.Release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { Reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int Release();
  void Reset();

 private:
  int fd_ = -1;
};

// A started child. `pid` is also its process group id. The parent's pipe ends are
// non-blocking and close-on-exec.
struct Subprocess {
  pid_t pid = -1;
  UniqueFd stdin_fd;   // write end of the child's stdin
  UniqueFd stdout_fd;  // read end of the child's stdout
  UniqueFd stderr_fd;  // read end of the child's stderr
};

// Starts argv (PATH lookup when argv[0] has no '/') in `workdir` ("" = ours) with our
// environment, default signal dispositions and an empty signal mask.
// Errors: Internal with "cannot run 'prog': <reason>".
// REQUIRES: !argv.empty().
Result<Subprocess> SpawnSubprocess(const std::vector<std::string>& argv,
                                   const std::string& workdir);

// Whether the child has ended, without reaping it (the zombie keeps its pid, and so its
// process group id, from being reused until ReapChild).
bool ChildHasExited(pid_t pid);

// Waits for the child and returns its wait status (see waitpid), or -1 when it cannot
// be had (someone else reaped the child: the daemon must not set SIGCHLD to SIG_IGN).
int ReapChild(pid_t pid);

}  // namespace forkline
