#include "eventstore/postgres/pg_batch_writer.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>
#include <unordered_set>

#include "eventstore/postgres/pg_common.h"

namespace forkline::pg {
namespace {

constexpr std::chrono::seconds kSettleFor{30};

std::string Join(const std::vector<std::string>& parts) {
  std::string out;
  for (const std::string& p : parts) {
    if (!out.empty()) out += ',';
    out += p;
  }
  return out;
}

}  // namespace

BatchWriter::BatchWriter(const PostgresStoreOptions& options) : options_(options) {
  std::random_device rd;
  std::seed_seq seed{rd(), rd(), rd(), rd(), rd(), rd(), rd(), rd()};
  rng_.seed(seed);
}

Status BatchWriter::EnsureSession() {
  if (conn_ && conn_->is_open()) return Status::Ok();
  conn_.reset();
  try {
    conn_ = Connect(options_.url, options_.schema);
    // A writer cut off mid-transaction must not hold the position lock for long.
    pqxx::nontransaction(*conn_).exec0("SET idle_in_transaction_session_timeout TO '30s'");
    return Status::Ok();
  } catch (const std::exception& e) {
    conn_.reset();
    return ToStatus(e, "connecting the writer");
  }
}

std::string BatchWriter::NewEventId() {  // a random (version 4) UUID
  std::uint64_t hi = rng_(), lo = rng_();
  hi = (hi & ~0xF000ull) | 0x4000ull;
  lo = (lo & ~(3ull << 62)) | (2ull << 62);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08llx-%04llx-%04llx-%04llx-%012llx",
                static_cast<unsigned long long>(hi >> 32),
                static_cast<unsigned long long>((hi >> 16) & 0xFFFF),
                static_cast<unsigned long long>(hi & 0xFFFF),
                static_cast<unsigned long long>(lo >> 48),
                static_cast<unsigned long long>(lo & 0xFFFFFFFFFFFFull));
  return buf;
}

BatchWriter::BatchState BatchWriter::LockAndLoad(
    pqxx::transaction_base& txn, const std::vector<const AppendRequest*>& requests) {
  std::unordered_set<std::string> ids;
  std::vector<std::string> fenced;
  for (const AppendRequest* r : requests) {
    ids.insert(r->run_id);
    if (r->fork_from) ids.insert(r->fork_from->source_run_id);
    if (r->fence != 0) fenced.push_back(txn.quote(r->run_id));
  }
  std::vector<std::string> quoted;
  for (const std::string& id : ids)
    quoted.push_back(txn.quote(id));
  // One round trip. The last column says what a row is: 's' a stream head (the columns
  // DecodeStream reads), 'p' the last position, 'l' a lease token. Each statement reads
  // after the lock is ours (read committed: a snapshot per statement), so an acquire that
  // commits after this read bumps the token after our commit, and a takeover never
  // overlaps an append it did not see.
  std::string sql = "BEGIN; SELECT pg_advisory_xact_lock(" + std::to_string(kPositionLockSpace) +
                    ", hashtext(" + txn.quote(options_.schema) + ")); SELECT " +
                    kStreamColumns + ", 's' FROM streams WHERE run_id IN (" + Join(quoted) +
                    ") UNION ALL SELECT NULL, coalesce(max(position), 0), NULL, NULL, NULL, 'p'"
                    " FROM events";
  if (!fenced.empty()) {
    sql += " UNION ALL SELECT run_id, token, NULL, NULL, NULL, 'l' FROM leases WHERE run_id IN (" +
           Join(fenced) + ")";
  }
  BatchState state;
  for (const auto& row : txn.exec(sql)) {
    const char kind = row[5].c_str()[0];
    if (kind == 'p') {
      state.last_position = row[1].as<std::uint64_t>();
    } else if (kind == 'l') {
      state.tokens[row[0].as<std::string>()] = row[1].as<std::uint64_t>();
    } else {
      StreamInfo info = DecodeStream(row);
      state.heads[info.run_id] = std::move(info);
    }
  }
  return state;
}

Status BatchWriter::CheckFence(const AppendRequest& request,
                               const std::unordered_map<std::string, std::uint64_t>& tokens) {
  if (request.fence == 0) return Status::Ok();
  auto it = tokens.find(request.run_id);
  const std::uint64_t current = it == tokens.end() ? 0 : it->second;
  if (current == request.fence) return Status::Ok();
  return Status::Unavailable("run " + request.run_id + ": lease token " +
                             std::to_string(request.fence) + " is stale (the lease is at " +
                             std::to_string(current) + "): another node has taken the run over");
}

