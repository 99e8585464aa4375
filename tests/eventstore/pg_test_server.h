#pragma once
// The PostgreSQL server the tests of the postgres store use, one per test process at
// most. In order: $FORKLINE_TEST_PG_URL; the url= line of the state file named by
// $FORKLINE_TEST_PG_STATE (ctest's fixture started the server: scripts/pg-test-server
// start); otherwise a server of this process's own, started by scripts/pg-test-server
// on first use and stopped at exit.

#include <string>

#include "eventstore/postgres_event_store.h"

namespace forkline::testing {

// The server's URL. Throws std::runtime_error when no server can be had.
const std::string& PgTestUrl();

// Options for a store in a schema no other test uses (a fresh, empty store).
PostgresStoreOptions FreshPgOptions();

}  // namespace forkline::testing
