#include "eventstore/rocksdb_event_store.h"

#include <pthread.h>
#include <rocksdb/db.h>
#include <rocksdb/listener.h>
#include <rocksdb/options.h>
#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/write_batch.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "eventstore/append_plan.h"
#include "eventstore/listener_set.h"
#include "eventstore/rocksdb_codec.h"
#include "eventstore/rocksdb_insert_hints.h"
#include "eventstore/rocksdb_logger.h"

namespace forkline {
namespace {

constexpr const char* kEventsCf = "events";
constexpr const char* kGlobalCf = "global";
constexpr const char* kStreamsCf = "streams";
constexpr std::size_t kMaxBatchRequests = 4096;

// The one place RocksDB statuses become Forkline statuses.
Status FromRocks(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return Status::Ok();
  std::string msg = std::string(what) + ": " + s.ToString();
  if (s.IsNotFound()) return Status::NotFound(std::move(msg));
  if (s.IsBusy() || s.IsTryAgain() || s.IsIOError() || s.IsNoSpace()) {
    return Status::Unavailable(std::move(msg));
  }
  return Status::Internal(std::move(msg));
}

// Latches the first background error RocksDB reports (a flush or compaction whose write
// or sync failed, e.g. ENOSPC) and turns RocksDB's own recovery from it off: the store
// then refuses appends until a restart, as after a failed write of its own, instead of
// acknowledging again once RocksDB has retried behind its back. Thread-safe.
class BackgroundErrorLatch final : public rocksdb::EventListener {
 public:
  void OnBackgroundError(rocksdb::BackgroundErrorReason /*reason*/, rocksdb::Status* error) override {
    std::lock_guard lock(mu_);
    if (error_.ok() && error != nullptr && !error->ok()) {
      error_ = Status::Unavailable("background write failed; restart after fixing the cause: " +
                                   FromRocks(*error, "flush or compaction").message());
    }
  }
  void OnErrorRecoveryBegin(rocksdb::BackgroundErrorReason /*reason*/, rocksdb::Status /*error*/,
                            bool* auto_recovery) override {
    if (auto_recovery != nullptr) *auto_recovery = false;
  }
  Status error() {
    std::lock_guard lock(mu_);
    return error_;
  }

 private:
  std::mutex mu_;  // guards error_
  Status error_;
};

struct PendingAppend {
  AppendRequest request;
  EventStore::AppendCallback done;
};

class RocksDbEventStore final : public EventStore {
 public:
  RocksDbEventStore(std::unique_ptr<rocksdb::DB> db, std::vector<rocksdb::ColumnFamilyHandle*> cfs,
                    const RocksDbStoreOptions& options,
                    std::shared_ptr<BackgroundErrorLatch> background)
      : options_(options), db_(std::move(db)), cfs_(std::move(cfs)),
        background_(std::move(background)) {
    last_position_ = ReadLastPosition();
    if (!options_.read_only) {
      writer_ = std::thread([this] {
        pthread_setname_np(pthread_self(), "fl-store");
        WriterLoop();
      });
    }
  }

  ~RocksDbEventStore() override {
    Close();
    for (auto* cf : cfs_) db_->DestroyColumnFamilyHandle(cf);
    db_->Close().PermitUncheckedError();
  }
  RocksDbEventStore(const RocksDbEventStore&) = delete;
  RocksDbEventStore& operator=(const RocksDbEventStore&) = delete;

  void Close() override {
    {
      std::lock_guard lock(queue_mu_);
      stopping_ = true;
    }
    queue_cv_.notify_all();
    if (writer_.joinable()) writer_.join();
  }

  void AppendAsync(AppendRequest request, AppendCallback done) override {
    if (options_.read_only) return done(Status::Unavailable("the store is open read-only"));
    Status valid = ValidateAppend(request, options_.max_event_bytes);
    if (!valid.ok()) return done(std::move(valid));
    {
      std::lock_guard lock(queue_mu_);
      if (stopping_) return done(Status::Unavailable("the store is closing"));
      queue_.push_back({std::move(request), std::move(done)});
    }
    queue_cv_.notify_one();
  }

