#pragma once
// The embedded EventStore on RocksDB. See event_store.h for the promises.
//
// Layout (column families):
//   events   run_id \0 version(u64 BE)  -> StoredEvent (cereal, versioned)
//   global   position(u64 BE)           -> run_id \0 version(u64 BE)
//   streams  run_id                     -> StoredStream (cereal: head, parent link)
//
// Crash semantics: one writer thread drains every pending append into one WriteBatch
// written with sync=true (group commit); callers are acknowledged after that sync.
// A batch is atomic in the WAL, so a torn batch is never visible after a crash.
// A failed write or sync latches kUnavailable: later appends fail until reopened. That
// includes one in a background flush or compaction (RocksDB's own recovery is off).

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "eventstore/event_store.h"

namespace rocksdb {
class Env;
}

namespace forkline {

struct RocksDbStoreOptions {
  std::string path;  // the store's folder; created when missing (read-write mode only)
  // Opens as a RocksDB secondary instance: reads a store that a live daemon writes,
  // without stopping it. Appends fail with kUnavailable. Default: false.
  bool read_only = false;
  // Read-only mode: catch up with the primary before every read (true), or read the
  // store as it was when opened (false: one fixed point of the log, and much cheaper for
  // many reads, such as an audit of the whole store). Default: true.
  bool follow_primary = true;
  // Where a secondary instance keeps its own files. Default: a temporary folder.
  std::string secondary_path;
  // Largest accepted event (type + data + key + command_id), bytes. Default: 16 MiB.
  std::size_t max_event_bytes = 16u << 20;
  // Sync the WAL before acknowledging. Turning it off loses acked events on a machine
  // crash; only benchmarks use it to show the cost. Default: true.
  bool sync = true;
  // Called on the writer thread with the seconds each group-commit write took. Optional.
  std::function<void(double seconds)> on_commit;
  // The RocksDB Env the store does its file I/O through; tests pass one with a
  // fault-injecting FileSystem (tests/reliability). Not owned: it must outlive the
  // store. Default: nullptr, RocksDB's default Env.
  rocksdb::Env* env = nullptr;
};

Result<std::unique_ptr<EventStore>> OpenRocksDbEventStore(const RocksDbStoreOptions& options);

}  // namespace forkline
