#pragma once
// The records an EventStore keeps: opaque events in run streams, and fork links.
// The store knows nothing of workflows; `type` and `data` are the writer's business.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace forkline {

// An event as a writer hands it to the store, before it has a version or a hash.
struct NewEvent {
  std::string type;        // e.g. "step.completed"
  std::string at;          // UTC, RFC 3339 with milliseconds
  std::string command_id;  // empty when none
  std::string key;         // idempotency key; empty when none
  std::string data;        // one JSON object, serialised; stored and hashed as given
};

// An event as stored. Immutable once written; shared between readers.
struct Event {
  std::string run_id;     // the stream it is recorded in
  std::uint64_t version = 0;   // 1-based, per run history (a fork continues its prefix)
  std::uint64_t position = 0;  // global, store-wide, strictly increasing
  std::string type;
  std::string at;
  std::string command_id;
  std::string key;
  std::string data;
  std::string prev_hash;  // hex SHA-256; empty for a history's first event
  std::string hash;       // hex SHA-256 of CanonicalJson(event, kForHash)
};
using EventPtr = std::shared_ptr<const Event>;
using EventList = std::vector<EventPtr>;

// Where a fork branches off: its history is the source's history 1..source_version.
struct ForkLink {
  std::string source_run_id;
  std::uint64_t source_version = 0;
  bool operator==(const ForkLink&) const = default;
};

// What the store knows of one stream.
struct StreamInfo {
  std::string run_id;
  std::uint64_t head_version = 0;  // last version of the whole history, prefix included
  std::string head_hash;           // hash of that event (empty for an empty history)
  std::optional<ForkLink> parent;  // set for forks
};

}  // namespace forkline
