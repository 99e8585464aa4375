#include "clients/cli/store_location.h"

#include <filesystem>

#include "clients/cli/cli.h"
#include "clients/cli/log_source.h"
#include "eventstore/postgres_event_store.h"

#include <pqxx/pqxx>

namespace forkline::cli {
namespace {

// Whether `schema` holds a Forkline store (its migrations table), without creating
// anything: a read must never leave an empty store behind in someone's database.
Result<bool> SchemaExists(const StoreLocation& where) {
  try {
    pqxx::connection conn(where.pg_url);
    pqxx::nontransaction q(conn);
    const pqxx::row row = q.exec_params1(
        "SELECT to_regclass(format('%I.migrations', $1::text)) IS NOT NULL", where.pg_schema);
    return row[0].as<bool>();
  } catch (const pqxx::broken_connection& e) {
    return Status::Unavailable(std::string("cannot reach PostgreSQL: ") + e.what());
  } catch (const std::exception& e) {
    return Status::Unavailable(std::string("PostgreSQL: ") + e.what());
  }
}

Result<std::unique_ptr<EventStore>> OpenPostgres(const StoreLocation& where) {
  PostgresStoreOptions options;
  options.url = where.pg_url;
  options.schema = where.pg_schema;
  options.read_connections = 2;
  return OpenPostgresEventStore(options);
}

}  // namespace

std::string StoreLocation::Describe() const {
  return postgres() ? "postgres schema " + pg_schema : rocksdb_dir;
}

std::vector<OptionSpec> StoreOptions(const std::string& data_help, const std::string& pg_note) {
  return {{"data", true, "DIR", data_help},
          {"pg-url", true, "URL",
           "a PostgreSQL store instead (libpq URL or key=value string, as [store] "
           "postgres_url; keep passwords in PGPASSWORD or ~/.pgpass)" +
               pg_note},
          {"pg-schema", true, "NAME",
           "the PostgreSQL store's schema (as [store] postgres_schema; default forkline)"}};
}

Result<std::optional<StoreLocation>> StoreFromArgs(const ParsedArgs& args) {
  const std::optional<std::string> data = args.Get("data");
  const std::optional<std::string> url = args.Get("pg-url");
  const std::optional<std::string> schema = args.Get("pg-schema");
  if (data && url) return Status::BadRequest("give --data DIR or --pg-url URL, not both");
  if (schema && !url) return Status::BadRequest("--pg-schema needs --pg-url");
  if ((data && data->empty()) || (url && url->empty()) || (schema && schema->empty())) {
    return Status::BadRequest("--data, --pg-url and --pg-schema need a value");
  }
  if (schema && schema->size() > 63) {
    return Status::BadRequest("--pg-schema: a PostgreSQL name has at most 63 bytes");
  }
  if (!data && !url) return std::optional<StoreLocation>();
  StoreLocation where;
  if (data) where.rocksdb_dir = *data;
  if (url) where.pg_url = *url;
  if (schema) where.pg_schema = *schema;
  return std::optional<StoreLocation>(std::move(where));
}

Result<bool> LocationHoldsStore(const StoreLocation& where) {
  if (where.postgres()) return SchemaExists(where);
  std::error_code ec;
  return std::filesystem::exists(std::filesystem::path(where.rocksdb_dir) / "CURRENT", ec);
}

int OpenFailureExitCode(const StoreLocation& where, const Status& status) {
  return where.postgres() && status.code() == Code::kUnavailable ? kExitNoAnswer
                                                                 : kExitCommandError;
}

Result<std::unique_ptr<EventStore>> OpenLocationReadOnly(const StoreLocation& where, bool follow) {
  if (!where.postgres()) return OpenStoreReadOnly(where.rocksdb_dir, follow);
  auto exists = SchemaExists(where);
  if (!exists.ok()) return exists.status();
  if (!*exists) {
    return Status::NotFound("no Forkline store in PostgreSQL schema " + where.pg_schema);
  }
  return OpenPostgres(where);
}

Result<std::unique_ptr<EventStore>> OpenLocationForWriting(const StoreLocation& where) {
  if (!where.postgres()) return OpenStoreForWriting(where.rocksdb_dir);
  return OpenPostgres(where);
}

}  // namespace forkline::cli
