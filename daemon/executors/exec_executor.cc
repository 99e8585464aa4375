#include "daemon/executors/exec_executor.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "daemon/executors/subprocess.h"

namespace forkline {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kReadChunk = 64 * 1024;
constexpr std::size_t kMaxLineBytes = 4096;  // a longer stderr "line" is sent in pieces
constexpr std::chrono::milliseconds kDrainAfterExit{1000};
constexpr int kExTempFail = 75;  // sysexits.h EX_TEMPFAIL: "try again later"

enum class StopReason { kNone, kAborted, kTimeout, kTooLarge };

// Blocks SIGPIPE on this thread for its lifetime, so that writing to a child that closed
// its stdin gives EPIPE instead of killing the daemon; a SIGPIPE raised meanwhile is
// discarded before the old mask comes back.
class SigpipeBlock {
 public:
  SigpipeBlock() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set_, &old_);
  }
  ~SigpipeBlock() {
    if (sigismember(&old_, SIGPIPE) == 1) return;
    const timespec zero{0, 0};
    while (sigtimedwait(&set_, nullptr, &zero) == SIGPIPE) {
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  SigpipeBlock(const SigpipeBlock&) = delete;
  SigpipeBlock& operator=(const SigpipeBlock&) = delete;

 private:
  sigset_t set_{};
  sigset_t old_{};
};

// Turns stderr into progress lines and keeps its last bytes for error messages.
class StderrSink {
 public:
  StderrSink(std::size_t tail_limit, std::size_t progress_limit, const ProgressFn& progress)
      : tail_limit_(tail_limit), progress_limit_(progress_limit), progress_(progress) {}

  void Append(std::string_view data) {
    tail_.append(data);
    if (tail_.size() > 2 * tail_limit_) tail_.erase(0, tail_.size() - tail_limit_);
    for (char c : data) {
      if (c == '\n') {
        Flush();
      } else {
        line_.push_back(c);
        if (line_.size() >= kMaxLineBytes) Flush();
      }
    }
  }

  void Flush() {
    if (!line_.empty() && line_.back() == '\r') line_.pop_back();
    if (!line_.empty() && progress_ && progress_sent_ <= progress_limit_) {
      progress_sent_ += line_.size();
      if (progress_sent_ <= progress_limit_) {
        progress_(StepProgress{line_, "", std::nullopt});
      } else {
        progress_(StepProgress{"(stderr over " + std::to_string(progress_limit_) +
                                   " bytes: further lines are not shown)",
                               "", std::nullopt});
      }
    }
    line_.clear();
  }

  // The last lines of stderr (about tail_limit bytes), trailing blanks removed.
  std::string Tail() const {
    std::string tail = tail_;
    if (tail.size() > tail_limit_) {
      tail.erase(0, tail.size() - tail_limit_);
      const auto newline = tail.find('\n');
      if (newline != std::string::npos && newline + 1 < tail.size()) tail.erase(0, newline + 1);
    }
    tail.erase(tail.find_last_not_of(" \t\r\n") + 1);
    return tail;
  }

 private:
  const std::size_t tail_limit_;
  const std::size_t progress_limit_;
  std::size_t progress_sent_ = 0;
  const ProgressFn& progress_;
  std::string line_;
  std::string tail_;
};

// Pumps one child's pipes until it has exited and its output is drained (or the drain
// gives up), stopping it on abort, timeout or too much output.
class ChildSession {
 public:
  ChildSession(Subprocess child, const StepTask& task, const ExecOptions& options)
      : child_(std::move(child)),
        task_(task),
        options_(options),
        input_(boost::json::serialize(task.context) + "\n"),
        stderr_(options.stderr_tail_bytes, options.max_progress_bytes, task.progress),
        deadline_(task.timeout.count() > 0 ? Clock::now() + task.timeout
                                           : Clock::time_point::max()) {}

  // Returns the child's wait status (it is reaped).
  int Pump() {
    while (true) {
      const Clock::time_point now = Clock::now();
      if (!exited_ && ChildHasExited(child_.pid)) {
        exited_ = true;
        kill(-child_.pid, SIGKILL);  // what is left of its group; the zombie holds the id
        drain_until_ = now + kDrainAfterExit;
      }
      if (exited_ &&
          ((!child_.stdout_fd.valid() && !child_.stderr_fd.valid()) || now >= drain_until_)) {
        break;
      }
      if (!exited_) CheckLimits(now);
      PollOnce();
    }
    stderr_.Flush();
    const int status = ReapChild(child_.pid);
    KillProcessGroup(child_.pid, 1000);  // stragglers still in the group, if any
    return status;
  }

  StepResult Finish(int wait_status) const;

 private:
  void CheckLimits(Clock::time_point now) {
    if (stop_ == StopReason::kNone) {
      if (task_.abort.load()) {
        Stop(StopReason::kAborted, now);
      } else if (now >= deadline_) {
        Stop(StopReason::kTimeout, now);
      }
    }
    if (stop_ != StopReason::kNone && !killed_ && now >= kill_at_) {
      kill(-child_.pid, SIGKILL);
      killed_ = true;
    }
  }

  // A step too large for its output is killed at once; others get SIGTERM and a grace.
  void Stop(StopReason why, Clock::time_point now) {
    stop_ = why;
    if (why == StopReason::kTooLarge) {
      kill(-child_.pid, SIGKILL);
      killed_ = true;
    } else {
      kill(-child_.pid, SIGTERM);
      kill_at_ = now + options_.kill_grace;
    }
    child_.stdin_fd.Reset();
  }

  void PollOnce() {
    pollfd fds[3];
    nfds_t n = 0;
    UniqueFd* owners[3];
    for (UniqueFd* fd : {&child_.stdin_fd, &child_.stdout_fd, &child_.stderr_fd}) {
      if (!fd->valid()) continue;
      fds[n] = {fd->get(), static_cast<short>(fd == &child_.stdin_fd ? POLLOUT : POLLIN), 0};
      owners[n++] = fd;
    }
    const int timeout_ms = static_cast<int>(options_.poll_interval.count());
    if (poll(fds, n, timeout_ms) <= 0) return;  // timeout or EINTR: the loop checks again
    for (nfds_t i = 0; i < n; ++i) {
      if (fds[i].revents == 0) continue;
      if (owners[i] == &child_.stdin_fd) {
        WriteStdin();
      } else {
        Read(*owners[i], owners[i] == &child_.stdout_fd);
      }
    }
  }

  void WriteStdin() {
    while (written_ < input_.size()) {
      const ssize_t n =
          write(child_.stdin_fd.get(), input_.data() + written_, input_.size() - written_);
      if (n > 0) {
        written_ += static_cast<std::size_t>(n);
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else if (n < 0 && errno == EAGAIN) {
        return;
      } else {
        break;  // EPIPE: the child does not read its input; that is its business
      }
    }
    child_.stdin_fd.Reset();  // all written (or unwritable): the child sees EOF
  }

  void Read(UniqueFd& fd, bool is_stdout) {
    char buf[kReadChunk];
    while (true) {
      const ssize_t n = read(fd.get(), buf, sizeof(buf));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) return;
      if (n <= 0) {
        fd.Reset();  // EOF or error
        return;
      }
      const std::string_view data(buf, static_cast<std::size_t>(n));
      if (!is_stdout) {
        stderr_.Append(data);
      } else if (stop_ == StopReason::kNone) {
        stdout_.append(data);
        if (task_.max_output_bytes > 0 && stdout_.size() > task_.max_output_bytes) {
          stdout_.clear();
          if (!exited_) Stop(StopReason::kTooLarge, Clock::now());
          stop_ = StopReason::kTooLarge;
        }
      }
    }
  }

  Subprocess child_;
  const StepTask& task_;
  const ExecOptions& options_;
  const std::string input_;
  std::size_t written_ = 0;
  std::string stdout_;
  StderrSink stderr_;
  const Clock::time_point deadline_;
  StopReason stop_ = StopReason::kNone;
  Clock::time_point kill_at_ = Clock::time_point::max();
  bool killed_ = false;
  bool exited_ = false;
  Clock::time_point drain_until_ = Clock::time_point::max();
};

std::string WithTail(std::string message, const std::string& tail) {
  if (!tail.empty()) message += ": " + tail;
  return message;
}

StepResult ChildSession::Finish(int wait_status) const {
  const std::string tail = stderr_.Tail();
  switch (stop_) {
    case StopReason::kAborted:
      return StepResult::Failure("aborted", "step aborted; its process group was stopped");
    case StopReason::kTimeout:
      return StepResult::Failure(
          "timeout",
          WithTail("step timed out after " + std::to_string(task_.timeout.count()) + " ms", tail),
          true);
    case StopReason::kTooLarge:
      return StepResult::Failure("output_too_large", "output exceeded max_output_bytes (" +
                                                         std::to_string(task_.max_output_bytes) +
                                                         " bytes)");
    case StopReason::kNone:
      break;
  }
  if (wait_status < 0) {
    return StepResult::Failure("exit_status", WithTail("exit status unknown", tail));
  }
  if (WIFSIGNALED(wait_status)) {
    const int sig = WTERMSIG(wait_status);
    const char* name = sigabbrev_np(sig);
    return StepResult::Failure(
        "exit_status", WithTail("killed by signal " + std::to_string(sig) +
                                    (name != nullptr ? std::string(" (SIG") + name + ")" : ""),
                                tail));
  }
  const int code = WEXITSTATUS(wait_status);
  if (code != 0) {
    return StepResult::Failure("exit_status",
                               WithTail("exited with status " + std::to_string(code), tail),
                               code == kExTempFail);
  }
  boost::json::parse_options opts;
  opts.max_depth = 1000;
  std::error_code ec;
  boost::json::value out = boost::json::parse(stdout_, ec, {}, opts);
  if (ec || !out.is_object()) {
    std::string shown = stdout_.substr(0, 200);
    if (stdout_.size() > shown.size()) shown += "…";
    return StepResult::Failure("bad_output", std::string("stdout is not a JSON object") +
                                                 (ec ? " (" + ec.message() + ")" : "") + ": '" +
                                                 shown + "'");
  }
  return StepResult::Success(std::move(out.as_object()));
}

// The allow-list plus the names the step lists in params.env_allow.
Result<std::vector<std::string>> EnvironmentNames(const StepDefinition& step,
                                                  std::vector<std::string> names) {
  const auto* extra = step.params.if_contains("env_allow");
  if (extra == nullptr) return names;
  const Status bad = Status::BadRequest(
      "exec step '" + step.name + "': params.env_allow must be an array of variable names");
  if (!extra->is_array()) return bad;
  for (const auto& name : extra->as_array()) {
    if (!name.is_string()) return bad;
    names.emplace_back(name.as_string());
  }
  return names;
}

}  // namespace

StepResult ExecExecutor::Run(const StepTask& task) {
  if (task.step.argv.empty() || task.step.argv.front().empty()) {
    return StepResult::Failure("bad_definition", "exec step '" + task.step.name + "' has no argv");
  }
  auto names = EnvironmentNames(task.step, options_.env_allow);
  if (!names.ok()) return StepResult::Failure("bad_definition", names.status().message());
  const SpawnOptions spawn{task.step.workdir, AllowedEnvironment(*names), options_.limits};
  SigpipeBlock block_sigpipe;
  auto child = SpawnSubprocess(task.step.argv, spawn);
  if (!child.ok()) return StepResult::Failure("spawn_failed", child.status().message());
  ChildSession session(std::move(child).value(), task, options_);
  const int wait_status = session.Pump();
  return session.Finish(wait_status);
}

}  // namespace forkline