Result<AppendContext> BatchWriter::ContextFor(pqxx::transaction_base& txn,
                                              const AppendRequest& request, Heads& heads,
                                              const EventList& planned) {
  auto lookup = [&](std::string_view id) -> Result<StreamInfo> {
    if (auto it = heads.find(std::string(id)); it != heads.end()) return it->second;
    auto rows =
        txn.exec_params(std::string("SELECT ") + kStreamColumns + " FROM streams WHERE run_id = $1",
                        std::string(id));
    if (rows.empty()) return Status::NotFound("run " + std::string(id) + " does not exist");
    return heads[std::string(id)] = DecodeStream(rows[0]);
  };
  AppendContext ctx;
  if (auto it = heads.find(request.run_id); it != heads.end()) ctx.stream = it->second;
  if (!request.fork_from) return ctx;
  const ForkLink& link = *request.fork_from;
  auto it = heads.find(link.source_run_id);
  if (it == heads.end()) return ctx;  // PlanAppend: kNotFound
  ctx.fork_source = it->second;
  if (link.source_version == 0 || link.source_version > it->second.head_version) return ctx;
  // The event may be in this very batch (not yet stored) or in the table.
  for (const EventPtr& e : planned) {
    if (e->run_id == link.source_run_id && e->version == link.source_version) {
      ctx.fork_source_hash = e->hash;
      return ctx;
    }
  }
  auto segments = ResolveSegments(link.source_run_id, link.source_version - 1, lookup);
  if (!segments.ok()) return segments.status();
  if (segments->empty()) return Status::Internal("fork source event is missing");
  auto rows = txn.exec_params("SELECT hash FROM events WHERE run_id = $1 AND version = $2",
                              segments->front().run_id, segments->front().first_version);
  if (rows.empty()) return Status::Internal("fork source event is missing");
  ctx.fork_source_hash = rows[0][0].as<std::string>();
  return ctx;
}

std::string BatchWriter::WriteSql(pqxx::transaction_base& txn,
                                  const std::vector<StreamInfo>& streams, const EventList& events,
                                  const std::vector<std::string>& event_ids) {
  // Streams first: events reference them.
  std::vector<std::string> rows;
  for (const StreamInfo& s : streams) {
    rows.push_back("(" + txn.quote(s.run_id) + "," + std::to_string(s.head_version) + "," +
                   txn.quote(s.head_hash) + "," +
                   (s.parent ? txn.quote(s.parent->source_run_id) + "," +
                                   std::to_string(s.parent->source_version)
                             : std::string("NULL,NULL")) +
                   ")");
  }
  std::string sql = "INSERT INTO streams (" + std::string(kStreamColumns) + ") VALUES " +
                    Join(rows) +
                    " ON CONFLICT (run_id) DO UPDATE SET head_version = EXCLUDED.head_version,"
                    " head_hash = EXCLUDED.head_hash;";
  rows.clear();
  for (std::size_t i = 0; i < events.size(); ++i) {
    const Event& e = *events[i];
    rows.push_back("(" + txn.quote(e.run_id) + "," + std::to_string(e.version) + "," +
                   std::to_string(e.position) + "," + txn.quote(e.type) + "," + txn.quote(e.at) +
                   "," + txn.quote(e.command_id) + "," + txn.quote(e.key) + "," +
                   txn.quote(e.data) + "," + txn.quote(e.prev_hash) + "," + txn.quote(e.hash) +
                   "," + txn.quote(event_ids[i]) + ")");
  }
  sql += "INSERT INTO events (" + std::string(kEventColumns) + ", event_id) VALUES " + Join(rows) +
         ";";
  return sql;
}

void BatchWriter::Rollback() {
  try {
    if (conn_ && conn_->is_open()) pqxx::nontransaction(*conn_).exec("ROLLBACK");
  } catch (const std::exception&) {
    conn_.reset();
  }
  if (conn_ && !conn_->is_open()) conn_.reset();
}

// The accepted part of a batch, planned inside its transaction.
struct BatchWriter::Planned {
  std::vector<std::size_t> accepted;   // indexes into the requests
  std::vector<EventList> events;       // per accepted request
  std::vector<std::string> event_ids;  // per event of out.committed
  std::vector<StreamInfo> streams;     // new heads, one per stream written
};

BatchWriter::Planned BatchWriter::PlanBatch(pqxx::transaction_base& txn,
                                            const std::vector<const AppendRequest*>& requests,
                                            BatchOutcome& out) {
  Planned p;
  BatchState state = LockAndLoad(txn, requests);
  Heads& heads = state.heads;
  std::uint64_t position = state.last_position;
  const auto& tokens = state.tokens;
  std::unordered_map<std::string, StreamInfo> changed;
  for (std::size_t i = 0; i < requests.size(); ++i) {
    const AppendRequest& req = *requests[i];
    if (Status fenced = CheckFence(req, tokens); !fenced.ok()) {
      out.results[i] = fenced;
      continue;
    }
    auto ctx = ContextFor(txn, req, heads, out.committed);
    auto plan =
        ctx.ok() ? PlanAppend(req, *ctx, position + 1) : Result<std::vector<Event>>(ctx.status());
    if (!plan.ok()) {
      out.results[i] = plan.status();
      continue;
    }
    StreamInfo info = StreamAfter(req, *ctx, *plan);
    heads[req.run_id] = info;
    changed[req.run_id] = std::move(info);
    EventList events;
    for (Event& e : *plan) {
      events.push_back(std::make_shared<const Event>(std::move(e)));
      out.committed.push_back(events.back());
      p.event_ids.push_back(NewEventId());
    }
    position = events.back()->position;
    p.accepted.push_back(i);
    p.events.push_back(std::move(events));
  }
  for (auto& [id, info] : changed)
    p.streams.push_back(std::move(info));
  return p;
}

