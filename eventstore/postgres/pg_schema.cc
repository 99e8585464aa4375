#include "eventstore/postgres/pg_schema.h"

#include <iterator>

#include "eventstore/postgres/pg_common.h"

namespace forkline::pg {
namespace {

// Every migration ever shipped, in order; migration N is kMigrations[N - 1]. Never edit
// one that has shipped: add the next.
//
//   migrations  version (1, 2, …) | applied_at
//   streams     run_id PK | head_version | head_hash | parent_run_id → streams | parent_version
//               a fork is a row with a parent link; its prefix stays in the source's rows
//   events      position PK (global order, gap-free) | run_id → streams | version
//               | event_id (random uuid; settles an ambiguous commit) | type | at | command_id
//               | key | data (as given) | prev_hash | hash   — UNIQUE (run_id, version)
//   leases      run_id PK | node_id ('' when released) | token (fencing, +1 per acquire)
//               | expires_at (the server's clock)        — version 2
//   events_key  index on events (key) for keys that are set: idempotency keys are looked
//               up in the log itself, on every node           — version 2
//
// Hashes are hex SHA-256 of the canonical JSON (eventstore/canonical.h), so an event
// read here hashes exactly as one read from RocksDB.
constexpr const char* kMigrations[] = {
    R"sql(
CREATE TABLE streams (
  run_id          text   PRIMARY KEY,
  head_version    bigint NOT NULL CHECK (head_version >= 1),
  head_hash       text   NOT NULL,
  parent_run_id   text   REFERENCES streams (run_id),
  parent_version  bigint CHECK (parent_version >= 0),
  CHECK ((parent_run_id IS NULL) = (parent_version IS NULL))
);
CREATE TABLE events (
  position    bigint PRIMARY KEY CHECK (position >= 1),
  run_id      text   NOT NULL REFERENCES streams (run_id),
  version     bigint NOT NULL CHECK (version >= 1),
  event_id    uuid   NOT NULL,
  type        text   NOT NULL,
  at          text   NOT NULL,
  command_id  text   NOT NULL,
  key         text   NOT NULL,
  data        text   NOT NULL,
  prev_hash   text   NOT NULL,
  hash        text   NOT NULL,
  UNIQUE (run_id, version)
);
)sql",
    R"sql(
CREATE TABLE leases (
  run_id      text        PRIMARY KEY,
  node_id     text        NOT NULL,
  token       bigint      NOT NULL CHECK (token >= 1),
  expires_at  timestamptz NOT NULL
);
CREATE INDEX events_key ON events (key) WHERE key <> '';
)sql",
};

}  // namespace

int LatestSchemaVersion() {
  return static_cast<int>(std::size(kMigrations));
}

Status Migrate(pqxx::connection& conn, const std::string& schema) {
  try {
    pqxx::work txn(conn);
    txn.exec_params("SELECT pg_advisory_xact_lock($1, hashtext($2))", kMigrationLockSpace, schema);
    txn.exec0("CREATE SCHEMA IF NOT EXISTS " + txn.quote_name(schema));
    txn.exec0(
        "CREATE TABLE IF NOT EXISTS " + txn.quote_name(schema) +
        ".migrations (version int PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())");
    const int current = txn.exec1("SELECT coalesce(max(version), 0) FROM " +
                                  txn.quote_name(schema) + ".migrations")[0]
                            .as<int>();
    if (current > LatestSchemaVersion()) {
      return Status::Unavailable("schema " + schema + " is at version " + std::to_string(current) +
                                 "; this build knows up to " +
                                 std::to_string(LatestSchemaVersion()));
    }
    txn.exec0("SET LOCAL search_path TO " + txn.quote_name(schema));
    for (int v = current + 1; v <= LatestSchemaVersion(); ++v) {
      txn.exec0(kMigrations[v - 1]);
      txn.exec_params0("INSERT INTO migrations (version) VALUES ($1)", v);
    }
    txn.commit();
    return Status::Ok();
  } catch (const std::exception& e) {
    return ToStatus(e, "migrating schema " + schema);
  }
}

}  // namespace forkline::pg
