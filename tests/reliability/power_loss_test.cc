// Power loss under the RocksDB event store (issue 8 §2). Appenders run through a
// PowerLossFileSystem; the power goes off at a random write or sync; unsynced bytes are
// dropped (sometimes with a torn last page) and the store is reopened. Pass: it opens
// every time and every acknowledged event is there. A control run with sync off must
// lose its unsynced tail, proving the harness bites.
// Iterations: FORKLINE_POWER_LOSS_ITERATIONS (default 50; `make torture` runs 1000).
// After each reopen only what is new since the last check is read (AckChecker); the
// whole log is re-read every FORKLINE_POWER_LOSS_FULL_CHECK_EVERY iterations (default
// 25) and at the end, so the cost of a check does not grow with the ledger.
#include <cstdlib>
#include <random>

#include <gtest/gtest.h>
#include <rocksdb/env.h>

#include "eventstore/rocksdb_event_store.h"
#include "tests/reliability/ack_checker.h"
#include "tests/reliability/power_loss_fs.h"
#include "tests/reliability/store_workload.h"
#include "tests/testutil/status_matchers.h"
#include "tests/testutil/temp_dir.h"

namespace forkline::testing {
namespace {

int EnvInt(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && std::atoi(v) > 0 ? std::atoi(v) : fallback;
}

class PowerLossTest : public ::testing::Test {
 protected:
  Result<std::unique_ptr<EventStore>> Open(bool sync = true) {
    RocksDbStoreOptions options;
    options.path = dir_.Sub("store");
    options.env = env_.get();
    options.sync = sync;
    return OpenRocksDbEventStore(options);
  }

  TempDir dir_;
  std::shared_ptr<PowerLossFileSystem> fs_ =
      std::make_shared<PowerLossFileSystem>(rocksdb::FileSystem::Default());
  std::unique_ptr<rocksdb::Env> env_ = rocksdb::NewCompositeEnv(fs_);
};

constexpr PowerLossFileSystem::Tear kTears[] = {PowerLossFileSystem::Tear::kNone,
                                                PowerLossFileSystem::Tear::kPartial,
                                                PowerLossFileSystem::Tear::kGarbage};

TEST_F(PowerLossTest, AckedEventsSurviveEveryPowerLoss) {
  const int iterations = EnvInt("FORKLINE_POWER_LOSS_ITERATIONS", 50);
  const int full_every = EnvInt("FORKLINE_POWER_LOSS_FULL_CHECK_EVERY", 25);
  std::mt19937_64 rng(20261129);
  AckLedger ledger;
  AckChecker checker;
  std::uint64_t dropped_bytes = 0;
  int full_checks = 0;
  int cuts_during_recovery = 0;
  auto opened = Open();
  ASSERT_OK(opened);
  std::unique_ptr<EventStore> store = std::move(opened).value();
  for (int i = 0; i < iterations; ++i) {
    SCOPED_TRACE("iteration " + std::to_string(i));
    fs_->CutPowerAtOperation(static_cast<std::int64_t>(rng() % 120));
    const WorkloadResult w = RunAppenders(*store, "run-", 3, 100000, ledger);
    ASSERT_FALSE(fs_->power_on());
    EXPECT_EQ(store->Health().code(), Code::kUnavailable);
    EXPECT_EQ(w.first_refusal.code(), Code::kUnavailable) << w.first_refusal.ToString();
    store.reset();  // closed with the power off
    dropped_bytes += fs_->DropUnsyncedData(kTears[rng() % 3], rng);
    fs_->RestorePower();
    if (rng() % 4 == 0) {  // the power fails again while the store recovers
      fs_->CutPowerAtOperation(static_cast<std::int64_t>(rng() % 20));
      { auto ignored = Open(); }
      if (!fs_->power_on()) ++cuts_during_recovery;
      dropped_bytes += fs_->DropUnsyncedData(kTears[rng() % 3], rng);
      fs_->RestorePower();
    }
    opened = Open();
    ASSERT_OK(opened);  // the store opens every time
    store = std::move(opened).value();
    const bool full = (i + 1) % full_every == 0 || i + 1 == iterations;
    full_checks += full ? 1 : 0;
    ASSERT_EQ(checker.Check(*store, ledger,
                            full ? AckChecker::Scope::kFull : AckChecker::Scope::kNew),
              "");
  }
  std::printf("power loss: %d iterations, %zu acked events (%llu acked-event checks, %d of "
              "them full re-reads, %llu events read back), %llu unsynced bytes dropped, %d "
              "cuts during recovery, 0 lost\n",
              iterations, ledger.size(),
              static_cast<unsigned long long>(checker.entries_checked()), full_checks,
              static_cast<unsigned long long>(checker.events_read()),
              static_cast<unsigned long long>(dropped_bytes), cuts_during_recovery);
  EXPECT_GT(ledger.size(), 0u);
}

// Synced appends, checked; then appends with sync off on the same runs and a power loss.
// The incremental check (and a full one) must find acknowledged events missing.
TEST_F(PowerLossTest, ControlRunWithoutSyncLosesItsUnsyncedTail) {
  std::mt19937_64 rng(7);
  std::size_t lost_total = 0;
  for (int i = 0; i < 3; ++i) {
    SCOPED_TRACE("iteration " + std::to_string(i));
    const std::string prefix = "nosync-" + std::to_string(i) + "-";
    AckLedger ledger;
    AckChecker checker;
    {
      auto store = Open(/*sync=*/true);
      ASSERT_OK(store);
      RunAppenders(**store, prefix, 2, 20, ledger);
      ASSERT_EQ(checker.Check(**store, ledger, AckChecker::Scope::kNew), "");
    }
    {
      auto store = Open(/*sync=*/false);
      ASSERT_OK(store);
      RunAppenders(**store, prefix, 2, 50, ledger);
      fs_->CutPower();
    }
    fs_->DropUnsyncedData(PowerLossFileSystem::Tear::kNone, rng);
    fs_->RestorePower();
    auto store = Open();
    ASSERT_OK(store);
    EXPECT_NE(checker.Check(**store, ledger, AckChecker::Scope::kNew), "");
    EXPECT_GT(checker.lost(), 0u)
        << "without sync, acked events must be lost: the harness does not bite";
    std::size_t lost = 0;
    EXPECT_NE(CheckAcked(**store, ledger.All(), &lost), "");
    EXPECT_EQ(lost, checker.lost()) << "the full check and the incremental one disagree";
    lost_total += checker.lost();
  }
  std::printf("control (sync off): %zu acked events lost over 3 power losses\n", lost_total);
}

}  // namespace
}  // namespace forkline::testing
