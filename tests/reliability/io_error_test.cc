// I/O errors under the RocksDB event store (issue 8 §3): a failed fsync or write
// (ENOSPC, EIO) injected through the PowerLossFileSystem — in an append's own write or
// in a background flush or compaction. Pass: the failure latches the store (no append
// sent after it is acknowledged); the store then refuses appends with
// `unavailable` and the reason, even though the disk works again (the fault is one-shot,
// so a store that retried the fsync would get "success" for data the kernel dropped);
// after a power loss and a reopen, every acknowledged event is there.
// Rounds per fault: FORKLINE_IO_ERROR_ROUNDS (default 5; `make torture` runs 100).
#include <cstdlib>
#include <random>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rocksdb/env.h>

#include "eventstore/rocksdb_event_store.h"
#include "tests/reliability/power_loss_fs.h"
#include "tests/reliability/store_workload.h"
#include "tests/testutil/status_matchers.h"
#include "tests/testutil/temp_dir.h"

namespace forkline::testing {
namespace {

using ::testing::HasSubstr;

struct Fault {
  const char* name;
  bool on_sync;  // else on write
  rocksdb::IOStatus status;
  const char* reason;  // what the store must say
};

class StoreOnFaultyDisk {
 protected:
  Result<std::unique_ptr<EventStore>> Open() {
    RocksDbStoreOptions options;
    options.path = dir_.Sub("store");
    options.env = env_.get();
    return OpenRocksDbEventStore(options);
  }

  TempDir dir_;
  std::shared_ptr<PowerLossFileSystem> fs_ =
      std::make_shared<PowerLossFileSystem>(rocksdb::FileSystem::Default());
  std::unique_ptr<rocksdb::Env> env_ = rocksdb::NewCompositeEnv(fs_);
};

class IoErrorTest : public StoreOnFaultyDisk, public ::testing::TestWithParam<Fault> {};
class BackgroundErrorTest : public StoreOnFaultyDisk, public ::testing::Test {};

AppendRequest OneEvent(const std::string& run, std::uint64_t expected_version) {
  return AppendRequest{run, expected_version, std::nullopt,
                       {NewEvent{"t", "2026-01-01T00:00:00.000Z", "", "", "{}"}}};
}

TEST_P(IoErrorTest, NothingIsAckedAfterTheFirstFailureAndNothingAckedIsLost) {
  const Fault& fault = GetParam();
  std::mt19937_64 rng(42);
  std::size_t total_acked = 0;
  const char* env_rounds = std::getenv("FORKLINE_IO_ERROR_ROUNDS");
  const int rounds = env_rounds != nullptr && std::atoi(env_rounds) > 0 ? std::atoi(env_rounds) : 5;
  for (int round = 0; round < rounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    AckLedger ledger;
    auto store = Open();
    ASSERT_OK(store);
    const std::int64_t at = static_cast<std::int64_t>(rng() % 40);
    if (fault.on_sync) {
      fs_->FailSyncs(at, fault.status, 1);
    } else {
      fs_->FailWrites(at, fault.status, 1);
    }
    const std::int64_t faults_before = fs_->faults();
    // No append sent after the store said it failed is acknowledged. (Not "no ack after
    // the fault was hit": a fault in a background flush or compaction can race an append
    // whose own WAL write and sync succeeded — durable, and rightly acknowledged.)
    EventStore& live = **store;
    const WorkloadResult w = RunAppenders(live, "io-" + std::to_string(round) + "-", 3, 500,
                                          ledger, nullptr, [&] { return !live.Health().ok(); });
    total_acked += ledger.size();
    ASSERT_EQ(fs_->faults(), faults_before + 1) << "the fault was never hit";
    EXPECT_EQ(w.acked_after_failure, 0u);
    EXPECT_EQ(w.first_refusal.code(), Code::kUnavailable) << w.first_refusal.ToString();
    EXPECT_THAT(w.first_refusal.message(), HasSubstr(fault.reason));
    const Status health = (*store)->Health();
    EXPECT_EQ(health.code(), Code::kUnavailable);
    EXPECT_THAT(health.message(), HasSubstr(fault.reason));

    // The disk works again (one-shot fault), yet the store keeps refusing: it does not
    // trust a retry after a failed sync. (RocksDB may run its own recovery after ENOSPC,
    // syncing files of its own; the store's latch holds all the same.)
    AppendRequest again{"io-late-" + std::to_string(round), 0, std::nullopt,
                        {NewEvent{"t", "2026-01-01T00:00:00.000Z", "", "", "{}"}}};
    const auto late = (*store)->Append(std::move(again));
    ASSERT_FALSE(late.ok());
    EXPECT_EQ(late.status().code(), Code::kUnavailable);
    EXPECT_THAT(late.status().message(), HasSubstr(fault.reason));

    store->reset();
    fs_->CutPower();  // and then the machine loses power, for good measure
    fs_->DropUnsyncedData(PowerLossFileSystem::Tear::kGarbage, rng);
    fs_->RestorePower();
    auto reopened = Open();
    ASSERT_OK(reopened);
    ASSERT_OK((*reopened)->Health());
    ASSERT_EQ(CheckAcked(**reopened, ledger.All()), "");
    AppendRequest after{"io-after-" + std::to_string(round), 0, std::nullopt,
                        {NewEvent{"t", "2026-01-01T00:00:00.000Z", "", "", "{}"}}};
    ASSERT_OK((*reopened)->Append(std::move(after)));
  }
  std::printf("%s: %d faults, %zu acked events all found after reopen\n", fault.name, rounds,
              total_acked);
}

// A flush whose write fails in the background (not an append's own write) latches the
// store as well. Before, RocksDB recovered from the ENOSPC on its own and the store went
// on acknowledging appends (seen in the long tier: 300 acks after a failed sync).
TEST_F(BackgroundErrorTest, AFailedFlushLatchesTheStoreUntilReopened) {
  auto store = Open();
  ASSERT_OK(store);
  ASSERT_OK((*store)->Append(OneEvent("bg", 0)));  // something in the memtable to flush
  fs_->FailWrites(0, rocksdb::IOStatus::NoSpace("No space left on device"), 1);
  EXPECT_FALSE((*store)->Checkpoint(dir_.Sub("copy")).ok());  // its flush hits the fault
  ASSERT_EQ(fs_->faults(), 1);
  const Status health = (*store)->Health();
  EXPECT_EQ(health.code(), Code::kUnavailable);
  EXPECT_THAT(health.message(), HasSubstr("No space left on device"));
  const auto late = (*store)->Append(OneEvent("bg", 1));  // the disk works again
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.status().code(), Code::kUnavailable);
  store->reset();
  auto reopened = Open();
  ASSERT_OK(reopened);
  ASSERT_OK((*reopened)->Health());
  ASSERT_OK((*reopened)->Append(OneEvent("bg", 1)));
}

INSTANTIATE_TEST_SUITE_P(
    Faults, IoErrorTest,
    ::testing::Values(
        Fault{"SyncEnospc", true, rocksdb::IOStatus::NoSpace("No space left on device"),
              "No space left on device"},
        Fault{"SyncEio", true, rocksdb::IOStatus::IOError("Input/output error"),
              "Input/output error"},
        Fault{"WriteEnospc", false, rocksdb::IOStatus::NoSpace("No space left on device"),
              "No space left on device"},
        Fault{"WriteEio", false, rocksdb::IOStatus::IOError("Input/output error"),
              "Input/output error"}),
    [](const ::testing::TestParamInfo<Fault>& p) { return std::string(p.param.name); });

}  // namespace
}  // namespace forkline::testing
