#pragma once
// Which store the auditor's tools (audit, replay, diff, export, import) open directly,
// without a daemon: a RocksDB store folder (`--data DIR`) or a PostgreSQL store
// (`--pg-url URL [--pg-schema NAME]`, the database and schema forklined's
// `[store] backend = "postgres"` uses). Neither given: the tools ask the daemon.
//
// RocksDB read-only opens are secondaries (a live daemon keeps running). PostgreSQL
// opens are ordinary clients of the shared store: reads see every node's commits, and
// an import appends through the store's one append path while nodes run. A read-only
// PostgreSQL open refuses a schema that holds no Forkline store (it never creates one);
// an open for writing creates or migrates it as a node would.
// Thread safety: plain values; one store per command.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "clients/cli/args.h"
#include "eventstore/event_store.h"

namespace forkline::cli {

struct StoreLocation {
  std::string rocksdb_dir;             // set for a RocksDB store folder
  std::string pg_url;                  // set for a PostgreSQL store (never printed)
  std::string pg_schema = "forkline";  // its schema

  bool postgres() const { return !pg_url.empty(); }
  // For messages: the folder, or "postgres schema NAME" (the URL may hold a password).
  std::string Describe() const;
};

// --data, --pg-url and --pg-schema with `data_help` for --data; `pg_note` ends --pg-url's.
std::vector<OptionSpec> StoreOptions(const std::string& data_help, const std::string& pg_note = "");

// The store the options name; nullopt when neither --data nor --pg-url is given.
// kBadRequest for both at once, an empty value, or --pg-schema without --pg-url.
Result<std::optional<StoreLocation>> StoreFromArgs(const ParsedArgs& args);

// Whether a store is there: the folder holds a RocksDB store, or the schema a
// Forkline store. kUnavailable when the PostgreSQL server cannot be reached.
Result<bool> LocationHoldsStore(const StoreLocation& where);

// The exit code for a store that did not open: kExitNoAnswer (3) for a PostgreSQL server
// out of reach, as for a daemon that does not answer; kExitCommandError otherwise.
int OpenFailureExitCode(const StoreLocation& where, const Status& status);

// Opens the store for reading. RocksDB: see OpenStoreReadOnly(dir, follow) in
// log_source.h. PostgreSQL: every read is live (`follow` changes nothing); kNotFound
// when the schema holds no Forkline store, kUnavailable when the server cannot be reached.
Result<std::unique_ptr<EventStore>> OpenLocationReadOnly(const StoreLocation& where,
                                                         bool follow = false);
// Opens the store for appending (import). RocksDB: a stopped store folder, created when
// missing. PostgreSQL: the schema is created when missing.
Result<std::unique_ptr<EventStore>> OpenLocationForWriting(const StoreLocation& where);

}  // namespace forkline::cli
