#pragma once
// Logic every EventStore implementation shares: checking an append against the
// stream's state, numbering and chaining the new events, and resolving a fork's
// history into the segments of the streams that hold it.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "eventstore/event_store.h"

namespace forkline {

// Request shape and sizes, independent of any state: kBadRequest / kTooLarge.
Status ValidateAppend(const AppendRequest& request, std::size_t max_event_bytes);

// What the writer knows when it plans one append.
struct AppendContext {
  std::optional<StreamInfo> stream;  // the target stream, when it exists
  // For forks: the source stream (when it exists) and the hash of its event at
  // source_version (empty for source_version 0).
  std::optional<StreamInfo> fork_source;
  std::string fork_source_hash;
};

// Checks expected_version / fork preconditions and returns the events to store, with
// versions, prev_hash and hash set and positions first_position, first_position+1, ….
Result<std::vector<Event>> PlanAppend(const AppendRequest& request, const AppendContext& ctx,
                                      std::uint64_t first_position);

// The new head of a stream once `events` (non-empty, from PlanAppend) are stored.
StreamInfo StreamAfter(const AppendRequest& request, const AppendContext& ctx,
                       const std::vector<Event>& events);

// A run of one stream's own events that is part of a history.
struct Segment {
  std::string run_id;
  std::uint64_t first_version = 0;  // inclusive
  std::uint64_t last_version = 0;   // inclusive
};
using StreamLookup = std::function<Result<StreamInfo>(std::string_view run_id)>;

// The segments of `run_id`'s history that hold versions > after_version, oldest first.
Result<std::vector<Segment>> ResolveSegments(std::string_view run_id, std::uint64_t after_version,
                                             const StreamLookup& lookup);

}  // namespace forkline
