#pragma once
// LogSnapshot: a whole event log in memory — every stream, its own events and the
// global order — read from a store, an export file or a daemon's API. The audit,
// export, replay and diff tools work on it. Plain values; not thread-safe.

#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <string_view>

#include "eventstore/event_store.h"

namespace forkline::tools {

struct LogSnapshot {
  std::map<std::string, StreamInfo> streams;      // by run id
  std::map<std::string, EventList> own;           // each stream's own events, as read
  std::map<std::string, std::string> unreadable;  // run id -> why its events could not be read
  EventList global;                               // the global order as the log keeps it
};

// Reads everything `store` holds up to its last position when the read begins (a live
// daemon may go on appending; later events are left out, so the snapshot is one
// consistent point of the log). Streams whose events cannot be read are listed in
// `unreadable` rather than failing the whole read; kInternal/kUnavailable only when the
// store cannot be listed at all.
Result<LogSnapshot> SnapshotFromStore(EventStore& store);

// A snapshot of loose events (an export file, events fetched over the API): grouped by
// run, sorted by version; a stream's fork link comes from its run.forked event; the
// global order is by position.
LogSnapshot SnapshotFromEvents(const EventList& events);

// The history of `run_id` as the run sees it — the fork prefix first, recursively —
// up to version `until`. kNotFound for an unknown run or a missing fork source.
Result<EventList> HistoryOf(const LogSnapshot& log, std::string_view run_id,
                            std::uint64_t until = std::numeric_limits<std::uint64_t>::max());

// The fork link a run.forked event's data names; nullopt for another type or bad data.
std::optional<ForkLink> LinkFromForked(const Event& event);

}  // namespace forkline::tools
