#pragma once
// A workload for power-loss and I/O-error tests: appender threads, each on its own run,
// append until the store refuses; every acknowledged event is kept in a ledger that a
// reopened store is checked against.

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "eventstore/event_store.h"

namespace forkline::testing {

struct AckedEvent {
  std::string run_id;
  std::uint64_t version = 0;
  std::uint64_t position = 0;
  std::string hash;
};

// What the appenders saw. Thread-safe.
class AckLedger {
 public:
  void Add(const AppendResult& result);
  std::vector<AckedEvent> All() const;
  // The entries acknowledged after the first `from` (in acknowledgement order).
  std::vector<AckedEvent> Since(std::size_t from) const;
  std::size_t size() const;

 private:
  mutable std::mutex mu_;
  std::vector<AckedEvent> acked_;  // guarded by mu_
};

struct WorkloadResult {
  std::size_t acked_appends = 0;
  std::size_t refused_appends = 0;
  Status first_refusal;  // the first error an appender got
  // Appends acknowledged although `failed` (see RunAppenders) was true when they were sent.
  std::size_t acked_after_failure = 0;
};

// Runs `threads` appenders on runs "<prefix><k>" until each gets an error or has made
// `max_appends` appends. `on_ack` (optional) runs on the store's writer thread inside
// each acknowledgement, before the ledger records it. `failed` (optional) is asked before
// each append is sent; an append sent while it is true and then acknowledged is counted
// in acked_after_failure.
WorkloadResult RunAppenders(EventStore& store, const std::string& prefix, int threads,
                            std::size_t max_appends, AckLedger& ledger,
                            const std::function<void()>& on_ack = nullptr,
                            const std::function<bool()>& failed = nullptr);

// Every ledger entry found in `store` with its hash; versions of every run contiguous;
// ReadAll positions contiguous from 1. Returns "" or a description of the first problem.
std::string CheckAcked(EventStore& store, const std::vector<AckedEvent>& acked,
                       std::size_t* lost = nullptr);

}  // namespace forkline::testing
