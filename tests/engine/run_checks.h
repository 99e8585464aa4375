#pragma once
// Consistency checks shared by the engine's property and crash tests. Each returns an
// empty string when the property holds, else a message naming the run and the event.
// No gtest here: the checks only read the store and the engine.

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "daemon/engine/engine.h"
#include "eventstore/event_store.h"
#include "projections/fold.h"
#include "projections/run_json.h"
#include "projections/run_state.h"

namespace forkline {

// Reads the engine's in-memory projections (the compact states the live engine keeps).
class EngineTestPeer {
 public:
  // Every durable run's compact state, oldest first.
  static std::vector<RunState> Snapshots(Engine& engine) {
    std::vector<RunState> out;
    for (const auto& entry : engine.runs_.All()) out.push_back(entry->Snapshot());
    return out;
  }
  static std::optional<RunState> Snapshot(Engine& engine, std::string_view run_id) {
    auto entry = engine.runs_.Find(run_id);
    if (!entry) return std::nullopt;
    return entry->Snapshot();
  }
};

namespace testing {

// The history as the store gives it: versions contiguous from 1, the stream's head
// (`info`, read after `history`) at or past its end and its hash, a hash chain that verifies (a fork's first own event chains to its
// source's event), a fork's run.forked right after its prefix, and no step index
// completed twice.
std::string CheckHistory(const StreamInfo& info, const EventList& history);

// The live projection `live` (at its version) equals the fold of the log's history up
// to that version, compared as RunToJson plus the fields RunToJson leaves out.
// `payloads` is how `live` was folded (kDrop for the engine's compact state).
std::string CheckProjection(const RunState& live, const EventList& history, Payloads payloads);
// The same for a run JSON the engine answered (run.get: kFull; run.list: kSummary).
std::string CheckRunJson(const boost::json::object& live, const EventList& history,
                         RunDetail detail);

// The engine still moves the run by itself: a step is in flight, autorun has steps
// left on a queued or running run, or a retry is due (the last event is a step.failed
// the engine retries, RetryDue: the next attempt follows a backoff).
bool MovingByItself(const RunState& live, const EventList& history);

// Events are immutable: every event read is byte-for-byte (canonical JSON) what it was
// the first time it was read, keyed by (recording run, version).
class EventLedger {
 public:
  std::string Record(const EventList& history);
  std::size_t size() const { return canonical_.size(); }

 private:
  std::map<std::pair<std::string, std::uint64_t>, std::string> canonical_;
};

// The run's own events (its fork prefix left out), canonical JSON.
std::vector<std::string> OwnEvents(const std::string& run_id, const EventList& history);

}  // namespace testing
}  // namespace forkline
