#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <limits>
#include <mutex>
#include <pthread.h>
#include <thread>

#include "eventstore/append_plan.h"
#include "eventstore/listener_set.h"
#include "eventstore/postgres/pg_batch_writer.h"
#include "eventstore/postgres/pg_common.h"
#include "eventstore/postgres/pg_node_feed.h"
#include "eventstore/postgres/pg_pool.h"
#include "eventstore/postgres/pg_schema.h"
#include "eventstore/postgres_event_store.h"

namespace forkline {
namespace {

constexpr std::size_t kMaxBatchRequests = 1024;
constexpr std::size_t kMaxBatchBytes = 32u << 20;  // one INSERT statement stays well below 1 GiB

struct PendingAppend {
  AppendRequest request;
  EventStore::AppendCallback done;
};

std::size_t RequestBytes(const AppendRequest& r) {
  std::size_t n = r.run_id.size();
  for (const NewEvent& e : r.events)
    n += e.type.size() + e.at.size() + e.data.size() + e.key.size() + e.command_id.size();
  return n;
}

Status CheckTextFields(const AppendRequest& r) {
  FL_RETURN_IF_ERROR(pg::CheckText("run id", r.run_id));
  if (r.fork_from) FL_RETURN_IF_ERROR(pg::CheckText("fork source", r.fork_from->source_run_id));
  for (const NewEvent& e : r.events) {
    FL_RETURN_IF_ERROR(pg::CheckText("event type", e.type));
    FL_RETURN_IF_ERROR(pg::CheckText("event time", e.at));
    FL_RETURN_IF_ERROR(pg::CheckText("command id", e.command_id));
    FL_RETURN_IF_ERROR(pg::CheckText("event key", e.key));
    FL_RETURN_IF_ERROR(pg::CheckText("event data", e.data));
  }
  return Status::Ok();
}

// LIMIT for a size_t count (bigint).
std::int64_t SqlLimit(std::size_t limit) {
  return static_cast<std::int64_t>(
      std::min<std::size_t>(limit, std::numeric_limits<std::int64_t>::max()));
}

class PostgresEventStore final : public EventStore {
 public:
  explicit PostgresEventStore(const PostgresStoreOptions& options)
      : options_(options),
        reads_(options.url, options.schema, options.read_connections),
        writer_(options) {
    if (options_.deliver_all_nodes) {
      feed_ = std::make_unique<pg::NodeFeed>(
          options_, LastPosition(),
          [this](std::uint64_t after, std::size_t limit) { return ReadAll(after, limit); },
          [this]() -> Result<std::uint64_t> { return ReadLastPosition(); },
          [this](const EventList& events) { listeners_.Publish(events); });
    }
    writer_thread_ = std::thread([this] {
      pthread_setname_np(pthread_self(), "fl-pg-writer");
      WriterLoop();
    });
  }

  ~PostgresEventStore() override {
    Close();
    feed_.reset();  // after the writer, which publishes through it
  }

  void Close() override {
    {
      std::lock_guard lock(queue_mu_);
      stopping_ = true;
    }
    queue_cv_.notify_all();
    if (writer_thread_.joinable()) writer_thread_.join();
  }
  PostgresEventStore(const PostgresEventStore&) = delete;
  PostgresEventStore& operator=(const PostgresEventStore&) = delete;

  void AppendAsync(AppendRequest request, AppendCallback done) override {
    Status valid = ValidateAppend(request, options_.max_event_bytes);
    if (valid.ok()) valid = CheckTextFields(request);
    if (!valid.ok()) return done(std::move(valid));
    {
      std::lock_guard lock(queue_mu_);
      if (stopping_) return done(Status::Unavailable("the store is closing"));
      queue_.push_back({std::move(request), std::move(done)});
    }
    queue_cv_.notify_one();
  }

  Result<StreamInfo> GetStream(std::string_view run_id) override {
    std::optional<StreamInfo> info;
    FL_RETURN_IF_ERROR(reads_.Run("reading a stream", [&](pqxx::connection& c) {
      pqxx::nontransaction txn(c);
      info = Load(txn, run_id);
    }));
    if (!info) return Status::NotFound("run " + std::string(run_id) + " does not exist");
    return *info;
  }

