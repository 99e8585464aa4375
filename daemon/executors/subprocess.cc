#include "daemon/executors/subprocess.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <fstream>
#include <string_view>

extern char** environ;  // NOLINT(readability-redundant-declaration): POSIX

namespace forkline {
namespace {

constexpr const char* kDefaultPath = "/usr/local/bin:/usr/bin:/bin";

// strerror is not thread-safe; the GNU strerror_r returns the text.
std::string ErrnoText(int error) {
  char buf[128];
  return strerror_r(error, buf, sizeof(buf));
}

// A pipe whose ends are close-on-exec, numbered above 2 (so that the child's dup2 onto
// 0, 1, 2 never overwrites another end), the parent's end non-blocking.
Status MakePipe(UniqueFd* read_end, UniqueFd* write_end, bool parent_reads) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return Status::Internal(std::string("pipe: ") + ErrnoText(errno));
  UniqueFd ends[2] = {UniqueFd(fds[0]), UniqueFd(fds[1])};
  for (auto& end : ends) {
    if (end.get() > 2) continue;
    const int moved = fcntl(end.get(), F_DUPFD_CLOEXEC, 3);
    if (moved < 0) return Status::Internal(std::string("fcntl: ") + ErrnoText(errno));
    end = UniqueFd(moved);
  }
  UniqueFd& parent_end = parent_reads ? ends[0] : ends[1];
  const int flags = fcntl(parent_end.get(), F_GETFL);
  if (flags < 0 || fcntl(parent_end.get(), F_SETFL, flags | O_NONBLOCK) != 0) {
    return Status::Internal(std::string("fcntl: ") + ErrnoText(errno));
  }
  *read_end = std::move(ends[0]);
  *write_end = std::move(ends[1]);
  return Status::Ok();
}

// Where the program is: argv[0] itself when it has a '/', else the first executable
// regular file of that name in PATH (entries relative to workdir resolve against it).
Result<std::string> FindProgram(const std::string& name, const SpawnOptions& options) {
  if (name.find('/') != std::string::npos) return name;
  std::string_view path = kDefaultPath;
  for (const auto& entry : options.env) {
    if (entry.rfind("PATH=", 0) == 0) path = std::string_view(entry).substr(5);
  }
  int error = ENOENT;
  while (true) {
    const auto colon = path.find(':');
    std::string dir(path.substr(0, colon));
    if (dir.empty()) dir = ".";
    if (dir.front() != '/' && !options.workdir.empty()) dir = options.workdir + "/" + dir;
    const std::string candidate = dir + "/" + name;
    struct stat st;
    if (stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
      if (access(candidate.c_str(), X_OK) == 0) return candidate;
      error = EACCES;
    }
    if (colon == std::string_view::npos) break;
    path.remove_prefix(colon + 1);
  }
  return Status::Internal(ErrnoText(error) + " (looked in PATH)");
}

std::atomic<std::uint64_t> child_open_files{0};  // SetChildOpenFileLimit

// What the child needs, prepared before vfork: after it the child only makes system
// calls and writes the two `failed_*` slots (shared memory until it calls execve).
struct ChildPlan {
  const char* program;
  char* const* argv;
  char* const* envp;
  const char* workdir;  // nullptr: stay
  int stdio[3];
  pid_t parent;
  SpawnLimits limits;
  rlim_t open_files;  // 0: leave RLIMIT_NOFILE as it is
  volatile int* failed_errno;
  const char* volatile* failed_step;
};

void SetLimit(int resource, std::uint64_t soft, std::uint64_t hard, const ChildPlan& plan,
              const char* what) {
  if (soft == 0) return;
  rlimit current{};
  if (getrlimit(resource, &current) == 0 && current.rlim_max != RLIM_INFINITY) {
    if (hard > current.rlim_max) hard = current.rlim_max;  // cannot raise the hard limit
    if (soft > hard) soft = hard;
  }
  const rlimit wanted{static_cast<rlim_t>(soft), static_cast<rlim_t>(hard)};
  if (setrlimit(resource, &wanted) != 0) {
    *plan.failed_errno = errno;
    *plan.failed_step = what;
    _exit(127);
  }
}

[[noreturn]] void Fail(const ChildPlan& plan, const char* what) {
  *plan.failed_errno = errno;
  *plan.failed_step = what;
  _exit(127);
}

// Runs in the vfork child. Only async-signal-safe system calls; never returns.
[[noreturn]] void ChildAfterVfork(const ChildPlan& plan) noexcept {
  struct sigaction dfl;
  std::memset(&dfl, 0, sizeof(dfl));
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig != SIGKILL && sig != SIGSTOP) sigaction(sig, &dfl, nullptr);  // EINVAL: fine
  }
  if (setpgid(0, 0) != 0) Fail(plan, "setpgid");
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) Fail(plan, "prctl(PR_SET_PDEATHSIG)");
  if (getppid() != plan.parent) _exit(127);  // the daemon died before the line above
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) Fail(plan, "prctl(PR_SET_NO_NEW_PRIVS)");
  const SpawnLimits& l = plan.limits;
  SetLimit(RLIMIT_CPU, l.cpu_seconds, l.cpu_seconds + 1, plan, "setrlimit(RLIMIT_CPU)");
  SetLimit(RLIMIT_AS, l.address_space_bytes, l.address_space_bytes, plan, "setrlimit(RLIMIT_AS)");
  SetLimit(RLIMIT_NPROC, l.max_processes, l.max_processes, plan, "setrlimit(RLIMIT_NPROC)");
  for (int fd = 0; fd < 3; ++fd) {
    if (dup2(plan.stdio[fd], fd) < 0) Fail(plan, "dup2");
  }
  if (close_range(3, ~0U, 0) != 0) {  // older kernels: one by one
    rlimit files{};
    getrlimit(RLIMIT_NOFILE, &files);
    const rlim_t end = files.rlim_cur == RLIM_INFINITY || files.rlim_cur > 65536 ? 65536
                                                                                : files.rlim_cur;
    for (rlim_t fd = 3; fd < end; ++fd) close(static_cast<int>(fd));
  }
  rlimit files{};
  if (plan.open_files != 0 && getrlimit(RLIMIT_NOFILE, &files) == 0 &&
      files.rlim_cur > plan.open_files) {
    files.rlim_cur = plan.open_files;
    if (setrlimit(RLIMIT_NOFILE, &files) != 0) Fail(plan, "setrlimit(RLIMIT_NOFILE)");
  }
  if (plan.workdir != nullptr && chdir(plan.workdir) != 0) Fail(plan, "chdir");
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  execve(plan.program, plan.argv, plan.envp);
  Fail(plan, "execve");
}

