#pragma once
// PostgresOwnership: run leases on the shared PostgreSQL store (see ownership.h and
// eventstore/postgres_leases.h). A thread renews every lease this node holds each ttl/3;
// a lease whose renewal has not succeeded by ttl - ttl/5 after the renewal (or acquire)
// was sent is given up by this node's monotonic clock — before the server lets another
// node take it — and `lost` is called for it. A run missing from a renewal's answer was
// taken over: given up at once. Acquire (and Claim) on a lease still held costs no round
// trip and marks it used; Idle (for the engine's scan, which then releases) is true once it has
// not been acquired for a whole ScanInterval.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "daemon/engine/ownership.h"
#include "eventstore/postgres_leases.h"

namespace forkline {

struct PostgresOwnershipOptions {
  std::string node_id;                   // unique per running node; required
  std::chrono::milliseconds ttl{10000};  // lease timeout. Default: 10 s
  // Whether this node's store can append (EventStore::Health). While it cannot — e.g. its
  // appends latched `unavailable` after a commit whose outcome could not be settled —
  // the node neither renews nor takes leases, so its runs move to nodes that can drive
  // them instead of staying stuck under a lease it keeps renewing. Null: always.
  std::function<bool()> store_healthy;
};

class PostgresOwnership final : public Ownership {
 public:
  PostgresOwnership(std::unique_ptr<PostgresLeases> leases, PostgresOwnershipOptions options);
  ~PostgresOwnership() override;  // Stop()

  Result<std::uint64_t> Acquire(const std::string& run_id) override;
  Result<std::uint64_t> Claim(const std::string& run_id, std::uint64_t head_version) override;
  bool Confirm(const std::string& run_id) override;
  std::optional<std::uint64_t> Held(const std::string& run_id) override;
  void Release(const std::string& run_id) override;
  bool Idle(const std::string& run_id) override;
  bool Shared() const override { return true; }
  std::chrono::milliseconds ScanInterval() const override { return options_.ttl / 3; }
  std::optional<KeyUse> FindKey(const std::string& key) override;
  void Start(LostFn lost) override;
  void Stop() override;

  // Tests: while cut off, no renewal is sent and no lease acquired, as if the database
  // could not be reached.
  void CutOffForTesting(bool cut_off);

 private:
  struct HeldLease {
    std::uint64_t token;
    std::chrono::steady_clock::time_point valid_until;  // our own give-up time
    std::chrono::steady_clock::time_point last_acquire;  // for Idle
  };
  // Acquire, or with `head_version` Claim.
  Result<std::uint64_t> Take(const std::string& run_id,
                                    std::optional<std::uint64_t> head_version);
  void RenewLoop();
  void RenewOnce();
  bool StoreHealthy() const;
  std::chrono::milliseconds Margin() const { return options_.ttl / 5; }

  const std::unique_ptr<PostgresLeases> leases_;
  const PostgresOwnershipOptions options_;
  std::mutex mu_;  // guards held_, lost_, stopping_, cut_off_
  std::condition_variable cv_;
  std::map<std::string, HeldLease> held_;
  LostFn lost_;
  bool stopping_ = false;
  bool cut_off_ = false;
  std::thread thread_;
};

}  // namespace forkline
