// kill -9 a process that appends from several threads, many times over, and check that
// every event it saw acknowledged is still there, byte for byte, with no holes.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <map>
#include <random>
#include <sstream>

#include "eventstore/canonical.h"
#include "eventstore/rocksdb_event_store.h"
#include "tests/testutil/status_matchers.h"
#include "tests/testutil/temp_dir.h"

namespace forkline::testing {
namespace {

struct Acked {
  std::string run;
  std::uint64_t version;
  std::string data_hash;
};

// Starts the child, lets it acknowledge at least `min_acks` lines, kills it with
// SIGKILL and returns every line it acknowledged.
std::vector<Acked> RunAndKill(const std::string& dir, int seed, int min_acks) {
  int fds[2];
  EXPECT_EQ(::pipe(fds), 0);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fds[1], 1);
    ::close(fds[0]);
    ::execl(CRASH_CHILD, CRASH_CHILD, dir.c_str(), std::to_string(seed).c_str(), nullptr);
    _exit(127);
  }
  ::close(fds[1]);
  FILE* in = ::fdopen(fds[0], "r");
  std::vector<Acked> acked;
  char line[256];
  while (static_cast<int>(acked.size()) < min_acks && std::fgets(line, sizeof line, in)) {
    std::istringstream ls(line);
    Acked a;
    ls >> a.run >> a.version >> a.data_hash;
    acked.push_back(a);
  }
  ::kill(pid, SIGKILL);
  // Lines already in the pipe were acknowledged before the kill: read them all.
  while (std::fgets(line, sizeof line, in)) {
    std::istringstream ls(line);
    Acked a;
    ls >> a.run >> a.version >> a.data_hash;
    if (!a.run.empty()) acked.push_back(a);
  }
  std::fclose(in);
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFSIGNALED(status)) << "the child ended by itself: status " << status;
  return acked;
}

TEST(EventStoreCrash, AcknowledgedEventsSurviveKill9) {
  TempDir dir;
  const std::string db = dir.Sub("db");
  std::mt19937 rng(20261129);
  std::map<std::pair<std::string, std::uint64_t>, std::string> all_acked;
  constexpr int kKills = 30;
  for (int round = 0; round < kKills; ++round) {
    const int min_acks = 1 + static_cast<int>(rng() % 400);
    for (const Acked& a : RunAndKill(db, round % 5, min_acks)) {
      all_acked[{a.run, a.version}] = a.data_hash;
    }
    RocksDbStoreOptions o;
    o.path = db;
    auto store = OpenRocksDbEventStore(o);
    ASSERT_OK(store);
    std::size_t checked = 0;
    auto streams = (*store)->ListStreams();
    ASSERT_OK(streams);
    for (const StreamInfo& s : *streams) {
      auto events = (*store)->ReadStream(s.run_id, 0, 1u << 20);
      ASSERT_OK(events);
      ASSERT_EQ(events->size(), s.head_version) << s.run_id;
      std::string prev;
      for (std::size_t i = 0; i < events->size(); ++i) {
        const Event& e = *(*events)[i];
        ASSERT_EQ(e.version, i + 1) << s.run_id << " has a hole";
        ASSERT_EQ(e.prev_hash, prev);
        ASSERT_EQ(e.hash, EventHash(e));
        prev = e.hash;
        auto it = all_acked.find({e.run_id, e.version});
        if (it != all_acked.end()) {
          ASSERT_EQ(it->second, Sha256Hex(e.data)) << e.run_id << "/" << e.version;
          ++checked;
        }
      }
    }
    std::size_t present = 0;
    for (const auto& [key, hash] : all_acked) {
      auto info = (*store)->GetStream(key.first);
      ASSERT_OK(info);
      ASSERT_LE(key.second, info->head_version) << "acknowledged " << key.first << "/" << key.second
                                                << " was lost";
      ++present;
    }
    EXPECT_EQ(checked, all_acked.size());
    EXPECT_EQ(present, all_acked.size());
    auto global = (*store)->ReadAll(0, 1u << 22);
    ASSERT_OK(global);
    for (std::size_t i = 0; i < global->size(); ++i) ASSERT_EQ((*global)[i]->position, i + 1);
  }
  EXPECT_GT(all_acked.size(), static_cast<std::size_t>(kKills));
}

}  // namespace
}  // namespace forkline::testing