std::vector<char*> CStrings(const std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (const auto& s : strings) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

// Whether a process other than a zombie is in process group `pgid` (reads /proc).
bool GroupHasLiveMember(pid_t pgid) {
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return false;
  bool live = false;
  while (dirent* entry = readdir(proc)) {
    if (entry->d_name[0] < '0' || entry->d_name[0] > '9') continue;
    std::ifstream stat_file(std::string("/proc/") + entry->d_name + "/stat");
    std::string stat;
    std::getline(stat_file, stat);
    const auto paren = stat.rfind(')');
    if (paren == std::string::npos) continue;
    char state = 0;
    long ppid = 0;
    long pgrp = 0;
    if (std::sscanf(stat.c_str() + paren + 1, " %c %ld %ld", &state, &ppid, &pgrp) != 3) continue;
    if (pgrp == pgid && state != 'Z' && state != 'X') {
      live = true;
      break;
    }
  }
  closedir(proc);
  return live;
}

}  // namespace

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) {
    Reset();
    fd_ = other.Release();
  }
  return *this;
}

int UniqueFd::Release() {
  const int fd = fd_;
  fd_ = -1;
  return fd;
}

void UniqueFd::Reset() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

// vfork in a frame of its own: the child runs on the parent's stack until execve, so the
// frame that calls vfork must hold nothing the parent reads afterwards (the returned pid is
// in a register). With SpawnSubprocess's strings in that frame, g++ -O1 warned they
// "might be clobbered by vfork" (-Wclobbered; seen in the sanitizer build).
namespace {
[[gnu::noinline]] pid_t VforkIntoChild(const ChildPlan& plan) {
  const pid_t pid = vfork();
  if (pid == 0) ChildAfterVfork(plan);
  return pid;
}
}  // namespace

