// The exec executor's hardening (issue 8 §5): argv byte for byte, only fds 0-2, an
// environment allow-list, no_new_privs, rlimits, and runaways (busy loops, fork storms,
// floods) killed whole with the right error.
#include <dirent.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>

#include <boost/json/parse.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "daemon/executors/exec_executor.h"
#include "daemon/executors/subprocess.h"
#include "tests/testutil/temp_dir.h"

namespace forkline {
namespace {

using ::testing::HasSubstr;

// Debian's interpreter, not a PATH shim that adds variables of its own.
constexpr const char* kPython = "/usr/bin/python3";

// pgid's live (non-zombie) members, from /proc.
int LiveMembersOfGroup(pid_t pgid) {
  int live = 0;
  DIR* proc = opendir("/proc");
  while (dirent* e = readdir(proc)) {
    std::ifstream f(std::string("/proc/") + e->d_name + "/stat");
    std::string stat;
    if (!std::getline(f, stat) || stat.rfind(')') == std::string::npos) continue;
    char state = 0;
    long ppid = 0, pgrp = 0;
    if (std::sscanf(stat.c_str() + stat.rfind(')') + 1, " %c %ld %ld", &state, &ppid, &pgrp) == 3 &&
        pgrp == pgid && state != 'Z' && state != 'X') {
      ++live;
    }
  }
  closedir(proc);
  return live;
}

class ExecHardeningTest : public ::testing::Test {
 protected:
  StepDefinition Step(std::vector<std::string> argv) {
    StepDefinition step;
    step.name = "s";
    step.executor = "exec";
    step.argv = std::move(argv);
    step.workdir = dir_.path();
    return step;
  }
  StepResult Run(const StepDefinition& step, const ExecOptions& options) {
    ExecExecutor executor(options);
    StepTask task{context_, step, abort_,
                  [&](StepProgress p) {
                    std::lock_guard<std::mutex> lock(mu_);
                    lines_.push_back(p.message);
                  },
                  timeout_, max_output_bytes_};
    return executor.Run(task);
  }
  StepResult Run(const StepDefinition& step) { return Run(step, options_); }
  // The pid a script printed as "started <pid>" on stderr.
  pid_t StartedPid() {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& line : lines_) {
      if (line.rfind("started ", 0) == 0) return std::atoi(line.c_str() + 8);
    }
    return -1;
  }

  testing::TempDir dir_;
  boost::json::object context_ = boost::json::parse(R"({"step": {"params": {}}})").as_object();
  std::atomic<bool> abort_{false};
  std::chrono::milliseconds timeout_{60000};
  std::size_t max_output_bytes_ = 1 << 20;
  ExecOptions options_{std::chrono::milliseconds(200), 4096, std::chrono::milliseconds(10)};
  std::mutex mu_;
  std::vector<std::string> lines_;
};

TEST_F(ExecHardeningTest, ArgvReachesTheProgramByteForByte) {
  const std::vector<std::string> args = {
      "a b", "", "$HOME", "*", "'\"`", "; echo pwned", "x\ny", "\xff\xfe bytes", "--flag=1"};
  std::vector<std::string> argv = {
      kPython, "-c",
      "import json, os, sys\n"
      "print(json.dumps({'hex': [os.fsencode(a).hex() for a in sys.argv[1:]]}))"};
  argv.insert(argv.end(), args.begin(), args.end());
  const StepResult r = Run(Step(argv));
  ASSERT_TRUE(r.ok) << r.error.code << ": " << r.error.message;
  const auto& hex = r.output.at("hex").as_array();
  ASSERT_EQ(hex.size(), args.size());
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string expected;
    char buf[3];
    for (unsigned char c : args[i]) {
      std::snprintf(buf, sizeof(buf), "%02x", c);
      expected += buf;
    }
    EXPECT_EQ(hex[i].as_string(), expected) << "argument " << i;
  }
}

