// Run leases on the PostgreSQL store (eventstore/postgres_leases.h): one holder at a
// time, tokens that strictly increase per run, appends fenced by a stale token refused
// with nothing written, renewals, and the shared idempotency-key lookup.
#include <atomic>
#include <future>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "eventstore/postgres_leases.h"
#include "tests/eventstore/pg_test_server.h"
#include "tests/eventstore/store_factory.h"
#include "tests/testutil/status_matchers.h"

#include <pqxx/pqxx>

namespace forkline::testing {
namespace {

using std::chrono::milliseconds;
constexpr milliseconds kLong{60000};

struct Fixture {
  PostgresStoreOptions options = FreshPgOptions();
  std::unique_ptr<EventStore> store;
  std::unique_ptr<PostgresLeases> leases;

  Fixture() {
    auto s = OpenPostgresEventStore(options);
    if (!s.ok()) throw std::runtime_error(s.status().ToString());
    store = std::move(s).value();
    auto l = OpenPostgresLeases(options);
    if (!l.ok()) throw std::runtime_error(l.status().ToString());
    leases = std::move(l).value();
  }
  // Lets the run's lease run out without waiting: its expiry moves into the past.
  void Expire(const std::string& run) {
    pqxx::connection c(PgTestUrl());
    pqxx::work txn(c);
    txn.exec_params("UPDATE " + options.schema +
                        ".leases SET expires_at = now() - interval '1 second' WHERE run_id = $1",
                    run);
    txn.commit();
  }
  std::optional<std::uint64_t> Acquire(const std::string& run, const std::string& node) {
    auto t = leases->Acquire(run, node, kLong);
    EXPECT_OK(t);
    return t.ok() ? *t : std::nullopt;
  }
};

TEST(PostgresLeases, OneHolderAtATimeAndTokensStrictlyIncrease) {
  Fixture f;
  EXPECT_EQ(f.Acquire("r", "a"), 1u);
  EXPECT_EQ(f.Acquire("r", "b"), std::nullopt) << "a holds a live lease";
  EXPECT_EQ(f.Acquire("r", "a"), 2u) << "the holder itself (e.g. restarted) takes it anew";
  ASSERT_OK(f.leases->Release("r", 2));
  EXPECT_EQ(f.Acquire("r", "b"), 3u) << "a released lease is free";
  EXPECT_EQ(f.Acquire("r", "a"), std::nullopt);
  f.Expire("r");
  EXPECT_EQ(f.Acquire("r", "a"), 4u) << "an expired lease is free";
  ASSERT_OK(f.leases->Release("r", 3));  // b's old token: no effect
  auto lease = f.leases->Get("r");
  ASSERT_OK(lease);
  EXPECT_EQ(lease->node_id, "a");
  EXPECT_EQ(lease->token, 4u);
  EXPECT_TRUE(lease->live);
  EXPECT_EQ(f.leases->Get("other").status().code(), Code::kNotFound);
}

// Claim takes a live lease from its holder only while the run's log ends at the version
// the claimer decided on; the old holder's fenced append is then refused.
TEST(PostgresLeases, ClaimTakesALiveLeaseOnlyAtTheHeadItWasDecidedOn) {
  Fixture f;
  ASSERT_OK(f.store->Append(Req("r", 0, {Ev("run.created")})));
  ASSERT_EQ(f.Acquire("r", "a"), 1u);
  auto behind = f.leases->Claim("r", "b", kLong, 0);
  ASSERT_OK(behind);
  EXPECT_EQ(*behind, std::nullopt) << "b's view is older than the log";
  auto ahead = f.leases->Claim("r", "b", kLong, 2);
  ASSERT_OK(ahead);
  EXPECT_EQ(*ahead, std::nullopt) << "no such head";
  auto claimed = f.leases->Claim("r", "b", kLong, 1);
  ASSERT_OK(claimed);
  EXPECT_EQ(*claimed, std::optional<std::uint64_t>(2u));
  auto lease = f.leases->Get("r");
  ASSERT_OK(lease);
  EXPECT_EQ(lease->node_id, "b");
  EXPECT_TRUE(lease->live);
  AppendRequest old_holder = Req("r", 1, {Ev("step.started")});
  old_holder.fence = 1;
  EXPECT_EQ(f.store->Append(old_holder).status().code(), Code::kUnavailable);
  AppendRequest claimer = Req("r", 1, {Ev("step.started")});
  claimer.fence = 2;
  ASSERT_OK(f.store->Append(claimer));
  // The log moved on: a claim decided on version 1 takes nothing now.
  auto late = f.leases->Claim("r", "a", kLong, 1);
  ASSERT_OK(late);
  EXPECT_EQ(*late, std::nullopt);
  // A run never leased: Claim acquires like Acquire.
  auto fresh = f.leases->Claim("s", "a", kLong, 7);
  ASSERT_OK(fresh);
  EXPECT_EQ(*fresh, std::optional<std::uint64_t>(1u));
}

TEST(PostgresLeases, RacingAcquiresOfAFreeLeaseHaveOneWinner) {
  Fixture f;
  ASSERT_EQ(f.Acquire("r", "first"), 1u);
  for (int round = 0; round < 5; ++round) {
    f.Expire("r");
    std::vector<std::unique_ptr<PostgresLeases>> nodes;
    for (int n = 0; n < 4; ++n) {
      auto l = OpenPostgresLeases(f.options);
      ASSERT_OK(l);
      nodes.push_back(std::move(l).value());
    }
    std::atomic<int> winners{0};
    std::atomic<std::uint64_t> token{0};
    std::vector<std::thread> threads;
    for (int n = 0; n < 4; ++n) {
      threads.emplace_back([&, n] {
        auto t = nodes[n]->Acquire("r", "node" + std::to_string(n), kLong);
        ASSERT_OK(t);
        if (t->has_value()) {
          ++winners;
          token = **t;
        }
      });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(winners.load(), 1) << "round " << round;
    EXPECT_EQ(token.load(), static_cast<std::uint64_t>(round) + 2);
  }
}

TEST(PostgresLeases, StaleFenceIsRefusedAndNothingIsWritten) {
  Fixture f;
  ASSERT_OK(f.store->Append(Req("r", 0, {Ev("run.created")})));
  ASSERT_EQ(f.Acquire("r", "a"), 1u);
  AppendRequest ok = Req("r", 1, {Ev("step.started")});
  ok.fence = 1;
  ASSERT_OK(f.store->Append(ok));
  f.Expire("r");
  ASSERT_EQ(f.Acquire("r", "b"), 2u);  // b took the run over
  const std::uint64_t before = f.store->LastPosition();
  AppendRequest stale = Req("r", 2, {Ev("step.completed")});
  stale.fence = 1;
  auto refused = f.store->Append(stale);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Code::kUnavailable);
  EXPECT_NE(refused.status().message().find("stale"), std::string::npos) << refused.status().ToString();
  EXPECT_EQ(f.store->LastPosition(), before);
  auto head = f.store->GetStream("r");
  ASSERT_OK(head);
  EXPECT_EQ(head->head_version, 2u);
  // In the same batch as others: only the stale one is refused.
  std::vector<std::future<Result<AppendResult>>> pending;
  AppendRequest fresh = Req("r", 2, {Ev("step.failed")});
  fresh.fence = 2;
  stale.expected_version = 2;
  for (AppendRequest* r : {&stale, &fresh}) {
    auto p = std::make_shared<std::promise<Result<AppendResult>>>();
    pending.push_back(p->get_future());
    f.store->AppendAsync(*r, [p](Result<AppendResult> res) { p->set_value(std::move(res)); });
  }
  EXPECT_EQ(pending[0].get().status().code(), Code::kUnavailable);
  EXPECT_OK(pending[1].get());
  // A fence on a run that was never leased is stale too.
  ASSERT_OK(f.store->Append(Req("s", 0, {Ev("run.created")})));
  AppendRequest unleased = Req("s", 1, {Ev("x")});
  unleased.fence = 1;
  EXPECT_EQ(f.store->Append(unleased).status().code(), Code::kUnavailable);
}

TEST(PostgresLeases, RenewKeepsOnlyLeasesStillHeld) {
  Fixture f;
  ASSERT_EQ(f.Acquire("r1", "a"), 1u);
  ASSERT_EQ(f.Acquire("r2", "a"), 1u);
  f.Expire("r2");
  ASSERT_EQ(f.Acquire("r2", "b"), 2u);
  auto renewed = f.leases->Renew({{"r1", 1}, {"r2", 1}}, "a", kLong);
  ASSERT_OK(renewed);
  EXPECT_EQ(*renewed, std::vector<std::string>{"r1"});
  f.Expire("r1");
  // A renewal of an expired lease nobody took keeps it (same token: no one else acted).
  renewed = f.leases->Renew({{"r1", 1}}, "a", kLong);
  ASSERT_OK(renewed);
  EXPECT_EQ(renewed->size(), 1u);
  EXPECT_TRUE(f.leases->Get("r1")->live);
}

TEST(PostgresLeases, FindKeyGivesTheLastEventWithTheKey) {
  Fixture f;
  AppendRequest r = Req("r", 0, {Ev("run.created"), Ev("run.autorun_started")});
  for (NewEvent& e : r.events) {
    e.key = "k1";
    e.command_id = "run.create#00";
  }
  ASSERT_OK(f.store->Append(r));
  auto use = f.leases->FindKey("k1");
  ASSERT_OK(use);
  ASSERT_TRUE(use->has_value());
  EXPECT_EQ((*use)->run_id, "r");
  EXPECT_EQ((*use)->version, 2u);
  EXPECT_EQ((*use)->command_id, "run.create#00");
  use = f.leases->FindKey("k2");
  ASSERT_OK(use);
  EXPECT_FALSE(use->has_value());
}

}  // namespace
}  // namespace forkline::testing
