// EngineTest on PostgreSQL: a fresh schema on the test server (tests/eventstore/
// pg_test_server.h), with the cross-node feed on, as forklined opens it.
#include "eventstore/postgres_event_store.h"
#include "tests/engine/engine_fixture.h"
#include "tests/eventstore/pg_test_server.h"

namespace forkline::testing {

std::unique_ptr<EventStore> OpenEngineTestStore(const std::string&) {
  PostgresStoreOptions o = FreshPgOptions();
  o.deliver_all_nodes = true;
  auto store = OpenPostgresEventStore(o);
  EXPECT_OK(store);
  return store.ok() ? std::move(store).value() : nullptr;
}

}  // namespace forkline::testing