namespace {

// The transaction failed: every request gets its error (those refused while planning
// too; their refusal was read in the same failed transaction).
void FailAll(BatchOutcome& out, const Status& status) {
  for (auto& r : out.results)
    r = status;
  out.committed.clear();
}

}  // namespace

BatchOutcome BatchWriter::Commit(const std::vector<const AppendRequest*>& requests) {
  // A session that broke while idle (the server restarted) shows only when used: one
  // more attempt on a new session is safe as long as COMMIT was never sent.
  for (int attempt = 0;; ++attempt) {
    bool retry = false;
    BatchOutcome out = Attempt(requests, attempt == 0, retry);
    if (!retry) return out;
  }
}

BatchOutcome BatchWriter::Attempt(const std::vector<const AppendRequest*>& requests, bool may_retry,
                                  bool& retry) {
  BatchOutcome out;
  out.results.assign(requests.size(), Status::Unavailable("not written"));
  const Status ready = latched_.ok() ? EnsureSession() : latched_;
  if (!ready.ok()) {
    for (auto& r : out.results)
      r = ready;
    return out;
  }
  const auto started = std::chrono::steady_clock::now();
  Planned p;
  bool commit_sent = false;
  std::string doubt;  // why the outcome is in doubt; empty when it is not
  try {
    // The transaction is ours, not libpqxx's, so that a batch costs two round trips:
    // BEGIN + lock + heads, last position and lease tokens; the inserts + NOTIFY + COMMIT.
    pqxx::nontransaction txn(*conn_);
    p = PlanBatch(txn, requests, out);
    if (p.accepted.empty()) {
      txn.exec("ROLLBACK");
      return out;
    }
    // The notification goes out with the commit: it wakes other nodes' feeds.
    const std::string sql = WriteSql(txn, p.streams, out.committed, p.event_ids) +
                            "SELECT pg_notify(" + txn.quote(ChannelFor(options_.schema)) +
                            ", ''); COMMIT";
    if (options_.before_commit) options_.before_commit(conn_->backendpid());
    commit_sent = true;
    txn.exec(sql);
    if (options_.lose_commit_reply && options_.lose_commit_reply()) {
      doubt = "test: the reply to COMMIT was lost";
    }
  } catch (const pqxx::broken_connection& e) {
    if (!commit_sent) {  // COMMIT never left: nothing was written
      conn_.reset();
      retry = may_retry;
      FailAll(out, ToStatus(e, "appending"));
      return out;
    }
    doubt = e.what();
  } catch (const std::exception& e) {
    Rollback();
    FailAll(out, ToStatus(e, "appending"));
    return out;
  }
  if (!doubt.empty()) {
    auto stored = Settle(*out.committed.front(), p.event_ids.front());
    if (!stored.ok()) {
      FailAll(out, stored.status());
      return out;
    }
    if (!*stored) {
      FailAll(out, Status::Unavailable("the connection broke before the commit; nothing was "
                                       "written: " +
                                       doubt));
      return out;
    }
  }
  if (options_.on_commit) {
    options_.on_commit(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  }
  for (std::size_t k = 0; k < p.accepted.size(); ++k) {
    out.results[p.accepted[k]] = std::move(p.events[k]);
  }
  return out;
}

Result<bool> BatchWriter::Settle(const Event& first, const std::string& event_id) {
  conn_.reset();  // closing the socket lets the server end the old session
  // The server may be restarting (that is often why the reply was lost): keep trying for
  // kSettleFor, waiting 100 ms, 200 ms, … 2 s between tries. Appends wait meanwhile.
  const auto deadline = std::chrono::steady_clock::now() + kSettleFor;
  Status last;
  for (int attempt = 0; attempt == 0 || std::chrono::steady_clock::now() < deadline; ++attempt) {
    if (attempt > 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100) * (1 << std::min(attempt - 1, 4)));
    }
    if (last = EnsureSession(); !last.ok()) continue;
    try {
      pqxx::work txn(*conn_);
      txn.exec0("SET LOCAL lock_timeout TO '60s'");
      // Once we hold the lock, the old transaction has committed or rolled back.
      txn.exec_params("SELECT pg_advisory_xact_lock($1, hashtext($2))", kPositionLockSpace,
                      options_.schema);
      // Our batch stored its first event at this (run_id, version) iff the row there
      // carries our event id (another writer may have taken the slot since).
      const bool found = !txn.exec_params(
                                 "SELECT 1 FROM events WHERE run_id = $1 AND version = $2"
                                 " AND event_id = $3",
                                 first.run_id, first.version, event_id)
                              .empty();
      txn.commit();
      return found;
    } catch (const std::exception& e) {
      last = ToStatus(e, "settling a commit in doubt");
      conn_.reset();
    }
  }
  latched_ = Status::Unavailable("a commit's outcome could not be settled; reopen the store: " +
                                 last.message());
  return latched_;
}

}  // namespace forkline::pg