TEST_F(ExecHardeningTest, OnlyStdioIsInherited) {
  const std::string marker = dir_.Sub("marker");
  std::ofstream(marker) << "x";
  std::vector<int> leaks;
  for (int i = 0; i < 3; ++i) leaks.push_back(open(marker.c_str(), O_RDONLY));  // no O_CLOEXEC
  const StepResult r = Run(Step(
      {kPython, "-c",
       "import json, os\n"
       "fds = {}\n"
       "for f in os.listdir('/proc/self/fd'):\n"
       "    try: fds[f] = os.readlink('/proc/self/fd/' + f)\n"
       "    except OSError: pass\n"
       "print(json.dumps({'fds': fds}))"}));
  for (int fd : leaks) close(fd);
  ASSERT_TRUE(r.ok) << r.error.code << ": " << r.error.message;
  const auto& fds = r.output.at("fds").as_object();
  for (const auto& [fd, target] : fds) {
    EXPECT_NE(target.as_string(), marker) << "fd " << fd << " leaked into the child";
  }
  // 0, 1, 2 and the one the listing itself opened (gone before readlink, or still there).
  EXPECT_LE(fds.size(), 4u);
  EXPECT_TRUE(fds.contains("0") && fds.contains("1") && fds.contains("2"));
}

TEST_F(ExecHardeningTest, EnvironmentIsTheAllowList) {
  setenv("FORKLINE_TEST_SECRET", "s3cret", 1);
  setenv("FORKLINE_TEST_ALLOWED", "yes", 1);
  StepDefinition step = Step({kPython, "-c",
                              "import json, os\n"
                              "print(json.dumps({'env': dict(os.environ)}))"});
  step.params["env_allow"] = boost::json::array{"FORKLINE_TEST_ALLOWED"};
  const StepResult r = Run(step);
  ASSERT_TRUE(r.ok) << r.error.code << ": " << r.error.message;
  const std::set<std::string> allowed = {"PATH", "HOME", "LANG", "LC_ALL", "TZ",
                                         "FORKLINE_TEST_ALLOWED",
                                         "LC_CTYPE"};  // Python may set LC_CTYPE itself
  const auto& env = r.output.at("env").as_object();
  for (const auto& [name, value] : env) {
    EXPECT_TRUE(allowed.count(std::string(name))) << name << " is not on the allow-list";
  }
  EXPECT_EQ(env.at("FORKLINE_TEST_ALLOWED"), "yes");
  EXPECT_FALSE(env.contains("FORKLINE_TEST_SECRET"));
  if (const char* path = getenv("PATH")) {
    EXPECT_EQ(env.at("PATH"), path);
  }

  step.params["env_allow"] = "FORKLINE_TEST_ALLOWED";
  const StepResult bad = Run(step);
  EXPECT_EQ(bad.error.code, "bad_definition");
  EXPECT_THAT(bad.error.message, HasSubstr("params.env_allow"));
}

TEST_F(ExecHardeningTest, NoNewPrivilegesAndLimitsAreSet) {
  options_.limits = {7, std::uint64_t{1} << 30, 99};
  const StepResult r = Run(Step(
      {kPython, "-c",
       "import json\n"
       "status = dict(l.split(':', 1) for l in open('/proc/self/status') if ':' in l)\n"
       "limits = {l[:26].strip(): l[26:].split()[0] for l in open('/proc/self/limits')}\n"
       "print(json.dumps({'nnp': status['NoNewPrivs'].strip(), 'limits': limits,\n"
       "                  'pgid_is_pid': __import__('os').getpgid(0) == __import__('os').getpid()}))"}));
  ASSERT_TRUE(r.ok) << r.error.code << ": " << r.error.message;
  EXPECT_EQ(r.output.at("nnp"), "1");
  EXPECT_EQ(r.output.at("pgid_is_pid"), true);
  const auto& limits = r.output.at("limits").as_object();
  EXPECT_EQ(limits.at("Max cpu time"), "7");
  EXPECT_EQ(limits.at("Max address space"), "1073741824");
  // RLIMIT_NPROC counts every process of the real user and is ignored for root; it is
  // set all the same.
  EXPECT_EQ(limits.at("Max processes"), "99");
}

// forklined raises its own open-file limit for SSE streams; a step program starts with
// the one the daemon was started with.
TEST_F(ExecHardeningTest, ChildGetsTheOpenFileLimitTheDaemonWasStartedWith) {
  rlimit own{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &own), 0);
  ASSERT_GT(own.rlim_cur, 64u);
  SetChildOpenFileLimit(64);
  const StepResult r = Run(Step(
      {kPython, "-c", "import json, resource\n"
                      "print(json.dumps({'soft': resource.getrlimit(resource.RLIMIT_NOFILE)[0]}))"}));
  SetChildOpenFileLimit(0);
  ASSERT_TRUE(r.ok) << r.error.code << ": " << r.error.message;
  EXPECT_EQ(r.output.at("soft"), 64);
  rlimit after{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &after), 0);
  EXPECT_EQ(after.rlim_cur, own.rlim_cur);  // the daemon's own limit is untouched
}

