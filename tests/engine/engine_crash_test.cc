// kill -9 the engine (a child process running random commands with autorun runs
// moving) many times over on one store, and check what a restart finds (issue 3,
// "Properties, checked by tests"):
//  * after every kill: every history has contiguous versions, a verified hash chain
//    and no step index completed twice; every run and every completed step the child
//    saw acknowledged is in the log;
//  * every few kills, and after the last: an Engine started in-process on the store
//    (crash recovery) finishes every autorun run (completed or failed), and then its
//    live projections, run.get and run.list equal the fold of the log.
// The child is started again on the same store after each kill, so it recovers too.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/thread_pool.hpp>
#include <boost/json.hpp>
#include <condition_variable>
#include <cstdio>
#include <future>
#include <random>
#include <set>
#include <sstream>

#include "daemon/engine/engine.h"
#include "eventstore/rocksdb_event_store.h"
#include "tests/engine/crash_workload.h"
#include "tests/engine/run_checks.h"
#include "tests/testutil/status_matchers.h"
#include "tests/testutil/temp_dir.h"

namespace forkline::testing {
namespace {
namespace json = boost::json;

struct Acks {
  std::set<std::string> runs;
  std::set<std::tuple<std::string, std::uint64_t, std::uint64_t>> steps;  // run, index, attempt
  std::size_t lines = 0;
};

void ParseAck(const std::string& line, Acks& acks) {
  std::istringstream in(line);
  std::string what, run;
  in >> what >> run;
  if (what == "run") {
    acks.runs.insert(run);
  } else if (what == "step") {
    std::uint64_t index = 0, attempt = 0;
    in >> index >> attempt;
    acks.steps.emplace(run, index, attempt);
  } else {
    return;
  }
  ++acks.lines;
}

// Starts the child on `dir`, lets it acknowledge `min_acks` lines, kills it with
// SIGKILL and adds every line it acknowledged (those still in the pipe too) to `acks`.
void RunAndKill(const std::string& dir, unsigned seed, std::size_t min_acks, Acks& acks) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fds[1], 1);
    ::close(fds[0]);
    ::execl(ENGINE_CRASH_CHILD, ENGINE_CRASH_CHILD, dir.c_str(), std::to_string(seed).c_str(),
            nullptr);
    _exit(127);
  }
  ::close(fds[1]);
  FILE* in = ::fdopen(fds[0], "r");
  const std::size_t start = acks.lines;
  char line[256];
  while (acks.lines - start < min_acks && std::fgets(line, sizeof line, in)) ParseAck(line, acks);
  ::kill(pid, SIGKILL);
  while (std::fgets(line, sizeof line, in)) ParseAck(line, acks);
  std::fclose(in);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
      << "the child ended by itself (status " << status << "); its stderr says why";
}

std::unique_ptr<EventStore> OpenStore(const std::string& dir) {
  RocksDbStoreOptions o;
  o.path = dir;
  auto store = OpenRocksDbEventStore(o);
  EXPECT_OK(store);
  return store.ok() ? std::move(store).value() : nullptr;
}

// The log alone: every history well formed, every acknowledged run and step there.
void CheckLog(EventStore& store, const Acks& acks) {
  auto streams = store.ListStreams();
  ASSERT_OK(streams);
  std::set<std::string> present;
  std::set<std::tuple<std::string, std::uint64_t, std::uint64_t>> completed;
  for (const StreamInfo& info : *streams) {
    present.insert(info.run_id);
    auto history = store.ReadStream(info.run_id, 0, SIZE_MAX);
    ASSERT_OK(history);
    ASSERT_EQ(history->size(), info.head_version) << info.run_id;
    ASSERT_EQ(CheckHistory(info, *history), "");
    ASSERT_OK(Fold(*history, Payloads::kKeep));
    for (const EventPtr& e : *history) {
      if (e->run_id != info.run_id || e->type != events::kStepCompleted) continue;
      const json::value d = json::parse(e->data);
      completed.emplace(info.run_id, d.at("index").to_number<std::uint64_t>(),
                        d.at("attempt").to_number<std::uint64_t>());
    }
  }
  for (const std::string& run : acks.runs) EXPECT_TRUE(present.contains(run)) << run << " was lost";
  for (const auto& step : acks.steps) {
    EXPECT_TRUE(completed.contains(step)) << "the completion of " << std::get<0>(step) << " step "
                                          << std::get<1>(step) << " was lost";
  }
}

