#pragma once
// The PostgreSQL store's writer: commits a batch of appends in one transaction and
// settles a commit whose outcome is in doubt (see postgres_event_store.h).
// Not thread-safe: the store's writer thread owns it.

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "eventstore/append_plan.h"
#include "eventstore/postgres_event_store.h"

#include <pqxx/pqxx>

namespace forkline::pg {

struct BatchOutcome {
  std::vector<Result<EventList>> results;  // one per request, in request order
  EventList committed;                     // every stored event, in position order
};

class BatchWriter {
 public:
  explicit BatchWriter(const PostgresStoreOptions& options);

  // Plans every request against the stream heads as the batch leaves them (a request
  // refused by PlanAppend does not stop the others) and stores the accepted ones in one
  // transaction. When that transaction fails, every request gets its error.
  BatchOutcome Commit(const std::vector<const AppendRequest*>& requests);

  // Ok, or the latched error of a commit whose outcome could not be settled.
  const Status& latched() const { return latched_; }

 private:
  using Heads = std::unordered_map<std::string, StreamInfo>;

  Status EnsureSession();
  struct Planned;
  // One try of Commit; sets `retry` (when `may_retry`) if the session was found broken
  // before COMMIT was sent.
  BatchOutcome Attempt(const std::vector<const AppendRequest*>& requests, bool may_retry,
                       bool& retry);
  // Plans every request (refusals go straight into out.results; accepted events into
  // out.committed) against the heads read in `txn`.
  Planned PlanBatch(pqxx::transaction_base& txn, const std::vector<const AppendRequest*>& requests,
                    BatchOutcome& out);
  struct BatchState {
    Heads heads;                 // of every stream the requests name
    std::uint64_t last_position = 0;
    std::unordered_map<std::string, std::uint64_t> tokens;  // of fenced requests' runs
  };
  // Begins the transaction, takes the position lock and reads the batch's state, all in
  // one round trip.
  BatchState LockAndLoad(pqxx::transaction_base& txn,
                         const std::vector<const AppendRequest*>& requests);
  // kUnavailable when the request carries a fence that is not its run's lease token.
  static Status CheckFence(const AppendRequest& request,
                           const std::unordered_map<std::string, std::uint64_t>& tokens);
  Result<AppendContext> ContextFor(pqxx::transaction_base& txn, const AppendRequest& request,
                                   Heads& heads, const EventList& planned);
  // The statements that store the batch.
  std::string WriteSql(pqxx::transaction_base& txn, const std::vector<StreamInfo>& streams,
                       const EventList& events, const std::vector<std::string>& event_ids);
  void Rollback();
  // After COMMIT was sent but its reply never came: true when the batch whose first
  // event is `first` with `event_id` is stored.
  Result<bool> Settle(const Event& first, const std::string& event_id);
  std::string NewEventId();

  const PostgresStoreOptions options_;
  std::unique_ptr<pqxx::connection> conn_;
  Status latched_;
  std::mt19937_64 rng_;
};

}  // namespace forkline::pg
