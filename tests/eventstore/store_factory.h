#pragma once
// Creates each EventStore implementation for the conformance suite.

#include <functional>
#include <memory>
#include <string>

#include "eventstore/event_store.h"
#include "eventstore/memory_event_store.h"
#include "eventstore/rocksdb_event_store.h"
#include "tests/testutil/temp_dir.h"

namespace forkline::testing {

inline NewEvent Ev(std::string type, std::string data = "{}") {
  return NewEvent{std::move(type), "2026-01-01T00:00:00.000Z", "", "", std::move(data)};
}

inline AppendRequest Req(std::string run, std::uint64_t expected, std::vector<NewEvent> events) {
  AppendRequest r;
  r.run_id = std::move(run);
  r.expected_version = expected;
  r.events = std::move(events);
  return r;
}

inline AppendRequest ForkReq(std::string run, std::string source, std::uint64_t at,
                             std::vector<NewEvent> events) {
  AppendRequest r = Req(std::move(run), at, std::move(events));
  r.fork_from = ForkLink{std::move(source), at};
  return r;
}

}  // namespace forkline::testing
