#include "daemon/executors/subprocess.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

extern char** environ;  // NOLINT(readability-redundant-declaration): POSIX

namespace forkline {
namespace {

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

// posix_spawn attributes and file actions, destroyed on scope exit.
class SpawnSetup {
 public:
  SpawnSetup() {
    posix_spawnattr_init(&attr_);
    posix_spawn_file_actions_init(&actions_);
  }
  ~SpawnSetup() {
    posix_spawnattr_destroy(&attr_);
    posix_spawn_file_actions_destroy(&actions_);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;

  // Returns 0 or an errno value.
  int Prepare(int child_stdin, int child_stdout, int child_stderr, const std::string& workdir) {
    sigset_t none;
    sigset_t all;
    sigemptyset(&none);
    sigfillset(&all);
    int rc = posix_spawnattr_setflags(
        &attr_, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    if (rc == 0) rc = posix_spawnattr_setpgroup(&attr_, 0);  // a new group, id = pid
    if (rc == 0) rc = posix_spawnattr_setsigmask(&attr_, &none);
    if (rc == 0) rc = posix_spawnattr_setsigdefault(&attr_, &all);
    if (rc == 0) rc = posix_spawn_file_actions_adddup2(&actions_, child_stdin, 0);
    if (rc == 0) rc = posix_spawn_file_actions_adddup2(&actions_, child_stdout, 1);
    if (rc == 0) rc = posix_spawn_file_actions_adddup2(&actions_, child_stderr, 2);
    // Descriptors other threads opened without O_CLOEXEC must not leak into the child.
    if (rc == 0) rc = posix_spawn_file_actions_addclosefrom_np(&actions_, 3);
    if (rc == 0 && !workdir.empty()) {
      rc = posix_spawn_file_actions_addchdir_np(&actions_, workdir.c_str());
    }
    return rc;
  }
  const posix_spawnattr_t* attr() const { return &attr_; }
  const posix_spawn_file_actions_t* actions() const { return &actions_; }

 private:
  posix_spawnattr_t attr_{};
  posix_spawn_file_actions_t actions_{};
};

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

Result<Subprocess> SpawnSubprocess(const std::vector<std::string>& argv,
                                   const std::string& workdir) {
  const std::string cannot = "cannot run '" + argv.front() + "': ";
  Subprocess child;
  UniqueFd in_read, out_write, err_write;
  Status s = MakePipe(&in_read, &child.stdin_fd, false);
  if (s.ok()) s = MakePipe(&child.stdout_fd, &out_write, true);
  if (s.ok()) s = MakePipe(&child.stderr_fd, &err_write, true);
  if (!s.ok()) return Status::Internal(cannot + s.message());
  SpawnSetup setup;
  int rc = setup.Prepare(in_read.get(), out_write.get(), err_write.get(), workdir);
  if (rc != 0) return Status::Internal(cannot + ErrnoText(rc));
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& a : argv) {
    args.push_back(const_cast<char*>(a.c_str()));
  }
  args.push_back(nullptr);
  pid_t pid = -1;
  rc = posix_spawnp(&pid, args[0], setup.actions(), setup.attr(), args.data(), environ);
  if (rc != 0) {
    std::string reason = ErrnoText(rc);
    if (!workdir.empty()) reason += " (in " + workdir + ")";
    return Status::Internal(cannot + reason);
  }
  child.pid = pid;
  return child;  // the child's ends close here, so EOF reaches us when the child exits
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

}  // namespace forkline
