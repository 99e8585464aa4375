#pragma once
// Checks a reopened store against an AckLedger without re-reading the whole log each
// time. It remembers the last verified event of every run (version + hash) and of the
// global order (position + run + version). Check(store, ledger, kNew) reads only from
// those marks on: each mark must still be there unchanged, the tail after it must
// continue it (versions / positions contiguous, each event's prev_hash the hash before
// it), and every entry acknowledged since the last check must be in that tail with its
// hash and position. Check(…, kFull) reads every run and the global order from the
// start and every ledger entry, and still requires the marks.
//
// What kNew cannot see: an event below a mark that vanished while the mark survived
// (a store that punches holes). Versions are keys in the store, so a lost middle event
// would break contiguity only on a full read; callers run kFull every N checks and at
// the end. Not thread-safe; the ledger may be appended to between checks.

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include "eventstore/event_store.h"
#include "tests/reliability/store_workload.h"

namespace forkline::testing {

class AckChecker {
 public:
  enum class Scope { kNew, kFull };

  // "" when everything acknowledged is there, else the first problem. A failed check
  // leaves the marks undefined: stop checking with this object.
  std::string Check(EventStore& store, const AckLedger& ledger, Scope scope);

  // Acknowledged events found missing by the last Check.
  std::size_t lost() const { return lost_; }
  // Events read from the store over all checks (the cost of checking).
  std::uint64_t events_read() const { return events_read_; }
  // Ledger entries verified so far (each once per kNew check, again on every kFull).
  std::uint64_t entries_checked() const { return entries_checked_; }

 private:
  struct Mark {
    std::uint64_t version = 0;  // 0: nothing verified yet
    std::string hash;
  };
  struct PositionMark {
    std::uint64_t position = 0;  // 0: nothing verified yet
    std::string run_id;
    std::uint64_t version = 0;
  };

  std::string CheckRun(EventStore& store, const std::string& run,
                       const std::vector<const AckedEvent*>& acked, Scope scope);
  std::string CheckPositions(EventStore& store, const std::vector<AckedEvent>& acked,
                             Scope scope);

  std::map<std::string, Mark> runs_;
  PositionMark position_;
  std::size_t ledger_checked_ = 0;  // ledger entries covered by earlier checks
  std::size_t lost_ = 0;
  std::uint64_t events_read_ = 0;
  std::uint64_t entries_checked_ = 0;
};

}  // namespace forkline::testing