  Result<StreamInfo> GetStream(std::string_view run_id) override {
    CatchUp();
    if (!options_.read_only) {
      std::lock_guard lock(heads_mu_);
      auto it = heads_.find(std::string(run_id));
      if (it != heads_.end()) return it->second;
    }
    return LoadStream(run_id);
  }

  Result<std::vector<StreamInfo>> ListStreams() override {
    CatchUp();
    std::vector<StreamInfo> out;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), cfs_[3]));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      auto info = rocks::DecodeStream(it->value().ToStringView(), it->key().ToStringView());
      if (!info.ok()) return info.status();
      out.push_back(std::move(info).value());
    }
    FL_RETURN_IF_ERROR(FromRocks(it->status(), "listing streams"));
    return out;
  }

  Result<EventList> ReadStream(std::string_view run_id, std::uint64_t after_version,
                               std::size_t limit) override {
    EventList out;
    FL_RETURN_IF_ERROR(VisitStream(run_id, after_version, limit, [&out](const Event& e) {
      out.push_back(std::make_shared<const Event>(e));
      return Status::Ok();
    }));
    return out;
  }

  Status VisitStream(std::string_view run_id, std::uint64_t after_version, std::size_t limit,
                     const Visitor& visit) override {
    auto segments = ResolveSegments(run_id, after_version,
                                    [this](std::string_view id) { return GetStream(id); });
    if (!segments.ok()) return segments.status();
    Event scratch;  // decoded into again and again: its strings keep their capacity
    std::size_t count = 0;
    for (const Segment& seg : *segments) {
      if (count >= limit) break;
      FL_RETURN_IF_ERROR(VisitSegment(seg, limit, count, scratch, visit));
    }
    return Status::Ok();
  }

  Result<EventList> ReadAll(std::uint64_t after_position, std::size_t limit) override {
    CatchUp();
    EventList out;
    rocksdb::ReadOptions ro;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cfs_[2]));
    std::vector<std::string> keys;
    for (it->Seek(rocks::PositionKey(after_position + 1)); it->Valid() && keys.size() < limit;
         it->Next()) {
      keys.push_back(it->value().ToString());
    }
    FL_RETURN_IF_ERROR(FromRocks(it->status(), "reading the global order"));
    std::vector<rocksdb::Slice> slices(keys.begin(), keys.end());
    std::vector<rocksdb::PinnableSlice> values(keys.size());
    std::vector<rocksdb::Status> statuses(keys.size());
    db_->MultiGet(ro, cfs_[1], slices.size(), slices.data(), values.data(), statuses.data());
    out.reserve(keys.size());
    for (std::size_t i = 0; i < keys.size(); ++i) {
      if (!statuses[i].ok()) {
        return Status::Internal("global order names a missing event: " + statuses[i].ToString());
      }
      auto e = rocks::DecodeEvent(values[i].ToStringView(), keys[i]);
      if (!e.ok()) return e.status();
      out.push_back(std::make_shared<const Event>(std::move(e).value()));
    }
    return out;
  }

  std::uint64_t LastPosition() override {
    if (options_.read_only) {
      CatchUp();
      return ReadLastPosition();
    }
    return last_position_.load();
  }

  std::uint64_t Subscribe(Listener listener) override { return listeners_.Add(std::move(listener)); }
  void Unsubscribe(std::uint64_t id) override { listeners_.Remove(id); }

  Status Health() override {
    {
      std::lock_guard lock(latch_mu_);
      if (!latched_.ok()) return latched_;
    }
    return background_ != nullptr ? background_->error() : Status::Ok();
  }

  std::string_view Backend() const override { return "rocksdb"; }

  Status Checkpoint(const std::string& dir) override {
    if (options_.read_only) return Status::Unavailable("a read-only store cannot take a checkpoint");
    std::error_code ec;
    if (std::filesystem::exists(dir, ec)) return Status::Conflict(dir + " already exists");
    rocksdb::Checkpoint* raw = nullptr;
    FL_RETURN_IF_ERROR(FromRocks(rocksdb::Checkpoint::Create(db_.get(), &raw), "checkpoint"));
    std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
    // log_size_for_flush 0: flush the memtables first, so the copy needs no WAL replay.
    return FromRocks(checkpoint->CreateCheckpoint(dir, 0), "checkpoint into " + dir);
  }

 private:
  void CatchUp() {
    if (options_.read_only && options_.follow_primary) {
      db_->TryCatchUpWithPrimary().PermitUncheckedError();
    }
  }

  std::uint64_t ReadLastPosition() {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), cfs_[2]));
    it->SeekToLast();
    return it->Valid() ? rocks::DecodeU64(it->key().ToStringView()) : 0;
  }

  Result<StreamInfo> LoadStream(std::string_view run_id) {
    std::string bytes;
    const rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), cfs_[3], run_id, &bytes);
    if (s.IsNotFound()) return Status::NotFound("run " + std::string(run_id) + " does not exist");
    FL_RETURN_IF_ERROR(FromRocks(s, "reading stream " + std::string(run_id)));
    return rocks::DecodeStream(bytes, run_id);
  }

  // Visits seg's events in version order until `count` (events visited so far, across
  // segments) reaches `limit`; a missing version is kInternal.
  Status VisitSegment(const Segment& seg, std::size_t limit, std::size_t& count, Event& scratch,
                      const Visitor& visit) {
    const std::string upper = rocks::EventKey(seg.run_id, seg.last_version + 1);
    rocksdb::Slice upper_slice(upper);
    rocksdb::ReadOptions ro;
    ro.iterate_upper_bound = &upper_slice;
    // A history is read front to back, once: its blocks would only push hotter ones
    // (stream heads, recent events) out of the block cache.
    ro.fill_cache = false;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cfs_[1]));
    std::uint64_t expect = seg.first_version;
    for (it->Seek(rocks::EventKey(seg.run_id, seg.first_version)); it->Valid() && count < limit;
         it->Next(), ++expect, ++count) {
      FL_RETURN_IF_ERROR(
          rocks::DecodeEventInto(it->value().ToStringView(), it->key().ToStringView(), &scratch));
      if (scratch.version != expect || scratch.run_id != seg.run_id) {
        return Status::Internal("stream " + seg.run_id + " has a hole at version " +
                                std::to_string(expect));
      }
      FL_RETURN_IF_ERROR(visit(scratch));
    }
    FL_RETURN_IF_ERROR(FromRocks(it->status(), "reading stream " + seg.run_id));
    if (count < limit && expect <= seg.last_version) {
      return Status::Internal("stream " + seg.run_id + " ends before version " +
                              std::to_string(seg.last_version));
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
        while (!queue_.empty() && batch.size() < kMaxBatchRequests) {
          batch.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
      }
      CommitBatch(batch);
    }
  }

  // Plans every request against the heads as the batch leaves them, writes them all in
  // one synced WriteBatch, then acknowledges and publishes in position order.
  void CommitBatch(std::deque<PendingAppend>& batch);
  Result<AppendContext> ContextFor(const AppendRequest& request,
                                   const std::unordered_map<std::string, StreamInfo>& overlay,
                                   const std::unordered_map<std::string, EventList>& planned);

  const RocksDbStoreOptions options_;
  std::unique_ptr<rocksdb::DB> db_;
  // [0] default, [1] events, [2] global, [3] streams.
  std::vector<rocksdb::ColumnFamilyHandle*> cfs_;
  std::atomic<std::uint64_t> last_position_{0};
  std::shared_ptr<BackgroundErrorLatch> background_;  // null for a read-only store

  std::mutex queue_mu_;  // guards queue_, stopping_
  std::condition_variable queue_cv_;
  std::deque<PendingAppend> queue_;
  bool stopping_ = false;
  std::thread writer_;

  std::mutex heads_mu_;  // guards heads_: committed stream heads (writer updates after sync)
  std::unordered_map<std::string, StreamInfo> heads_;

  std::mutex latch_mu_;  // guards latched_
  Status latched_;

  ListenerSet<Listener> listeners_;
};