void SetChildOpenFileLimit(std::uint64_t soft) { child_open_files.store(soft); }

Result<Subprocess> SpawnSubprocess(const std::vector<std::string>& argv,
                                   const SpawnOptions& options) {
  const std::string cannot = "cannot run '" + argv.front() + "': ";
  auto program = FindProgram(argv.front(), options);
  if (!program.ok()) return Status::Internal(cannot + program.status().message());
  Subprocess child;
  UniqueFd in_read, out_write, err_write;
  Status s = MakePipe(&in_read, &child.stdin_fd, false);
  if (s.ok()) s = MakePipe(&child.stdout_fd, &out_write, true);
  if (s.ok()) s = MakePipe(&child.stderr_fd, &err_write, true);
  if (!s.ok()) return Status::Internal(cannot + s.message());

  std::vector<char*> args = CStrings(argv);
  std::vector<char*> envp = CStrings(options.env);
  volatile int failed_errno = 0;
  // Both volatile objects: the compiler may not assume they are unchanged after the vfork
  // call (GCC's mod/ref analysis drops writes made on paths that end in _exit).
  const char* volatile failed_step = nullptr;
  const ChildPlan plan{program->c_str(),
                       args.data(),
                       envp.data(),
                       options.workdir.empty() ? nullptr : options.workdir.c_str(),
                       {in_read.get(), out_write.get(), err_write.get()},
                       getpid(),
                       options.limits,
                       static_cast<rlim_t>(child_open_files.load()),
                       &failed_errno,
                       &failed_step};
  // No signal handler of ours may run in the child while it shares our memory.
  sigset_t all;
  sigset_t old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  const pid_t pid = VforkIntoChild(plan);
  const int vfork_errno = errno;
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (pid < 0) return Status::Internal(cannot + "vfork: " + ErrnoText(vfork_errno));
  if (failed_step != nullptr || failed_errno != 0) {
    ReapChild(pid);
    std::string reason = failed_step != nullptr ? std::string(static_cast<const char*>(failed_step))
                                                : std::string("setup");
    reason = (reason == "execve" ? "" : reason + ": ") + ErrnoText(failed_errno);
    if (!options.workdir.empty()) reason += " (in " + options.workdir + ")";
    return Status::Internal(cannot + reason);
  }
  child.pid = pid;
  return child;  // the child's ends close here, so EOF reaches us when the child exits
}

std::vector<std::string> AllowedEnvironment(const std::vector<std::string>& names) {
  std::vector<std::string> out;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string_view var(*entry);
    const auto eq = var.find('=');
    if (eq == std::string_view::npos) continue;
    for (const auto& name : names) {
      if (var.substr(0, eq) == name) {
        out.emplace_back(var);
        break;
      }
    }
  }
  return out;
}

bool ChildHasExited(pid_t pid) {
  siginfo_t info;
  std::memset(&info, 0, sizeof(info));
  if (waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0) {
    return errno == ECHILD;  // not our child (any more): nothing to wait for
  }
  return info.si_pid != 0;
}

int ReapChild(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return status;
}

bool KillProcessGroup(pid_t pgid, int limit_ms) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(limit_ms);
  while (true) {
    if (kill(-pgid, SIGKILL) != 0 && errno == ESRCH) return true;
    if (!GroupHasLiveMember(pgid)) return true;
    if (std::chrono::steady_clock::now() >= until) return false;
    const timespec pause{0, 1000 * 1000};
    nanosleep(&pause, nullptr);
  }
}

}  // namespace forkline
