#pragma once
// An Engine on a real store with a controllable fake executor, and waits on the live
// feed (no sleeps): tests drive it through Handle exactly as the front ends do.

#include <gtest/gtest.h>

#include <boost/asio/thread_pool.hpp>
#include <boost/json.hpp>
#include <condition_variable>
#include <future>
#include <mutex>
#include <vector>

#include "daemon/engine/engine.h"
#include "eventstore/memory_event_store.h"
#include "eventstore/rocksdb_event_store.h"
#include "tests/testutil/status_matchers.h"
#include "tests/testutil/temp_dir.h"

namespace forkline::testing {

// Step behaviour from the step's params: {"fail": "code"} fails for good;
// {"fail_times": n} fails retryably n times then succeeds; {"block": true} waits until
// Release() or abort; {"work_us": n} first takes n microseconds of simulated work
// (stopping early on abort). The output is {"step": name, "seen": [names of earlier
// outputs], "from": <earlier output named by params.echo>} plus the keys of params.emit;
// a foreach step adds its context's "item", "item_index" and "each".
class FakeExecutor final : public Executor {
 public:
  StepResult Run(const StepTask& task) override;
  void Release();
  // Blocks until a blocking step has started (so tests can act while it is in flight).
  void WaitBlocked();
  int calls() const { return calls_.load(); }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool released_ = false;
  int blocked_ = 0;
  std::atomic<int> calls_{0};
  std::map<std::string, int> failures_;
};

WorkflowDefinition ThreeSteps(boost::json::object params_for_second = {});

// The store every EngineTest runs on, fresh and empty (`dir` is an empty temporary folder
// it may use): RocksDB in `dir` by default (a weak definition in engine_fixture.cc); a
// test binary that also links engine_store_postgres.cc gets a fresh schema on the
// PostgreSQL test server instead, so the same scenarios run against both backends.
// Null (and a test failure) when it cannot open.
std::unique_ptr<EventStore> OpenEngineTestStore(const std::string& dir);

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;
  // (Re)creates the engine on the store; workflows "three" and those in `extra`.
  void StartEngine(std::vector<WorkflowDefinition> extra = {});
  void StopEngine();

  Result<boost::json::object> Call(const std::string& cmd, boost::json::object args,
                                   const std::string& key = "");
  boost::json::object Ok(const std::string& cmd, boost::json::object args,
                         const std::string& key = "");
  std::string ErrCode(const std::string& cmd, boost::json::object args);
  std::string Create(const std::string& kind = "three", bool autorun = false);
  // Waits until the run's live state satisfies `pred` (or 30 s pass: a failure).
  void WaitFor(const std::string& run, const std::function<bool(const boost::json::object&)>& pred);
  void WaitForStatus(const std::string& run, const std::string& status);
  boost::json::object Get(const std::string& run);
  EventList History(const std::string& run);

  TempDir dir_;
  std::unique_ptr<EventStore> store_;
  FakeExecutor fake_;                             // the executor named "fake"
  std::map<std::string, Executor*> executors_;    // more executors by name, set before StartEngine
  std::unique_ptr<boost::asio::thread_pool> io_;
  // Pools of engines stopped earlier in the test: the store (kept across a restart) may
  // still post an old engine's continuations to them, so they go only after the store
  // is closed (TearDown).
  std::vector<std::unique_ptr<boost::asio::thread_pool>> stopped_pools_;
  std::unique_ptr<Engine> engine_;
  std::uint64_t feed_id_ = 0;
  std::mutex feed_mu_;
  std::condition_variable feed_cv_;
  std::uint64_t feed_count_ = 0;
};

}  // namespace forkline::testing
