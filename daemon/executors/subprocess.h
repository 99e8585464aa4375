#pragma once
// Starting and reaping a child process for the exec executor. The child is started with
// vfork (no copy of a large daemon's page tables, safe in a multi-threaded process: the
// child only makes system calls before execve) and, before it runs the program:
//   * gets its own process group (id = its pid), default signal dispositions and an
//     empty signal mask;
//   * PR_SET_PDEATHSIG(SIGKILL): it is killed when the thread that started it dies —
//     so when the daemon dies, even by kill -9. Only the child itself: a grandchild that
//     outlives it is killed by the executor's group kill, not by the kernel;
//   * PR_SET_NO_NEW_PRIVS: setuid/setcap programs gain nothing;
//   * the rlimits asked for (RLIMIT_CPU, RLIMIT_AS, RLIMIT_NPROC), and the open-file
//     soft limit the daemon was started with (SetChildOpenFileLimit), not its raised one;
//   * fds 0, 1, 2 are pipes to us; every other descriptor is closed (close_range);
//   * exactly the environment given — nothing of the daemon's is inherited implicitly;
//   * argv is passed byte for byte to execve; no shell is involved.

#include <sys/types.h>

#include <cstdint>
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

// Resource limits of the child; 0 leaves a limit as the daemon has it.
struct SpawnLimits {
  // RLIMIT_CPU: CPU seconds; the child gets SIGXCPU at this and SIGKILL a second later.
  std::uint64_t cpu_seconds = 0;
  // RLIMIT_AS: bytes of address space (allocation beyond it fails in the child).
  std::uint64_t address_space_bytes = 0;
  // RLIMIT_NPROC: processes of the child's *real user* (all of that user's processes
  // count, not just the step's). The kernel ignores it for root.
  std::uint64_t max_processes = 0;
};

struct SpawnOptions {
  std::string workdir;           // the child's working folder; "" = ours
  std::vector<std::string> env;  // "NAME=value": the child's whole environment
  SpawnLimits limits;
};

// Starts argv. argv[0] without a '/' is looked up in the PATH of `options.env` (default
// "/usr/local/bin:/usr/bin:/bin"); with one, a relative path resolves against workdir.
// Errors: Internal with "cannot run 'prog': <reason>" (reason names the failed setup
// step, e.g. "chdir: No such file or directory").
// REQUIRES: !argv.empty().
Result<Subprocess> SpawnSubprocess(const std::vector<std::string>& argv,
                                   const SpawnOptions& options);

// The RLIMIT_NOFILE soft limit children start with when it is below the daemon's own:
// forklined raises its limit for thousands of SSE streams and passes here the one it was
// started with, so programs that use select() (FD_SETSIZE 1024) or size tables by the
// limit see what they would have seen without the daemon. 0 (the default): children get
// the daemon's. Thread-safe.
void SetChildOpenFileLimit(std::uint64_t soft);

// The entries of our own environment whose names are in `names`, in environ's order.
std::vector<std::string> AllowedEnvironment(const std::vector<std::string>& names);

// Whether the child has ended, without reaping it (the zombie keeps its pid, and so its
// process group id, from being reused until ReapChild).
bool ChildHasExited(pid_t pid);

// Waits for the child and returns its wait status (see waitpid), or -1 when it cannot
// be had (someone else reaped the child: the daemon must not set SIGCHLD to SIG_IGN).
int ReapChild(pid_t pid);

// Sends SIGKILL to process group `pgid` until no member is left or `limit_ms` passed
// (members that are zombies of another parent count as left after the limit).
// Returns whether the group was seen empty.
bool KillProcessGroup(pid_t pgid, int limit_ms);

}  // namespace forkline
