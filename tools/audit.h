#pragma once
// The audit of a whole event log: does every run's history hold together, and do the
// projections a daemon serves equal the fold of the log? Pure functions over a
// LogSnapshot; nothing here does I/O.
//
// Checks, each named in its findings:
//   read        a stream's events could not be read at all
//   versions    own versions contiguous from 1 (or the fork point + 1) to the stream's head
//   hash        every event's hash recomputes from its content (a changed byte shows here)
//   chain       every prev_hash is the hash of the event before it in the run's history
//   fork        the source exists, has the source version, the run.forked event names the
//               link, and the fork's first own event chains to the source's event
//   positions   global positions unique and contiguous; the global order and the streams
//               hold the same events
//   steps       every step.completed/failed/aborted follows a step.started of the same
//               index and attempt; at most one end per index and attempt
//   fold        the history folds into a run state without error
//   projection  what the daemon serves equals the fold of the log (CompareServed)

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "tools/log_snapshot.h"

namespace forkline::tools {

struct Finding {
  std::string run_id;         // empty for store-wide findings
  std::uint64_t version = 0;  // 0 when not about one event
  std::string check;          // one of the names above
  std::string message;
};

struct AuditReport {
  std::size_t runs = 0;
  std::size_t events = 0;    // stored events (own events of every stream)
  std::size_t compared = 0;  // runs compared with what a daemon serves
  std::vector<Finding> findings;
  bool clean() const { return findings.empty(); }
};

AuditReport AuditLog(const LogSnapshot& log);

// Compares `served` (the run JSON of run.get / GET /v1/runs/{id}) with the full fold of
// the run's `history` (fork prefix included); adds a "projection" finding naming the
// first field that differs. Counts the run in `compared`.
void CompareServed(const EventList& history, const std::string& run_id,
                   const boost::json::object& served, AuditReport& report);

// A readable report: the totals, then one line per finding ("r_1 v7 hash: …").
std::string ReportText(const AuditReport& report);
// {"clean", "runs", "events", "compared", "findings": [{run_id, version, check, message}]}
boost::json::object ReportJson(const AuditReport& report);

}  // namespace forkline::tools
