#pragma once
// Workloads for eventstore_bench: the disk's raw fsync rate, concurrent durable
// appenders, bulk-loading a long run, paged history reads, the raw RocksDB iterator over
// the same keys, and fork creation. Each returns what it measured; printing is the
// caller's business.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "eventstore/event_store.h"

namespace forkline::bench {

// A ~200-byte event, as a step record would be.
NewEvent PayloadEvent(std::size_t payload_bytes = 200);

struct RateResult {
  std::uint64_t operations = 0;
  double seconds = 0;
  double p50_us = 0;
  double p99_us = 0;
  double PerSecond() const { return seconds > 0 ? static_cast<double>(operations) / seconds : 0; }
};

// write(small) + fdatasync in a loop for `seconds`, in a file inside `dir`.
// `append`: the file grows with every write (a log); else the same 200 bytes are
// rewritten in place (no size change to sync).
RateResult RawFsyncRate(const std::string& dir, double seconds, bool append);

// `appenders` threads, each appending one event at a time to its own new stream
// (names start with `prefix`), blocking until acknowledged, for `seconds`.
RateResult ConcurrentAppends(EventStore& store, int appenders, double seconds,
                             const std::string& prefix);

// Appends `events` events to a new stream `run_id` in batches of `batch`.
Status LoadRun(EventStore& store, const std::string& run_id, std::uint64_t events,
               std::size_t batch = 1000);

// Reads the run's whole history through EventStore::ReadStream, `page` events a call.
RateResult ReadHistory(EventStore& store, const std::string& run_id, std::size_t page);

// Iterates the "events" column family of the RocksDB at `path` over `run_id`'s own keys,
// touching every key and value; with `decode`, also decodes each record as the store does.
RateResult RawIterate(const std::string& path, const std::string& run_id, bool decode);

// Creates one fork `fork_id` of `source` at version `at` (one run.forked event), waits
// until it is durable, and returns the time it took in microseconds.
Result<double> ForkOnce(EventStore& store, const std::string& source, std::uint64_t at,
                        const std::string& fork_id);

}  // namespace forkline::bench