Result<AppendContext> RocksDbEventStore::ContextFor(
    const AppendRequest& request, const std::unordered_map<std::string, StreamInfo>& overlay,
    const std::unordered_map<std::string, EventList>& planned) {
  auto lookup = [&](const std::string& id) -> Result<StreamInfo> {
    if (auto it = overlay.find(id); it != overlay.end()) return it->second;
    return GetStream(id);
  };
  AppendContext ctx;
  if (auto s = lookup(request.run_id); s.ok()) {
    ctx.stream = std::move(s).value();
  } else if (s.status().code() != Code::kNotFound) {
    return s.status();
  }
  if (!request.fork_from) return ctx;
  const ForkLink& link = *request.fork_from;
  auto src = lookup(link.source_run_id);
  if (!src.ok()) return src.status().code() == Code::kNotFound ? Result<AppendContext>(ctx) : src.status();
  ctx.fork_source = *src;
  if (link.source_version == 0 || link.source_version > src->head_version) return ctx;
  if (link.source_version == src->head_version) {
    ctx.fork_source_hash = src->head_hash;
    return ctx;
  }
  // The event may be in this very batch (not yet readable) or in the store.
  if (auto it = planned.find(link.source_run_id); it != planned.end()) {
    for (const EventPtr& e : it->second) {
      if (e->version == link.source_version) {
        ctx.fork_source_hash = e->hash;
        return ctx;
      }
    }
  }
  auto events = ReadStream(link.source_run_id, link.source_version - 1, 1);
  if (!events.ok()) return events.status();
  if (events->empty()) return Status::Internal("fork source event is missing");
  ctx.fork_source_hash = events->front()->hash;
  return ctx;
}

