#pragma once
// Export and import of runs as canonical JSON lines (DESIGN §3), one event a line.
//
// An export holds the runs asked for and, for forks, every source they branch from:
// each stream's own events, in global (position) order, so sources always come first.
// Ids, versions, `at`, command ids, keys, data and hashes are kept; positions are the
// exporting store's.
//
// An import checks the whole file before it writes anything: every line parses, every
// hash recomputes from its event, every prev_hash links, versions are contiguous, every
// fork's source is in the file or already in the target store (and its first own event
// chains to it), and no run of the file exists in the target yet. Then it appends the
// events through the store's ordinary append path, in file order, and checks that the
// store computed the same hashes.

#include <cstddef>
#include <istream>
#include <string>
#include <vector>

#include "eventstore/event_store.h"
#include "tools/log_snapshot.h"

namespace forkline::tools {

// The events to export: `runs` (empty = every run) with their fork sources, in
// position order. kNotFound naming a run that is not in the log.
Result<EventList> SelectForExport(const LogSnapshot& log, const std::vector<std::string>& runs);

// Reads JSON lines (blank lines skipped). kBadRequest naming the line number.
Result<EventList> ReadEventLines(std::istream& in);

// Checks `events` for an import into `target` as described above. kBadRequest (or
// kConflict for runs that exist already) naming the run and version.
Status VerifyImport(const EventList& events, EventStore& target);

struct ImportSummary {
  std::size_t runs = 0;
  std::size_t events = 0;
};
// VerifyImport, then the writes. Nothing is written unless the verification passed.
Result<ImportSummary> ImportEvents(const EventList& events, EventStore& target);

}  // namespace forkline::tools