  Result<std::vector<StreamInfo>> ListStreams() override {
    std::vector<StreamInfo> out;
    FL_RETURN_IF_ERROR(reads_.Run("listing streams", [&](pqxx::connection& c) {
      out.clear();
      pqxx::nontransaction txn(c);
      for (const auto& row :
           txn.exec(std::string("SELECT ") + pg::kStreamColumns + " FROM streams")) {
        out.push_back(pg::DecodeStream(row));
      }
    }));
    return out;
  }

  Result<EventList> ReadStream(std::string_view run_id, std::uint64_t after_version,
                               std::size_t limit) override {
    EventList out;
    Status inner;
    FL_RETURN_IF_ERROR(reads_.Run("reading a stream", [&](pqxx::connection& c) {
      out.clear();
      // One snapshot for the fork chain and every segment of it.
      pqxx::transaction<pqxx::repeatable_read, pqxx::read_only> txn(c);
      inner = ReadHistory(txn, run_id, after_version, limit, out);
    }));
    if (!inner.ok()) return inner;
    return out;
  }

  Result<EventList> ReadAll(std::uint64_t after_position, std::size_t limit) override {
    EventList out;
    FL_RETURN_IF_ERROR(reads_.Run("reading the global order", [&](pqxx::connection& c) {
      out.clear();
      pqxx::nontransaction txn(c);
      const auto rows =
          txn.exec_params(std::string("SELECT ") + pg::kEventColumns +
                              " FROM events WHERE position > $1 ORDER BY position LIMIT $2",
                          after_position, SqlLimit(limit));
      for (const auto& row : rows)
        out.push_back(std::make_shared<const Event>(pg::DecodeEvent(row)));
    }));
    return out;
  }

  // The store-wide last position (every node's appends); this node's last committed
  // one when the server cannot be reached.
  std::uint64_t LastPosition() override {
    auto last = ReadLastPosition();
    return last.ok() ? *last : local_last_position_.load();
  }

  std::uint64_t Subscribe(Listener listener) override {
    return listeners_.Add(std::move(listener));
  }
  void Unsubscribe(std::uint64_t id) override { listeners_.Remove(id); }

  Status Health() override {
    {
      std::lock_guard lock(latch_mu_);
      if (!latched_.ok()) return latched_;
    }
    return reads_.Run("checking the server",
                      [](pqxx::connection& c) { pqxx::nontransaction(c).exec1("SELECT 1"); });
  }

  std::string_view Backend() const override { return "postgres"; }

 private:
  Result<std::uint64_t> ReadLastPosition() {
    std::uint64_t last = 0;
    FL_RETURN_IF_ERROR(reads_.Run("reading the last position", [&](pqxx::connection& c) {
      pqxx::nontransaction txn(c);
      last = txn.exec1("SELECT coalesce(max(position), 0) FROM events")[0].as<std::uint64_t>();
    }));
    return last;
  }

  static std::optional<StreamInfo> Load(pqxx::transaction_base& txn, std::string_view run_id) {
    const auto rows = txn.exec_params(
        std::string("SELECT ") + pg::kStreamColumns + " FROM streams WHERE run_id = $1",
        std::string(run_id));
    if (rows.empty()) return std::nullopt;
    return pg::DecodeStream(rows[0]);
  }