void RocksDbEventStore::CommitBatch(std::deque<PendingAppend>& batch) {
  Status latched = Health();
  rocksdb::WriteBatch wb;
  std::unordered_map<std::string, StreamInfo> overlay;
  std::unordered_map<std::string, EventList> planned_by_run;
  std::vector<std::pair<std::size_t, EventList>> accepted;  // batch index -> events
  std::uint64_t position = last_position_.load();
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const AppendRequest& req = batch[i].request;
    if (!latched.ok()) {
      batch[i].done(Status::Unavailable("the store stopped taking writes: " + latched.message()));
      continue;
    }
    auto ctx = ContextFor(req, overlay, planned_by_run);
    Result<std::vector<Event>> plan = ctx.ok() ? PlanAppend(req, *ctx, position + 1)
                                               : Result<std::vector<Event>>(ctx.status());
    if (!plan.ok()) {
      batch[i].done(plan.status());
      continue;
    }
    StreamInfo info = StreamAfter(req, *ctx, *plan);
    EventList events;
    for (Event& e : *plan) {
      const std::string key = rocks::EventKey(e.run_id, e.version);
      wb.Put(cfs_[1], key, rocks::EncodeEvent(e)).PermitUncheckedError();
      wb.Put(cfs_[2], rocks::PositionKey(e.position), key).PermitUncheckedError();
      events.push_back(std::make_shared<const Event>(std::move(e)));
    }
    position = events.back()->position;
    wb.Put(cfs_[3], req.run_id, rocks::EncodeStream(info)).PermitUncheckedError();
    overlay[req.run_id] = std::move(info);
    auto& list = planned_by_run[req.run_id];
    list.insert(list.end(), events.begin(), events.end());
    accepted.emplace_back(i, std::move(events));
  }
  if (accepted.empty()) return;

  rocksdb::WriteOptions wo;
  wo.sync = options_.sync;
  const auto write_started = std::chrono::steady_clock::now();
  const Status written = FromRocks(db_->Write(wo, &wb), "durable write");
  if (options_.on_commit) {
    options_.on_commit(std::chrono::duration<double>(std::chrono::steady_clock::now() - write_started).count());
  }
  if (!written.ok()) {
    {
      std::lock_guard lock(latch_mu_);
      latched_ = Status::Unavailable("write failed; restart after fixing the cause: " +
                                     written.message());
    }
    for (auto& [i, events] : accepted) batch[i].done(Health());
    return;
  }
  {
    std::lock_guard lock(heads_mu_);
    for (auto& [run, info] : overlay) heads_[run] = std::move(info);
  }
  last_position_.store(position);
  // Listeners first: an appender that reads its run right after its callback must find
  // every projection already updated.
  EventList published;
  for (auto& [i, events] : accepted) published.insert(published.end(), events.begin(), events.end());
  listeners_.Publish(published);
  for (auto& [i, events] : accepted) batch[i].done(AppendResult{std::move(events)});
}

