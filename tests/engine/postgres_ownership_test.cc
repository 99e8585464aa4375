// Several engines (nodes) on one PostgreSQL store (issue 9, DESIGN §8): exactly one node
// drives an autorun run; a node cut off from the database gives its runs up before its
// leases expire and another node takes them over and finishes them; commands for a run
// go to any node (a lost race is decided again); idempotency keys hold across nodes.
#include <gtest/gtest.h>

#include <boost/asio/thread_pool.hpp>
#include <boost/json.hpp>
#include <atomic>
#include <functional>
#include <future>
#include <thread>

#include "daemon/engine/engine.h"
#include "daemon/engine/postgres_ownership.h"
#include "eventstore/postgres_event_store.h"
#include "eventstore/postgres_leases.h"
#include "tests/engine/engine_fixture.h"
#include "tests/eventstore/pg_test_server.h"
#include "tests/testutil/status_matchers.h"

namespace forkline::testing {
namespace {
namespace json = boost::json;
using std::chrono::milliseconds;

constexpr milliseconds kTtl{1500};  // renewals every 500 ms, given up after 1200 ms

// One forklined node in the process: its own store object, leases and engine.
struct Node {
  Node(const PostgresStoreOptions& options, const std::string& node_id,
       std::function<bool()> store_healthy = nullptr) {
    PostgresStoreOptions o = options;
    o.deliver_all_nodes = true;
    auto s = OpenPostgresEventStore(o);
    if (!s.ok()) throw std::runtime_error(s.status().ToString());
    store = std::move(s).value();
    auto l = OpenPostgresLeases(o);
    if (!l.ok()) throw std::runtime_error(l.status().ToString());
    ownership = std::make_shared<PostgresOwnership>(std::move(l).value(),
                                                    PostgresOwnershipOptions{node_id, kTtl, std::move(store_healthy)});
    io = std::make_unique<boost::asio::thread_pool>(2);
    EngineOptions eo;
    eo.retry_backoff = milliseconds(1);
    eo.ownership = ownership;
    engine = std::make_unique<Engine>(*store, std::vector<WorkflowDefinition>{ThreeSteps({{"block", true}})},
                                      std::map<std::string, Executor*>{{"fake", &fake}}, eo,
                                      io->get_executor());
    const Status started = engine->Start();
    if (!started.ok()) throw std::runtime_error(started.ToString());
  }
  ~Node() {
    fake.Release();
    engine->Shutdown(milliseconds(0));
    store->Close();  // its writer posts to `io`, which goes first
    io->join();
    engine.reset();
  }

  Result<json::object> Call(const std::string& cmd, json::object args, const std::string& key = "") {
    auto promise = std::make_shared<std::promise<CommandReply>>();
    auto future = promise->get_future();
    engine->Handle(CommandRequest{"t", cmd, std::move(args), key, "test"},
                   [promise](CommandReply r) { promise->set_value(std::move(r)); });
    if (future.wait_for(std::chrono::seconds(60)) != std::future_status::ready) {
      return Status::Internal(cmd + ": no reply in 60 s");
    }
    return ReplyObject(future.get());
  }
  json::object Get(const std::string& run) {
    auto r = Call("run.get", {{"run_id", run}});
    EXPECT_OK(r);
    return r.ok() ? r->at("run").as_object() : json::object{};
  }
  // Polls the run on this node until this node knows it and `pred` holds (30 s at most:
  // then a failure).
  void WaitFor(const std::string& run, const std::function<bool(const json::object&)>& pred) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    for (;;) {
      auto r = Call("run.get", {{"run_id", run}});
      if (r.ok() && pred(r->at("run").as_object())) return;
      if (std::chrono::steady_clock::now() > deadline) {
        ADD_FAILURE() << "run " << run << " never reached the state: " << json::serialize(Get(run));
        return;
      }
      std::this_thread::sleep_for(milliseconds(10));
    }
  }

