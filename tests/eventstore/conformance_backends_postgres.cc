// The PostgreSQL backend under the conformance suite: a fresh schema per test on the
// test server (tests/eventstore/pg_test_server.h).
#include <stdexcept>

#include "eventstore/postgres_event_store.h"
#include "tests/eventstore/pg_test_server.h"
#include "tests/eventstore/store_factory.h"

namespace forkline::testing {

std::vector<Backend> ConformanceBackends() {
  auto open = [](bool deliver_all_nodes) {
    PostgresStoreOptions o = FreshPgOptions();
    o.deliver_all_nodes = deliver_all_nodes;
    auto s = OpenPostgresEventStore(o);
    if (!s.ok()) throw std::runtime_error(s.status().ToString());
    return std::move(s).value();
  };
  return {Backend{"postgres", [open](const std::string&) { return open(false); }},
          // Listeners fed by the cross-node feed (LISTEN/NOTIFY + reads by position).
          Backend{"postgres_all_nodes", [open](const std::string&) { return open(true); }}};
}

}  // namespace forkline::testing
