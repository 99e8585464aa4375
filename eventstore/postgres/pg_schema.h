#pragma once
// The PostgreSQL store's tables and how they are migrated (drawn in pg_schema.cc).

#include <string>

#include "eventstore/status.h"

#include <pqxx/pqxx>

namespace forkline::pg {

// The schema version this build writes: the number of migrations it knows.
int LatestSchemaVersion();

// Creates `schema` when missing and applies, in one transaction under an advisory
// lock (so nodes opening at once migrate once), every migration newer than the ones
// recorded in `schema`.migrations. kUnavailable when the schema is newer than this
// build (a newer forklined migrated it): refusing beats writing an unknown layout.
Status Migrate(pqxx::connection& conn, const std::string& schema);

}  // namespace forkline::pg
