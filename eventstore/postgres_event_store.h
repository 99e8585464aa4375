#pragma once
// The shared EventStore on PostgreSQL (libpqxx): several forklined nodes may open the
// same database and schema. See event_store.h for the promises; the tables are drawn in
// eventstore/postgres/pg_schema.cc, which creates and migrates them at open.
//
// Appends: one writer thread per store drains every pending append into one transaction
// (group commit) with synchronous_commit = on; callers are acknowledged after COMMIT
// returns. Versions are checked against the stream heads read inside that transaction
// and enforced by the unique key (run_id, version): a lost race is kConflict.
// Global order: each transaction takes one advisory lock (per schema) before it assigns
// positions and holds it until its commit is visible, so positions become visible in
// order and a reader tailing `ReadAll(last)` never skips one, across every node.
// Ambiguous commit (the connection breaks during COMMIT): the writer reconnects, waits
// for that same lock (so the old transaction has ended) and looks for the batch's first
// event with its random event id; found → acknowledged, absent → kUnavailable (nothing
// was written). Never a blind retry. The writer keeps trying to settle for 30 s (the
// server may be restarting); appends wait meanwhile. An outcome it still cannot settle
// latches kUnavailable until the store is reopened.
// Listeners see the events appended through this store object, or with
// deliver_all_nodes every node's (LISTEN/NOTIFY as a wake-up, then a read by position).
// Reads use a small pool of connections; a broken one is replaced on the next call.

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "eventstore/event_store.h"

namespace forkline {

struct PostgresStoreOptions {
  // A libpq connection string or URI ("postgresql://user@host:5432/db"). Required.
  std::string url;
  // The schema that holds the store's tables; created when missing. Default: "forkline".
  std::string schema = "forkline";
  // Largest accepted event (type + data + key + command_id), bytes. Default: 16 MiB.
  std::size_t max_event_bytes = 16u << 20;
  // Connections kept for reads (the writer has its own). Default: 4.
  std::size_t read_connections = 4;
  // Listeners also get the events other nodes (store objects) append to the schema:
  // every event once, in position order, woken by LISTEN/NOTIFY and read by position
  // (then listeners run on the writer thread or on the feed's own thread). Appenders'
  // callbacks still come after the listeners saw everything up to their events.
  // Default: false (this store object's appends only, as the embedded stores).
  bool deliver_all_nodes = false;
  // Called on the writer thread with the seconds each group-commit transaction took.
  std::function<void(double seconds)> on_commit;
  // Test hooks, on the writer thread. before_commit gets the writer's backend pid just
  // before COMMIT is sent; lose_commit_reply, after a successful COMMIT, may return
  // true to treat the commit as in doubt (as if the reply was lost). Optional.
  std::function<void(int backend_pid)> before_commit;
  std::function<bool()> lose_commit_reply;
};

// Connects, creates or migrates the schema, and starts the writer. kUnavailable when
// the server cannot be reached or its schema is newer than this build knows.
Result<std::unique_ptr<EventStore>> OpenPostgresEventStore(const PostgresStoreOptions& options);

}  // namespace forkline