std::string TempSecondaryPath() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/forkline-secondary-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) return std::string(base ? base : "/tmp") + "/forkline-secondary";
  return tmpl;
}

}  // namespace

Result<std::unique_ptr<EventStore>> OpenRocksDbEventStore(const RocksDbStoreOptions& options) {
  rocksdb::Options db_options;
  db_options.create_if_missing = !options.read_only;
  db_options.create_missing_column_families = !options.read_only;
  db_options.paranoid_checks = true;
  db_options.IncreaseParallelism(2);
  db_options.wal_recovery_mode = rocksdb::WALRecoveryMode::kPointInTimeRecovery;
  // A failed write latches the store until a restart (see CommitBatch). RocksDB's own
  // background resume after an I/O error (e.g. ENOSPC) would sync the failed WAL writer
  // again, which the library refuses with an assertion that ends the process.
  db_options.max_bgerror_resume_count = 0;
  db_options.info_log = rocks::StderrLogger();  // no LOG file on the store's disk
  if (options.env != nullptr) db_options.env = options.env;
  if (options.read_only) db_options.max_open_files = -1;  // required for secondaries
  std::shared_ptr<BackgroundErrorLatch> background;
  if (!options.read_only) {
    background = std::make_shared<BackgroundErrorLatch>();
    db_options.listeners.push_back(background);
  }
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const char* name : {rocksdb::kDefaultColumnFamilyName.c_str(), kEventsCf, kGlobalCf, kStreamsCf}) {
    descriptors.emplace_back(name, rocksdb::ColumnFamilyOptions(db_options));
  }
  // History reads (recovery, SSE history, rebuilds) mostly read recent events: those stay
  // uncompressed in level 0; older levels use LZ4, which decompresses faster than the
  // default snappy for the same size on disk. Blocks record their own compression type,
  // so stores written with other settings read as before.
  descriptors[1].options.compression_per_level = {rocksdb::kNoCompression,
                                                  rocksdb::kLZ4Compression};
  descriptors[1].options.memtable_insert_with_hint_prefix_extractor = rocks::RunPrefixHints();
  descriptors[2].options.memtable_insert_with_hint_prefix_extractor = rocks::SingleHint();
  descriptors[3].options.memtable_insert_with_hint_prefix_extractor = rocks::WholeKeyHints();
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s;
  if (options.read_only) {
    if (!std::filesystem::exists(options.path + "/CURRENT")) {
      return Status::NotFound("no Forkline store at " + options.path);
    }
    const std::string secondary =
        options.secondary_path.empty() ? TempSecondaryPath() : options.secondary_path;
    s = rocksdb::DB::OpenAsSecondary(db_options, options.path, secondary, descriptors, &handles, &raw);
  } else {
    std::error_code ec;
    std::filesystem::create_directories(options.path, ec);
    s = rocksdb::DB::Open(db_options, options.path, descriptors, &handles, &raw);
  }
  std::unique_ptr<rocksdb::DB> db(raw);
  if (!s.ok()) return FromRocks(s, "opening the store at " + options.path);
  return std::unique_ptr<EventStore>(
      std::make_unique<RocksDbEventStore>(std::move(db), std::move(handles), options,
                                          std::move(background)));
}

}  // namespace forkline