  FakeExecutor fake;
  std::unique_ptr<EventStore> store;
  std::shared_ptr<PostgresOwnership> ownership;
  std::unique_ptr<boost::asio::thread_pool> io;
  std::unique_ptr<Engine> engine;
};

std::string StepStatus(const json::object& run, std::size_t index) {
  return std::string(run.at("steps").as_array()[index].at("status").as_string());
}

// Each step's started/completed/failed events as "started two 1" strings, in order.
std::vector<std::string> StepEvents(EventStore& store, const std::string& run) {
  auto history = store.ReadStream(run, 0, SIZE_MAX);
  EXPECT_OK(history);
  std::vector<std::string> out;
  if (!history.ok()) return out;
  std::uint64_t version = 0;
  for (const EventPtr& e : *history) {
    EXPECT_EQ(e->version, ++version) << "versions are contiguous";
    if (e->type.rfind("step.", 0) != 0) continue;
    const json::object d = json::parse(e->data).as_object();
    std::string line = e->type.substr(5) + " " + std::string(d.at("name").as_string()) + " " +
                       std::to_string(d.at("attempt").to_number<int>());
    if (const auto* err = d.if_contains("error")) line += " " + std::string(err->at("code").as_string());
    out.push_back(line);
  }
  return out;
}

std::unique_ptr<PostgresLeases> Leases(const PostgresStoreOptions& o) {
  auto l = OpenPostgresLeases(o);
  if (!l.ok()) throw std::runtime_error(l.status().ToString());
  return std::move(l).value();
}

TEST(PostgresOwnership, OnlyOneNodeDrivesAnAutorunRun) {
  const PostgresStoreOptions options = FreshPgOptions();
  Node a(options, "a");
  auto created = a.Call("run.create", {{"kind", "three"}, {"input", json::object{}}, {"autorun", true}});
  ASSERT_OK(created);
  const std::string run(created->at("run").at("id").as_string());
  a.WaitFor(run, [](const json::object& r) { return StepStatus(r, 1) == "running"; });

  // b starts while a drives the run: its recovery must leave the run alone.
  Node b(options, "b");
  b.fake.Release();  // were b to run step two, it would complete at once
  // Queued behind b's recovery of the run, so b has looked at it when this answers.
  ASSERT_OK(b.Call("run.autorun", {{"run_id", run}, {"enabled", true}}));
  EXPECT_EQ(b.fake.calls(), 0);
  auto lease = Leases(options)->Get(run);
  ASSERT_OK(lease);
  EXPECT_EQ(lease->node_id, "a");
  EXPECT_EQ(lease->token, 1u);

  a.fake.Release();
  b.WaitFor(run, [](const json::object& r) { return r.at("status").as_string() == "completed"; });
  EXPECT_EQ(b.fake.calls(), 0);
  EXPECT_EQ(a.fake.calls(), 3);
  EXPECT_EQ(StepEvents(*a.store, run),
            (std::vector<std::string>{"started one 1", "completed one 1", "started two 1",
                                      "completed two 1", "started three 1", "completed three 1"}));
}

TEST(PostgresOwnership, ANodeCutOffStopsAndAnotherTakesItsRunOver) {
  const PostgresStoreOptions options = FreshPgOptions();
  Node a(options, "a");
  auto created = a.Call("run.create", {{"kind", "three"}, {"input", json::object{}}, {"autorun", true}});
  ASSERT_OK(created);
  const std::string run(created->at("run").at("id").as_string());
  a.WaitFor(run, [](const json::object& r) { return StepStatus(r, 1) == "running"; });
  ASSERT_EQ(Leases(options)->Get(run)->token, 1u);
  Node b(options, "b");  // after a took the run, so that b cannot take it first
  b.fake.Release();

  // a can no longer reach the database for its renewals: by its own clock it gives the
  // run up (and tells its executor to stop) before the lease expires; b takes it over.
  a.ownership->CutOffForTesting(true);
  b.WaitFor(run, [](const json::object& r) { return r.at("status").as_string() == "completed"; });
  EXPECT_FALSE(a.ownership->Held(run).has_value());
  // Attempt 1 was a's; b recorded it interrupted and ran attempt 2. a's aborted
  // attempt left no trace.
  EXPECT_EQ(StepEvents(*b.store, run),
            (std::vector<std::string>{"started one 1", "completed one 1", "started two 1",
                                      "failed two 1 interrupted", "started two 2",
                                      "completed two 2", "started three 1", "completed three 1"}));
  auto lease = Leases(options)->Get(run);
  ASSERT_OK(lease);
  EXPECT_GE(lease->token, 2u);
  // a's token is stale: an append fenced with it is refused and writes nothing.
  AppendRequest stale;
  stale.run_id = run;
  stale.expected_version = b.Get(run).at("version").to_number<std::uint64_t>();
  stale.fence = 1;
  stale.events.push_back({"run.paused", "2026-01-01T00:00:00.000Z", "", "", "{\"abort_step\":false}"});
  EXPECT_EQ(a.store->Append(stale).status().code(), Code::kUnavailable);
  EXPECT_EQ(b.Get(run).at("version").to_number<std::uint64_t>(), stale.expected_version);
}

// A node whose store cannot append (its appends latched `unavailable`) but which still
// reaches the lease table must not keep its runs: it stops renewing and taking leases, so
// another node finishes them. Before, it renewed the lease for good and the run stayed.
TEST(PostgresOwnership, ANodeWhoseStoreCannotAppendLetsItsRunsGo) {
  const PostgresStoreOptions options = FreshPgOptions();
  auto healthy = std::make_shared<std::atomic<bool>>(true);
  Node a(options, "a", [healthy] { return healthy->load(); });
  auto created = a.Call("run.create", {{"kind", "three"}, {"input", json::object{}}, {"autorun", true}});
  ASSERT_OK(created);
  const std::string run(created->at("run").at("id").as_string());
  a.WaitFor(run, [](const json::object& r) { return StepStatus(r, 1) == "running"; });
  Node b(options, "b");
  b.fake.Release();

  healthy->store(false);
  b.WaitFor(run, [](const json::object& r) { return r.at("status").as_string() == "completed"; });
  EXPECT_FALSE(a.ownership->Held(run).has_value());
  auto again = a.ownership->Acquire(run);  // nor takes it back
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), Code::kUnavailable) << again.status().ToString();
  auto lease = Leases(options)->Get(run);
  ASSERT_OK(lease);
  EXPECT_GE(lease->token, 2u);
}