  static Status ReadHistory(pqxx::transaction_base& txn, std::string_view run_id,
                            std::uint64_t after_version, std::size_t limit, EventList& out) {
    auto segments =
        ResolveSegments(run_id, after_version, [&](std::string_view id) -> Result<StreamInfo> {
          auto info = Load(txn, id);
          if (!info) return Status::NotFound("run " + std::string(id) + " does not exist");
          return *info;
        });
    if (!segments.ok()) return segments.status();
    for (const Segment& seg : *segments) {
      if (out.size() >= limit) break;
      const auto rows = txn.exec_params(std::string("SELECT ") + pg::kEventColumns +
                                            " FROM events WHERE run_id = $1 AND version BETWEEN $2 "
                                            "AND $3 ORDER BY version LIMIT $4",
                                        seg.run_id, seg.first_version, seg.last_version,
                                        SqlLimit(limit - out.size()));
      std::uint64_t expect = seg.first_version;
      for (const auto& row : rows) {
        auto e = std::make_shared<const Event>(pg::DecodeEvent(row));
        if (e->version != expect++) {
          return Status::Internal("stream " + seg.run_id + " has a hole at version " +
                                  std::to_string(expect - 1));
        }
        out.push_back(std::move(e));
      }
      if (out.size() < limit && expect <= seg.last_version) {
        return Status::Internal("stream " + seg.run_id + " ends before version " +
                                std::to_string(seg.last_version));
      }
    }
    return Status::Ok();
  }

  void WriterLoop() {
    for (;;) {
      std::deque<PendingAppend> batch;
      {
        std::unique_lock lock(queue_mu_);
        queue_cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;  // stopping and drained
        std::size_t bytes = 0;
        while (!queue_.empty() && batch.size() < kMaxBatchRequests &&
               (batch.empty() || bytes + RequestBytes(queue_.front().request) <= kMaxBatchBytes)) {
          bytes += RequestBytes(queue_.front().request);
          batch.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
      }
      CommitBatch(batch);
    }
  }

  void CommitBatch(std::deque<PendingAppend>& batch) {
    std::vector<const AppendRequest*> requests;
    for (const PendingAppend& p : batch)
      requests.push_back(&p.request);
    pg::BatchOutcome outcome = writer_.Commit(requests);
    if (!writer_.latched().ok()) {
      std::lock_guard lock(latch_mu_);
      latched_ = writer_.latched();
    }
    bool published = true;
    if (!outcome.committed.empty()) {
      local_last_position_.store(outcome.committed.back()->position);
      // Listeners first: an appender that reads right after its callback must find
      // every projection already updated.
      if (feed_) {
        published = feed_->PublishThrough(outcome.committed);
      } else {
        listeners_.Publish(outcome.committed);
      }
    }
    for (std::size_t i = 0; i < batch.size(); ++i) {
      Result<EventList>& r = outcome.results[i];
      if (r.ok() && !published) {
        // Stored, but not yet folded here (the events other nodes stored just before
        // could not be read): an answer now would show the run without them. The
        // feed delivers them later; a retry with the same idempotency key is answered
        // from the log.
        batch[i].done(Status::Unavailable(
            "stored, but this node cannot read the events stored before it yet; retry with "
            "the same idempotency key"));
      } else if (r.ok()) {
        batch[i].done(AppendResult{std::move(r).value()});
      } else {
        batch[i].done(r.status());
      }
    }
  }

  const PostgresStoreOptions options_;
  pg::ConnectionPool reads_;
  pg::BatchWriter writer_;  // used by the writer thread only
  std::atomic<std::uint64_t> local_last_position_{0};

  std::mutex queue_mu_;  // guards queue_, stopping_
  std::condition_variable queue_cv_;
  std::deque<PendingAppend> queue_;
  bool stopping_ = false;
  std::thread writer_thread_;

  std::mutex latch_mu_;  // guards latched_ (a copy of the writer's)
  Status latched_;

  ListenerSet<Listener> listeners_;
  std::unique_ptr<pg::NodeFeed> feed_;  // set with deliver_all_nodes
};

}  // namespace

Result<std::unique_ptr<EventStore>> OpenPostgresEventStore(const PostgresStoreOptions& options) {
  if (options.url.empty()) return Status::BadRequest("the postgres store needs a url");
  if (options.schema.empty()) return Status::BadRequest("the postgres store needs a schema name");
  try {
    auto conn = pg::Connect(options.url, options.schema);
    FL_RETURN_IF_ERROR(pg::Migrate(*conn, options.schema));
  } catch (const std::exception& e) {
    return pg::ToStatus(e, "opening the postgres store");
  }
  return std::unique_ptr<EventStore>(std::make_unique<PostgresEventStore>(options));
}

}  // namespace forkline