// Starts an Engine on the store (crash recovery), waits on its live feed until no run
// moves by itself, then checks every run against the log.
void SettleAndCheck(EventStore& store) {
  CrashExecutor executor;
  auto io = std::make_unique<boost::asio::thread_pool>(2);
  EngineOptions options;
  options.retry_backoff = std::chrono::milliseconds(2);
  Engine engine(store, CrashWorkflows(), {{"crash", &executor}}, options, io->get_executor());
  std::mutex mu;
  std::condition_variable cv;
  std::uint64_t items = 0;
  const auto feed = engine.Subscribe([&](const FeedItemPtr&) {
    std::lock_guard lock(mu);
    ++items;
    cv.notify_all();
  });
  // Stops the engine however this function returns.
  // The store goes on after this function, the pool does not: the store's writer, which
  // posts to the pool, is closed first.
  struct Stop {
    Engine& engine;
    EventStore& store;
    boost::asio::thread_pool& io;
    std::uint64_t feed;
    ~Stop() {
      engine.Unsubscribe(feed);
      engine.Shutdown(std::chrono::milliseconds(0));
      store.Close();
      io.join();
    }
  } stop{engine, store, *io, feed};
  ASSERT_OK(engine.Start());
  const std::vector<RunState> at_start = EngineTestPeer::Snapshots(engine);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  for (;;) {
    std::uint64_t seen;
    {
      std::lock_guard lock(mu);
      seen = items;
    }
    std::string moving;
    for (const RunState& s : EngineTestPeer::Snapshots(engine)) {
      auto history = store.ReadStream(s.id, 0, SIZE_MAX);
      ASSERT_OK(history);
      if (MovingByItself(s, *history)) moving = s.id;
    }
    if (moving.empty()) break;
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_until(lock, deadline, [&] { return items != seen; }))
        << moving << " never stopped moving after the restart";
  }
  auto call = [&](const std::string& cmd, json::object args) {
    std::promise<CommandReply> promise;
    engine.Handle(CommandRequest{"p", cmd, std::move(args), "", "test"},
                  [&promise](CommandReply r) { promise.set_value(std::move(r)); });
    return ReplyObject(promise.get_future().get());
  };
  std::size_t autorun_runs = 0;
  for (const RunState& before : at_start) {
    auto now = EngineTestPeer::Snapshot(engine, before.id);
    ASSERT_TRUE(now);
    auto history = store.ReadStream(before.id, 0, SIZE_MAX);
    ASSERT_OK(history);
    ASSERT_EQ(CheckProjection(*now, *history, Payloads::kDrop), "");
    auto got = call("run.get", {{"run_id", before.id}});
    ASSERT_OK(got);
    ASSERT_EQ(CheckRunJson(got->at("run").as_object(), *history, RunDetail::kFull), "");
    // Every run on autorun when the engine came back has finished.
    if (before.autorun) {
      ++autorun_runs;
      EXPECT_TRUE(now->status == RunStatus::kCompleted || now->status == RunStatus::kFailed)
          << before.id << " was on autorun and ended " << Name(now->status);
    }
  }
  auto list = call("run.list", {{"limit", 1000}});
  ASSERT_OK(list);
  EXPECT_EQ(list->at("runs").as_array().size(), at_start.size());
  for (const json::value& summary : list->at("runs").as_array()) {
    auto history = store.ReadStream(std::string(summary.at("id").as_string()), 0, SIZE_MAX);
    ASSERT_OK(history);
    ASSERT_EQ(CheckRunJson(summary.as_object(), *history, RunDetail::kSummary), "");
  }
  std::printf("settled %zu runs, %zu of them on autorun at the restart\n", at_start.size(),
              autorun_runs);
}

TEST(EngineCrash, EveryRunIsConsistentAndEveryAutorunRunFinishesAfterKill9) {
  constexpr unsigned kSeed = 20260311;
  constexpr int kKills = 24;
  TempDir dir;
  const std::string db = dir.Sub("db");
  std::mt19937 rng(kSeed);
  Acks acks;
  for (int round = 0; round < kKills; ++round) {
    SCOPED_TRACE("seed " + std::to_string(kSeed) + ", kill " + std::to_string(round));
    RunAndKill(db, kSeed + static_cast<unsigned>(round), 1 + rng() % 40, acks);
    if (HasFatalFailure()) return;
    auto store = OpenStore(db);
    ASSERT_TRUE(store);
    CheckLog(*store, acks);
    if (round % 4 == 3 || round + 1 == kKills) SettleAndCheck(*store);
    if (HasFatalFailure()) return;
  }
  std::printf("%d kills, %zu acknowledged lines, %zu runs\n", kKills, acks.lines, acks.runs.size());
  EXPECT_GE(acks.runs.size(), static_cast<std::size_t>(kKills));
}

}  // namespace
}  // namespace forkline::testing