// A node that cannot reach the lease table answers run.next `unavailable` (the client
// retries later), not `conflict` "driven by another node", which no other node is; once
// the database answers again the same command starts the step. (It said `conflict`.)
TEST(PostgresOwnership, RunNextWhileTheLeasesCannotBeReachedIsUnavailable) {
  const PostgresStoreOptions options = FreshPgOptions();
  Node a(options, "a");
  auto created = a.Call("run.create", {{"kind", "three"}, {"input", json::object{}}});
  ASSERT_OK(created);
  const std::string run(created->at("run").at("id").as_string());

  a.ownership->CutOffForTesting(true);
  auto refused = a.Call("run.next", {{"run_id", run}});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Code::kUnavailable) << refused.status().ToString();
  EXPECT_EQ(a.Get(run).at("version").to_number<std::uint64_t>(), 1u) << "nothing was appended";

  a.ownership->CutOffForTesting(false);
  a.fake.Release();
  auto stepped = a.Call("run.next", {{"run_id", run}});
  ASSERT_OK(stepped);
  EXPECT_EQ(StepStatus(stepped->at("run").as_object(), 0), "completed");
}

TEST(PostgresOwnership, CommandsOnEitherNodeAreDecidedAgainAfterALostRace) {
  const PostgresStoreOptions options = FreshPgOptions();
  Node a(options, "a");
  Node b(options, "b");
  auto created = a.Call("run.create", {{"kind", "three"}, {"input", json::object{}}});
  ASSERT_OK(created);
  const std::string run(created->at("run").at("id").as_string());
  b.WaitFor(run, [](const json::object&) { return true; });
  // Both nodes switch autorun on and off at once: each decision is made on the node's
  // view of the run, which the other node's appends keep making stale.
  constexpr int kEach = 20;
  auto toggle = [&](Node& node, bool first) {
    for (int i = 0; i < kEach; ++i) {
      auto r = node.Call("run.autorun", {{"run_id", run}, {"enabled", (i % 2 == 0) == first}});
      EXPECT_TRUE(r.ok()) << "toggle " << i << ": " << r.status().ToString();
    }
  };
  std::thread ta([&] { toggle(a, true); });
  std::thread tb([&] { toggle(b, false); });
  ta.join();
  tb.join();
  // With expect_version a stale view is the client's conflict, as before.
  const std::uint64_t version = a.Get(run).at("version").to_number<std::uint64_t>();
  auto stale = b.Call("run.autorun", {{"run_id", run}, {"enabled", true}, {"expect_version", version - 1}});
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.status().code(), Code::kConflict);
  StepEvents(*a.store, run);  // versions contiguous
}

