#include "eventstore/memory_event_store.h"

#include <map>
#include <mutex>
#include <unordered_map>

#include "eventstore/append_plan.h"
#include "eventstore/listener_set.h"

namespace forkline {
namespace {

class MemoryEventStore final : public EventStore {
 public:
  explicit MemoryEventStore(std::size_t max_event_bytes) : max_event_bytes_(max_event_bytes) {}

  void AppendAsync(AppendRequest request, AppendCallback done) override {
    // Appends, acknowledgements and listeners run one append at a time, so listeners
    // see position order. Recursive: a callback may append again.
    std::lock_guard append_lock(append_mu_);
    if (closed_) return done(Status::Unavailable("the store is closing"));
    Status valid = ValidateAppend(request, max_event_bytes_);
    if (!valid.ok()) return done(std::move(valid));
    EventList stored;
    {
      std::lock_guard lock(mu_);
      auto planned = Plan(request);
      if (!planned.ok()) return done(planned.status());
      for (Event& e : planned.value()) stored.push_back(std::make_shared<const Event>(std::move(e)));
      Stream& s = streams_[request.run_id];
      for (const EventPtr& e : stored) s.own.push_back(e);
      global_.insert(global_.end(), stored.begin(), stored.end());
    }
    listeners_.Publish(stored);
    done(AppendResult{stored});
  }

  Result<StreamInfo> GetStream(std::string_view run_id) override {
    std::lock_guard lock(mu_);
    return InfoLocked(run_id);
  }

  Result<std::vector<StreamInfo>> ListStreams() override {
    std::lock_guard lock(mu_);
    std::vector<StreamInfo> out;
    for (const auto& [id, s] : streams_) out.push_back(s.info);
    return out;
  }

  Result<EventList> ReadStream(std::string_view run_id, std::uint64_t after_version,
                               std::size_t limit) override {
    std::lock_guard lock(mu_);
    auto segments = ResolveSegments(run_id, after_version,
                                    [this](std::string_view id) { return InfoLocked(id); });
    if (!segments.ok()) return segments.status();
    EventList out;
    for (const Segment& seg : *segments) {
      const Stream& s = streams_.at(seg.run_id);
      const std::uint64_t base = s.info.parent ? s.info.parent->source_version : 0;
      for (std::uint64_t v = seg.first_version; v <= seg.last_version && out.size() < limit; ++v) {
        out.push_back(s.own[v - base - 1]);
      }
    }
    return out;
  }

  Result<EventList> ReadAll(std::uint64_t after_position, std::size_t limit) override {
    std::lock_guard lock(mu_);
    EventList out;
    for (std::uint64_t p = after_position; p < global_.size() && out.size() < limit; ++p) {
      out.push_back(global_[p]);
    }
    return out;
  }

  std::uint64_t LastPosition() override {
    std::lock_guard lock(mu_);
    return global_.size();
  }

  std::uint64_t Subscribe(Listener listener) override { return listeners_.Add(std::move(listener)); }
  void Unsubscribe(std::uint64_t id) override { listeners_.Remove(id); }

  Status Health() override { return Status::Ok(); }
  // Appends complete inside AppendAsync: once the lock is ours, none is under way.
  void Close() override {
    std::lock_guard lock(append_mu_);
    closed_ = true;
  }
  std::string_view Backend() const override { return "memory"; }

 private:
  struct Stream {
    StreamInfo info;
    EventList own;  // own events only; index = version - base - 1
  };

  Result<StreamInfo> InfoLocked(std::string_view run_id) {
    auto it = streams_.find(std::string(run_id));
    if (it == streams_.end()) return Status::NotFound("run " + std::string(run_id) + " does not exist");
    return it->second.info;
  }

  // REQUIRES: mu_ held. Plans the append and records the stream's new head.
  Result<std::vector<Event>> Plan(const AppendRequest& request) {
    AppendContext ctx;
    if (auto s = InfoLocked(request.run_id); s.ok()) ctx.stream = *s;
    if (request.fork_from) {
      if (auto src = InfoLocked(request.fork_from->source_run_id); src.ok()) {
        ctx.fork_source = *src;
        if (request.fork_from->source_version > 0 &&
            request.fork_from->source_version <= src->head_version) {
          auto ev = ReadHashLocked(request.fork_from->source_run_id, request.fork_from->source_version);
          if (!ev.ok()) return ev.status();
          ctx.fork_source_hash = *ev;
        }
      }
    }
    auto planned = PlanAppend(request, ctx, global_.size() + 1);
    if (planned.ok()) streams_[request.run_id].info = StreamAfter(request, ctx, *planned);
    return planned;
  }

  Result<std::string> ReadHashLocked(const std::string& run_id, std::uint64_t version) {
    auto segments = ResolveSegments(run_id, version - 1,
                                    [this](std::string_view id) { return InfoLocked(id); });
    if (!segments.ok()) return segments.status();
    const Segment& seg = segments->front();
    const Stream& s = streams_.at(seg.run_id);
    const std::uint64_t base = s.info.parent ? s.info.parent->source_version : 0;
    return s.own[seg.first_version - base - 1]->hash;
  }

  const std::size_t max_event_bytes_;
  std::recursive_mutex append_mu_;
  bool closed_ = false;  // guarded by append_mu_
  std::mutex mu_;  // guards everything below
  std::map<std::string, Stream, std::less<>> streams_;
  EventList global_;  // index = position - 1
  ListenerSet<Listener> listeners_;
};

}  // namespace

std::unique_ptr<EventStore> NewMemoryEventStore(std::size_t max_event_bytes) {
  return std::make_unique<MemoryEventStore>(max_event_bytes);
}

}  // namespace forkline
