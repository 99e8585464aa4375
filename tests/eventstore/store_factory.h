#pragma once
// Creates each EventStore implementation for the conformance suite.

#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "eventstore/event_store.h"
#include "eventstore/memory_event_store.h"
#include "eventstore/rocksdb_event_store.h"
#include "tests/testutil/temp_dir.h"

namespace forkline::testing {

// One EventStore implementation under the conformance suite: `make` opens a fresh,
// empty store (`dir` is an empty temporary folder it may use).
struct Backend {
  std::string name;
  std::function<std::unique_ptr<EventStore>(const std::string& dir)> make;
};

inline void PrintTo(const Backend& b, std::ostream* os) { *os << b.name; }

// The backends a test binary runs event_store_conformance_test.cc against; defined by
// conformance_backends_local.cc (memory, rocksdb) or conformance_backends_postgres.cc.
std::vector<Backend> ConformanceBackends();

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