TEST_F(ExecHardeningTest, MemoryLimitStopsAHog) {
  options_.limits.address_space_bytes = std::uint64_t{256} << 20;
  const StepResult r = Run(Step({kPython, "-c", "b = bytearray(1 << 30)\nprint('{}')"}));
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.code, "exit_status");
  EXPECT_THAT(r.error.message, HasSubstr("MemoryError"));
}

TEST_F(ExecHardeningTest, CpuLimitStopsABusyLoop) {
  options_.limits.cpu_seconds = 1;  // the wall-clock timeout (60 s) is not what stops it
  const StepResult r = Run(Step({"sh", "-c", "while :; do :; done"}));
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.code, "exit_status");
  EXPECT_THAT(r.error.message, HasSubstr("SIGXCPU"));
}

TEST_F(ExecHardeningTest, BusyLoopIgnoringSigtermIsKilledAtItsTimeout) {
  timeout_ = std::chrono::milliseconds(300);
  const StepResult r =
      Run(Step({"sh", "-c", "trap '' TERM; echo started $$ >&2; while :; do :; done"}));
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.code, "timeout");
  EXPECT_TRUE(r.error.retryable);
  ASSERT_GT(StartedPid(), 0);
  EXPECT_EQ(LiveMembersOfGroup(StartedPid()), 0);
}

TEST_F(ExecHardeningTest, ForkStormIsKilledWhole) {
  // 2^6 - 1 shells, each with a sleep, all ignoring SIGTERM; the leader waits for them.
  timeout_ = std::chrono::milliseconds(500);
  const StepResult r = Run(Step(
      {"sh", "-c",
       "trap '' TERM; echo started $$ >&2\n"
       "f() { if [ \"$1\" -gt 0 ]; then f $(($1 - 1)) & f $(($1 - 1)) & fi; sleep 600; }\n"
       "f 5"}));
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.code, "timeout");
  ASSERT_GT(StartedPid(), 0);
  EXPECT_EQ(LiveMembersOfGroup(StartedPid()), 0);  // Run returned: every member is dead
}

TEST_F(ExecHardeningTest, EndlessStdoutIsCutAndTheGroupKilled) {
  max_output_bytes_ = 1 << 20;
  const StepResult r = Run(Step({"sh", "-c", "echo started $$ >&2; yes xxxxxxxxxxxxxxxx & yes"}));
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.code, "output_too_large");
  EXPECT_THAT(r.error.message, HasSubstr("1048576 bytes"));
  ASSERT_GT(StartedPid(), 0);
  EXPECT_EQ(LiveMembersOfGroup(StartedPid()), 0);
}

TEST_F(ExecHardeningTest, StderrFloodIsCappedInProgress) {
  options_.max_progress_bytes = 1000;
  const StepResult r = Run(Step(
      {"sh", "-c",
       "i=0; while [ $i -lt 2000 ]; do echo \"line $i\" >&2; i=$((i + 1)); done; echo '{}'"}));
  ASSERT_TRUE(r.ok) << r.error.message;
  std::lock_guard<std::mutex> lock(mu_);
  ASSERT_LT(lines_.size(), 200u);
  EXPECT_THAT(lines_.back(), HasSubstr("further lines are not shown"));
}

TEST_F(ExecHardeningTest, ScriptWithoutShebangIsNotRunThroughAShell) {
  std::ofstream(dir_.Sub("noshebang")) << "echo '{\"via\": \"shell\"}'\n";
  chmod(dir_.Sub("noshebang").c_str(), 0755);
  const StepResult r = Run(Step({"./noshebang"}));
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.code, "spawn_failed");
  EXPECT_THAT(r.error.message, HasSubstr("Exec format error"));
}

TEST_F(ExecHardeningTest, BadWorkdirSaysWhichStepFailed) {
  StepDefinition step = Step({"/bin/true"});
  step.workdir = dir_.Sub("missing");
  const StepResult r = Run(step);
  EXPECT_EQ(r.error.code, "spawn_failed");
  EXPECT_THAT(r.error.message, HasSubstr("chdir: No such file or directory"));
}

}  // namespace
}  // namespace forkline
