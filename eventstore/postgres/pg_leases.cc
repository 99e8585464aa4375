// PostgresLeases on one session (see eventstore/postgres_leases.h).
#include <mutex>

#include "eventstore/postgres/pg_common.h"
#include "eventstore/postgres_leases.h"

namespace forkline {
namespace {

class PgLeases final : public PostgresLeases {
 public:
  explicit PgLeases(const PostgresStoreOptions& options) : url_(options.url), schema_(options.schema) {}

  Result<std::optional<std::uint64_t>> Acquire(const std::string& run_id, const std::string& node_id,
                                               std::chrono::milliseconds ttl) override {
    return Take("acquiring a lease", run_id, node_id, ttl, std::nullopt);
  }

  Result<std::optional<std::uint64_t>> Claim(const std::string& run_id, const std::string& node_id,
                                             std::chrono::milliseconds ttl,
                                             std::uint64_t head_version) override {
    return Take("claiming a lease", run_id, node_id, ttl, head_version);
  }

  Result<std::vector<std::string>> Renew(const std::vector<std::pair<std::string, std::uint64_t>>& held,
                                         const std::string& node_id,
                                         std::chrono::milliseconds ttl) override {
    std::vector<std::string> renewed;
    if (held.empty()) return renewed;
    FL_RETURN_IF_ERROR(Run("renewing leases", [&](pqxx::connection& conn) {
      pqxx::work txn(conn);
      std::string values;
      for (const auto& [run, token] : held) {
        if (!values.empty()) values += ',';
        values += "(" + txn.quote(run) + "," + std::to_string(token) + "::bigint)";
      }
      const auto rows = txn.exec_params(
          "UPDATE leases AS l SET expires_at = now() + $2 * interval '1 millisecond'"
          " FROM (VALUES " + values + ") AS h (run_id, token)"
          " WHERE l.run_id = h.run_id AND l.token = h.token AND l.node_id = $1"
          " RETURNING l.run_id",
          node_id, static_cast<std::int64_t>(ttl.count()));
      txn.commit();
      renewed.clear();
      for (const auto& row : rows) renewed.push_back(row[0].as<std::string>());
    }));
    return renewed;
  }

  Status Release(const std::string& run_id, std::uint64_t token) override {
    return Run("releasing a lease", [&](pqxx::connection& conn) {
      pqxx::work txn(conn);
      txn.exec_params("UPDATE leases SET node_id = '', expires_at = now()"
                      " WHERE run_id = $1 AND token = $2",
                      run_id, static_cast<std::int64_t>(token));
      txn.commit();
    });
  }

  Result<Lease> Get(const std::string& run_id) override {
    std::optional<Lease> lease;
    FL_RETURN_IF_ERROR(Run("reading a lease", [&](pqxx::connection& conn) {
      pqxx::work txn(conn);
      const auto rows = txn.exec_params(
          "SELECT run_id, node_id, token, node_id <> '' AND expires_at > now()"
          " FROM leases WHERE run_id = $1",
          run_id);
      lease.reset();
      if (rows.empty()) return;
      lease = Lease{rows[0][0].as<std::string>(), rows[0][1].as<std::string>(),
                    rows[0][2].as<std::uint64_t>(), rows[0][3].as<bool>()};
    }));
    if (!lease) return Status::NotFound("run " + run_id + " has no lease");
    return *lease;
  }

  Result<std::optional<KeyUse>> FindKey(const std::string& key) override {
    std::optional<KeyUse> use;
    FL_RETURN_IF_ERROR(pg::CheckText("key", key));
    FL_RETURN_IF_ERROR(Run("looking up an idempotency key", [&](pqxx::connection& conn) {
      pqxx::work txn(conn);
      const auto rows = txn.exec_params(
          "SELECT run_id, version, command_id, at FROM events WHERE key = $1 AND key <> ''"
          " ORDER BY position DESC LIMIT 1",
          key);
      use.reset();
      if (rows.empty()) return;
      use = KeyUse{rows[0][0].as<std::string>(), rows[0][1].as<std::uint64_t>(),
                   rows[0][2].as<std::string>(), rows[0][3].as<std::string>()};
    }));
    return use;
  }

 private:
  // Acquire, and with `head_version` Claim.
  Result<std::optional<std::uint64_t>> Take(std::string_view what, const std::string& run_id,
                                            const std::string& node_id,
                                            std::chrono::milliseconds ttl,
                                            std::optional<std::uint64_t> head_version) {
    std::optional<std::uint64_t> token;
    FL_RETURN_IF_ERROR(Run(what, [&](pqxx::connection& conn) {
      pqxx::work txn(conn);
      // Serialised with appends: see LoadLeaseTokens in pg_batch_writer.cc. So the head
      // read below is the head every later fenced append is checked against.
      txn.exec_params("SELECT pg_advisory_xact_lock($1, hashtext($2))", pg::kPositionLockSpace,
                      schema_);
      const auto rows = txn.exec_params(
          "INSERT INTO leases AS l (run_id, node_id, token, expires_at)"
          " VALUES ($1, $2, 1, now() + $3 * interval '1 millisecond')"
          " ON CONFLICT (run_id) DO UPDATE SET node_id = EXCLUDED.node_id,"
          " token = l.token + 1, expires_at = EXCLUDED.expires_at"
          " WHERE l.node_id = '' OR l.node_id = EXCLUDED.node_id OR l.expires_at <= now()"
          " OR (SELECT s.head_version FROM streams s WHERE s.run_id = l.run_id) = $4"
          " RETURNING token",
          run_id, node_id, static_cast<std::int64_t>(ttl.count()),
          // -1 matches no head (head_version >= 1): a plain Acquire.
          head_version ? static_cast<std::int64_t>(*head_version) : std::int64_t{-1});
      txn.commit();
      token.reset();
      if (!rows.empty()) token = rows[0][0].as<std::uint64_t>();
    }));
    return token;
  }

  // Runs `fn` on the session, once more on a new session when the old one was broken
  // (an idle session breaks silently when the server restarts); `fn` must be repeatable.
  Status Run(std::string_view what, const std::function<void(pqxx::connection&)>& fn) {
    std::lock_guard lock(mu_);
    Status last;
    for (int attempt = 0; attempt < 2; ++attempt) {
      try {
        if (!conn_ || !conn_->is_open()) conn_ = pg::Connect(url_, schema_);
        fn(*conn_);
        return Status::Ok();
      } catch (const pqxx::broken_connection& e) {
        conn_.reset();
        last = pg::ToStatus(e, what);
      } catch (const std::exception& e) {
        if (conn_ && !conn_->is_open()) conn_.reset();
        return pg::ToStatus(e, what);
      }
    }
    return last;
  }

  const std::string url_;
  const std::string schema_;
  std::mutex mu_;  // guards conn_ and serialises calls on it
  std::unique_ptr<pqxx::connection> conn_;
};

}  // namespace

Result<std::unique_ptr<PostgresLeases>> OpenPostgresLeases(const PostgresStoreOptions& options) {
  auto leases = std::make_unique<PgLeases>(options);
  // Connect now, so a bad URL shows at start.
  if (auto probe = leases->Get(""); !probe.ok() && probe.status().code() != Code::kNotFound) {
    return probe.status();
  }
  return std::unique_ptr<PostgresLeases>(std::move(leases));
}

}  // namespace forkline
