#pragma once
// Run leases on the PostgreSQL store (issue 9): which node drives a run, with a fencing
// token. The table is drawn in eventstore/postgres/pg_schema.cc (migration 2).
//
// A lease is a row per run: holder node, token, expiry (the server's clock). Acquire
// takes a lease that is free (released or expired) — or already this node's — and bumps
// its token, so tokens strictly increase per run for as long as the store exists; it
// runs under the store's position lock, so an acquire and an append fenced with the
// older token never overlap (pg_batch_writer.cc reads tokens under the same lock).
// Renew extends the leases this node still holds with the tokens it knows. Release frees
// a lease but keeps its row (and token).
// Claim may also take a live lease from another node, but only when the run's log ends
// where the claiming node decided (see Claim).
// Also: the idempotency-key lookup every node shares (the log's `key` column, indexed).
// Thread-safe: one session, used by one call at a time; a broken session is replaced on
// the next call. Every call can fail with kUnavailable (server unreachable).

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "eventstore/postgres_event_store.h"

namespace forkline {

class PostgresLeases {
 public:
  struct Lease {
    std::string run_id;
    std::string node_id;  // "" when released
    std::uint64_t token = 0;
    bool live = false;  // not released and not expired (server clock)
  };
  struct KeyUse {  // the last event appended with an idempotency key
    std::string run_id;
    std::uint64_t version = 0;
    std::string command_id;
    std::string at;
  };

  virtual ~PostgresLeases() = default;

  // The new token, or nullopt when another node holds a live lease on the run.
  virtual Result<std::optional<std::uint64_t>> Acquire(const std::string& run_id,
                                                       const std::string& node_id,
                                                       std::chrono::milliseconds ttl) = 0;
  // Acquire, and also takes a lease another node holds live when the run's stream head
  // is at `head_version`: for a command decided on the latest log that starts a new step
  // (so the holder has no step in flight; its next fenced append is refused). Atomic with
  // appends (the position lock), so no event slips in between the check and the take.
  virtual Result<std::optional<std::uint64_t>> Claim(const std::string& run_id,
                                                     const std::string& node_id,
                                                     std::chrono::milliseconds ttl,
                                                     std::uint64_t head_version) = 0;
  // Extends each (run, token) this node still holds; returns the runs extended (a run
  // missing from the answer was taken over).
  virtual Result<std::vector<std::string>> Renew(
      const std::vector<std::pair<std::string, std::uint64_t>>& held, const std::string& node_id,
      std::chrono::milliseconds ttl) = 0;
  // Frees the lease if it still has `token`.
  virtual Status Release(const std::string& run_id, std::uint64_t token) = 0;
  // kNotFound when the run has never been leased.
  virtual Result<Lease> Get(const std::string& run_id) = 0;
  // The last event carrying `key`, if any.
  virtual Result<std::optional<KeyUse>> FindKey(const std::string& key) = 0;
};

// Connects to the store's schema (which OpenPostgresEventStore created and migrated).
// Uses options.url and options.schema only.
Result<std::unique_ptr<PostgresLeases>> OpenPostgresLeases(const PostgresStoreOptions& options);

}  // namespace forkline
