#pragma once
// Ownership: which node drives a run — starts its steps, records their ends, runs its
// autorun, recovers it after a crash. With one node (RocksDB, the in-memory store) this
// node drives every run (SingleNodeOwnership). With several nodes on one PostgreSQL
// store a run that needs a driver (autorun on, or a step in flight or due) is driven by
// the node that holds its lease (PostgresOwnership, daemon/engine/postgres_ownership.h);
// the engine attaches the lease's fencing token to the appends it makes as driver.
// Implementations are thread-safe; Acquire may block on a round trip to the database.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "eventstore/status.h"

namespace forkline {

class Ownership {
 public:
  // The last event appended with an idempotency key, as the shared store knows it.
  struct KeyUse {
    std::string run_id;
    std::uint64_t version = 0;
    std::string command_id;
    std::string at;
  };
  using LostFn = std::function<void(const std::string& run_id)>;

  virtual ~Ownership() = default;

  // Makes this node the run's driver, or keeps it so. The fencing token for its appends
  // (0: no fencing needed); kConflict when another node drives the run; kUnavailable
  // when the shared store cannot be reached or this node cannot append.
  virtual Result<std::uint64_t> Acquire(const std::string& run_id) = 0;
  // Acquire for a command that starts a new step, decided on the run's log up to
  // `head_version`: when another node holds the lease but the log still ends there (so
  // that node has no step in flight), the lease is taken from it (a higher token; its
  // next fenced append is refused). kConflict when the log has moved on (decide again);
  // kUnavailable as for Acquire.
  virtual Result<std::uint64_t> Claim(const std::string& run_id, std::uint64_t head_version) = 0;
  // After an append fenced with this node's token was refused: whether the lease still
  // stands in the shared store. False (and forgotten here) when another node has taken
  // it; true when it stands or the store cannot tell.
  virtual bool Confirm(const std::string& run_id) = 0;
  // The token while this node drives the run and may still act (a lease not renewed in
  // time is given up by this node's own clock before it expires); nullopt otherwise.
  virtual std::optional<std::uint64_t> Held(const std::string& run_id) = 0;
  // The run needs no driver any more.
  virtual void Release(const std::string& run_id) = 0;
  // True when this node has not called Acquire for the run for a full ScanInterval: the
  // periodic scan gives up only such leases, so a run stepped again and again (run.next
  // after run.next) keeps its lease instead of paying a release and an acquire per step.
  virtual bool Idle(const std::string& run_id) = 0;
  // True when other nodes may drive runs: the engine then looks every `ScanInterval`
  // for runs whose driver is gone (and gives up leases it no longer needs).
  virtual bool Shared() const = 0;
  virtual std::chrono::milliseconds ScanInterval() const = 0;
  // The key as another node may have used it (nullopt: unknown, or single node).
  virtual std::optional<KeyUse> FindKey(const std::string& key) = 0;
  // Starts keeping leases alive; `lost` is called (from another thread) for each run this
  // node stops driving without having released it. Stop ends that, releasing nothing:
  // the leases expire (a crash does the same).
  virtual void Start(LostFn lost) = 0;
  virtual void Stop() = 0;
};

// One node drives everything: tokens are 0, nothing is shared.
class SingleNodeOwnership final : public Ownership {
 public:
  Result<std::uint64_t> Acquire(const std::string&) override { return std::uint64_t{0}; }
  Result<std::uint64_t> Claim(const std::string&, std::uint64_t) override { return std::uint64_t{0}; }
  bool Confirm(const std::string&) override { return true; }
  std::optional<std::uint64_t> Held(const std::string&) override { return 0; }
  void Release(const std::string&) override {}
  bool Idle(const std::string&) override { return true; }
  bool Shared() const override { return false; }
  std::chrono::milliseconds ScanInterval() const override { return std::chrono::milliseconds(0); }
  std::optional<KeyUse> FindKey(const std::string&) override { return std::nullopt; }
  void Start(LostFn) override {}
  void Stop() override {}
};

}  // namespace forkline