// A run stepped with run.next after run.next keeps its lease between the steps (no
// release and acquire per step: the token stays); once the run has not been stepped for
// a whole scan interval the scan gives the lease up, and another node may then step it
// (with a new, larger token).
TEST(PostgresOwnership, ARunSteppedAgainAndAgainKeepsItsLeaseUntilIdle) {
  const PostgresStoreOptions options = FreshPgOptions();
  Node a(options, "a");
  a.fake.Release();  // steps complete at once
  auto created = a.Call("run.create", {{"kind", "three"}, {"input", json::object{}}});
  ASSERT_OK(created);
  const std::string run(created->at("run").at("id").as_string());
  auto leases = Leases(options);
  ASSERT_OK(a.Call("run.next", {{"run_id", run}}));
  auto first = leases->Get(run);
  ASSERT_OK(first);
  EXPECT_EQ(first->node_id, "a");
  ASSERT_OK(a.Call("run.next", {{"run_id", run}}));
  auto second = leases->Get(run);
  ASSERT_OK(second);
  EXPECT_EQ(second->node_id, "a");
  EXPECT_EQ(second->token, first->token) << "kept between the steps, not taken again";
  EXPECT_TRUE(second->live);

  // Idle now: released by a's scan (every 500 ms here) within about two intervals.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  for (;;) {
    auto l = leases->Get(run);
    ASSERT_OK(l);
    if (l->node_id.empty()) break;
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the idle lease was never released";
    std::this_thread::sleep_for(milliseconds(20));
  }
  EXPECT_FALSE(a.ownership->Held(run).has_value());

  Node b(options, "b");
  b.fake.Release();
  b.WaitFor(run, [](const json::object& r) { return r.at("cursor").to_number<int>() == 2; });
  ASSERT_OK(b.Call("run.next", {{"run_id", run}}));
  auto third = leases->Get(run);
  ASSERT_OK(third);
  EXPECT_EQ(third->node_id, "b");
  EXPECT_GT(third->token, first->token);
  EXPECT_EQ(StepEvents(*b.store, run),
            (std::vector<std::string>{"started one 1", "completed one 1", "started two 1",
                                      "completed two 1", "started three 1", "completed three 1"}));
}

// run.next may go to any node: a client alternates between two nodes on the same runs
// with no pause, each call on the node that did not take the previous step (which keeps
// its lease idle). Every call succeeds; each takes the lease over with a higher token.
TEST(PostgresOwnership, RunNextAlternatingBetweenNodesAlwaysSucceeds) {
  const PostgresStoreOptions options = FreshPgOptions();
  Node a(options, "a");
  Node b(options, "b");
  a.fake.Release();  // steps complete at once
  b.fake.Release();
  auto leases = Leases(options);
  int call = 0;
  for (int r = 0; r < 4; ++r) {
    auto created = a.Call("run.create", {{"kind", "three"}, {"input", json::object{}}});
    ASSERT_OK(created);
    const std::string run(created->at("run").at("id").as_string());
    std::uint64_t token = 0;
    for (int step = 0; step < 3; ++step, ++call) {
      Node& node = call % 2 == 0 ? b : a;
      const std::string name = call % 2 == 0 ? "b" : "a";
      auto next = node.Call("run.next", {{"run_id", run}});
      ASSERT_TRUE(next.ok()) << "call " << call << " (run " << r << ", step " << step << ", node "
                             << name << "): " << next.status().ToString();
      EXPECT_EQ(next->at("step").at("index").to_number<int>(), step);
      EXPECT_EQ(next->at("step").at("status").as_string(), "completed");
      auto lease = leases->Get(run);
      ASSERT_OK(lease);
      EXPECT_EQ(lease->node_id, name) << "call " << call;
      EXPECT_GT(lease->token, token) << "call " << call << ": tokens strictly increase";
      token = lease->token;
    }
    a.WaitFor(run, [](const json::object& o) { return o.at("status").as_string() == "completed"; });
    EXPECT_EQ(StepEvents(*a.store, run),
              (std::vector<std::string>{"started one 1", "completed one 1", "started two 1",
                                        "completed two 1", "started three 1", "completed three 1"}));
  }
}

TEST(PostgresOwnership, IdempotencyKeysHoldAcrossNodes) {
  const PostgresStoreOptions options = FreshPgOptions();
  Node a(options, "a");
  Node b(options, "b");
  const json::object args{{"kind", "three"}, {"input", json::object{{"text", "x"}}}};
  auto first = a.Call("run.create", args, "create-1");
  ASSERT_OK(first);
  // At once on the other node, before its feed may have brought a's events.
  auto again = b.Call("run.create", args, "create-1");
  ASSERT_OK(again);
  EXPECT_EQ(again->at("run").at("id"), first->at("run").at("id"));
  json::object other = args;
  other["title"] = "another";
  auto conflict = b.Call("run.create", other, "create-1");
  ASSERT_FALSE(conflict.ok());
  EXPECT_EQ(conflict.status().code(), Code::kConflict);
  const std::string run(first->at("run").at("id").as_string());
  b.WaitFor(run, [](const json::object&) { return true; });
  auto paused = b.Call("run.pause", {{"run_id", run}}, "pause-1");
  ASSERT_OK(paused);
  auto repeat = a.Call("run.pause", {{"run_id", run}}, "pause-1");
  // A second pause would be refused: the key answers again instead.
  ASSERT_TRUE(repeat.ok()) << repeat.status().ToString();
  EXPECT_EQ(repeat->at("run").at("version"), paused->at("run").at("version"));
  auto list = a.Call("run.list", {});
  ASSERT_OK(list);
  EXPECT_EQ(list->at("runs").as_array().size(), 1u);
}

}  // namespace
}  // namespace forkline::testing
