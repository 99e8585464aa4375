#include "daemon/engine/engine.h"

#include <boost/asio/post.hpp>
#include <boost/json/serialize.hpp>
#include <future>
#include <thread>

#include "daemon/engine/clock.h"
#include "projections/fold.h"
#include "projections/run_json.h"

namespace forkline {
namespace json = boost::json;

Engine::Engine(EventStore& store, std::vector<WorkflowDefinition> workflows,
               std::map<std::string, Executor*> executors, EngineOptions options,
               boost::asio::any_io_executor io)
    : store_(store),
      workflows_(std::move(workflows)),
      executors_(std::move(executors)),
      options_(std::move(options)),
      io_(std::move(io)),
      ownership_(options_.ownership ? options_.ownership
                                    : std::make_shared<SingleNodeOwnership>()) {
  idempotency_.SetRetention(options_.idempotency_retention);
}

Engine::~Engine() {
  accepting_ = false;
  ownership_->Stop();
  {
    std::lock_guard lock(timers_mu_);
    if (scan_timer_) scan_timer_->cancel();
  }
  if (store_listener_) store_.Unsubscribe(store_listener_);
  steps_.reset();
}

std::shared_ptr<RunEntry> Engine::NewEntry(const std::string& id) {
  return std::make_shared<RunEntry>(id, io_);
}

Status Engine::Start() {
  store_listener_ = store_.Subscribe([this](const EventList& events) { OnDurable(events); });
  FL_RETURN_IF_ERROR(Recover());
  steps_ = std::make_unique<StepPool>(options_.max_concurrent_steps);
  accepting_ = true;
  ownership_->Start([this](const std::string& run_id) { OnLeaseLost(run_id); });
  // Steps that were in flight at the crash, and autorun, go on (with several nodes: the
  // runs no other node drives).
  for (const Entry& entry : runs_.All()) {
    if (!NeedsDriver(entry)) continue;
    entry->queue->Post([this, entry](SerialQueue::Done done) { TakeOver(entry, done); });
  }
  if (ownership_->Shared()) ScheduleScan();
  return Status::Ok();
}

// The daemon stopped while a retryable failure waited out its backoff (or before an
// interrupted step's next attempt started): the attempt that was due must still run (its
// run.next, if any, was lost with the process).
void Engine::ResumeRetry(const Entry& entry, const SerialQueue::Done& done) {
  const RunState state = entry->Snapshot();
  const std::uint32_t index = state.cursor;
  auto next = DecideNextAttempt(state, index, {NowString(), "", ""});
  if (!next.ok() || next->empty()) return done();
  const std::uint32_t attempt = state.steps[index].attempt + 1;
  AppendAsDriver(entry, std::move(next).value(), [this, entry, index, attempt, done](Status s) {
    if (s.ok()) StartStep(entry, index, attempt);
    done();
  });
}

// Folds every stream into its compact state. Own events carry the keys to recover.
Status Engine::Recover() {
  auto streams = store_.ListStreams();
  if (!streams.ok()) return streams.status();
  std::vector<std::pair<std::uint64_t, Entry>> created;
  for (const StreamInfo& info : *streams) {
    Entry entry = NewEntry(info.run_id);
    std::uint64_t first_own = 0;
    // Visited one reused event at a time: no history held in memory, no heap event each.
    const Status read = store_.VisitStream(info.run_id, 0, SIZE_MAX, [&](const Event& e) {
      if (Status applied = Apply(entry->state, e, Payloads::kDrop); !applied.ok()) return applied;
      if (e.run_id != info.run_id) return Status::Ok();
      if (first_own == 0) first_own = e.position;
      std::chrono::system_clock::time_point at;
      if (!e.key.empty() && ParseTime(e.at, &at)) {
        idempotency_.Recover(e.key, e.command_id, e.run_id, e.version, at);
      }
      return Status::Ok();
    });
    if (!read.ok()) return read;
    runs_.ShareDefinition(entry->state);
    created.emplace_back(first_own, std::move(entry));
  }
  std::sort(created.begin(), created.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [position, entry] : created) {
    const auto parent = entry->state.parent;
    // With events from other nodes the feed may have brought the run in meanwhile: its
    // entry is at least as new as this one.
    Entry fed = runs_.Find(entry->id);
    runs_.MarkDurable(fed ? fed : entry, position, parent);
  }
  return Status::Ok();
}

void Engine::AppendToRun(const Entry& entry, std::vector<NewEvent> events,
                         std::function<void(Status)> then) {
  if (events.empty()) return then(Status::Ok());
  AppendRequest req;
  req.run_id = entry->id;
  {
    std::lock_guard lock(entry->mu);
    req.expected_version = entry->state.version;
  }
  // The driver's appends carry its lease token (and so do its answers to commands).
  req.fence = ownership_->Held(entry->id).value_or(0);
  req.events = std::move(events);
  const bool fenced = req.fence != 0;
  store_.AppendAsync(std::move(req), [this, entry, fenced, then = std::move(then)](Result<AppendResult> r) mutable {
    // The store listener has folded the events already; continue off the writer thread.
    // (The store calls this once: `then` moves on rather than being copied.)
    boost::asio::post(io_, [this, entry, fenced, then = std::move(then),
                            s = r.ok() ? Status::Ok() : r.status()]() mutable {
      // A fenced append is refused (kUnavailable) when another node claimed the lease
      // meanwhile: a lost race, decided again like one (Confirm asks the shared store).
      if (fenced && s.code() == Code::kUnavailable && ownership_->Shared() &&
          !ownership_->Confirm(entry->id)) {
        s = Status::Conflict("run " + entry->id + " was taken over by another node: " + s.message());
      }
      then(std::move(s));
    });
  });
}

// On the store's writer thread, in position order: fold, then publish.
void Engine::OnDurable(const EventList& events) {
  if (options_.on_events_durable) options_.on_events_durable(events.size());
  for (const EventPtr& e : events) {
    Entry entry = runs_.Find(e->run_id);
    if (!entry && e->type != events::kRunCreated) {
      // Another node's run whose start this node did not see (it started while Recover
      // read the store), or a fork made on another node (its prefix): fold its history
      // from the store.
      entry = NewEntry(e->run_id);
      std::uint64_t first_own = e->position;
      auto history = store_.ReadStream(e->run_id, 0, e->version - 1);
      if (!history.ok()) {
        std::fprintf(stderr, "forklined: error: run %s: %s\n", e->run_id.c_str(),
                     history.status().ToString().c_str());
      } else {
        for (const EventPtr& h : *history) {
          (void)Apply(entry->state, *h, Payloads::kDrop);
          if (h->run_id == e->run_id) first_own = std::min(first_own, h->position);
        }
      }
      runs_.Insert(entry);
      if (e->type != events::kRunForked) runs_.MarkDurable(entry, first_own, entry->state.parent);
    } else if (!entry) {
      entry = NewEntry(e->run_id);
      runs_.Insert(entry);
    }
    auto item = std::make_shared<FeedItem>();
    std::optional<ParentLink> parent;
    {
      std::lock_guard lock(entry->mu);
      // Recover may have read this event already (the feed runs while it reads).
      const Status applied = e->version <= entry->state.version && entry->state.version > 0
                                 ? Status::Ok()
                                 : Apply(entry->state, *e, Payloads::kDrop);
      if (!applied.ok()) std::fprintf(stderr, "forklined: error: %s\n", applied.ToString().c_str());
      if (e->type == events::kRunCreated || e->type == events::kRunForked) {
        runs_.ShareDefinition(entry->state);
      }
      item->kind = entry->state.kind;
      item->json = EventWireLine(*e, BriefOf(entry->state));
      parent = entry->state.parent;
    }
    if (!e->key.empty()) {
      // Keys used on other nodes: a repeat sent here answers again (own keys are local).
      std::chrono::system_clock::time_point at;
      if (ParseTime(e->at, &at)) idempotency_.Observe(e->key, e->command_id, e->run_id, e->version, at);
    }
    if (e->type == events::kRunCreated || e->type == events::kRunForked) {
      runs_.MarkDurable(entry, e->position, parent);
    }
    item->run_id = e->run_id;
    item->type = e->type;
    item->version = e->version;
    item->position = e->position;
    item->terminal = events::IsTerminalType(e->type);
    Publish(item);
  }
}

void Engine::Publish(const FeedItemPtr& item) {
  feed_listeners_.Publish(item);
}

void Engine::PublishProgress(const Entry& entry, std::uint32_t index, const StepProgress& p) {
  auto item = std::make_shared<FeedItem>();
  item->run_id = entry->id;
  item->type = std::string(events::kStepProgress);
  item->transient = true;
  json::object o{{"type", events::kStepProgress}, {"run_id", entry->id}, {"index", index}};
  {
    std::lock_guard lock(entry->mu);
    item->kind = entry->state.kind;
    if (index < entry->state.steps.size()) o["name"] = entry->state.steps[index].name;
  }
  o["at"] = NowString();
  if (!p.message.empty()) o["message"] = p.message;
  if (!p.delta.empty()) o["delta"] = p.delta;
  if (p.fraction) o["fraction"] = *p.fraction;
  item->json = json::serialize(o);
  Publish(item);
}

std::uint64_t Engine::Subscribe(Listener listener) { return feed_listeners_.Add(std::move(listener)); }

void Engine::Unsubscribe(std::uint64_t id) { feed_listeners_.Remove(id); }

namespace {

// Gives `compact` the input and step outputs of `full` (an older or newer full state of
// the same run) when `full` holds every output `compact` names. False, `compact`
// unchanged, otherwise.
bool AddPayloads(RunState& compact, const RunState& full) {
  if (!PayloadsCover(compact, full)) return false;
  compact.input = full.input;
  for (std::size_t i = 0; i < compact.steps.size(); ++i) {
    if (compact.steps[i].output_version != 0) compact.steps[i].output = full.steps[i].output;
  }
  return true;
}

}  // namespace

Result<RunState> Engine::FullState(std::string_view run_id, std::uint64_t until_version) {
  Entry entry = until_version == UINT64_MAX ? runs_.Find(run_id) : nullptr;
  if (!entry) {
    auto history = store_.ReadStream(run_id, 0, until_version);
    if (!history.ok()) return history.status();
    return Fold(*history, Payloads::kKeep);
  }
  std::shared_ptr<const RunState> cached;
  RunState compact;
  {
    std::lock_guard lock(entry->mu);
    cached = entry->full_cache;
    compact = entry->state;
  }
  // No step completed since the cache was folded (the common case for control commands):
  // the compact state plus the cached payloads is the full state, with no read.
  if (cached && AddPayloads(compact, *cached)) {
    if (IsTerminal(compact.status)) {  // an ended run keeps no outputs in memory
      std::lock_guard lock(entry->mu);
      if (entry->full_cache == cached) entry->full_cache = nullptr;
    }
    return compact;
  }
  RunState state = cached ? *cached : RunState{};
  auto newer = store_.ReadStream(run_id, state.version, SIZE_MAX);
  if (!newer.ok()) return newer.status();
  for (const EventPtr& e : *newer) FL_RETURN_IF_ERROR(Apply(state, *e, Payloads::kKeep));
  if (!newer->empty()) {
    if (!cached) runs_.ShareDefinition(state);
    auto fresh = IsTerminal(state.status) ? nullptr : std::make_shared<const RunState>(state);
    {
      std::lock_guard lock(entry->mu);
      if (!entry->full_cache || entry->full_cache->version < state.version) entry->full_cache = fresh;
    }
    if (fresh) runs_.KeepFull(entry);
  }
  return state;
}

CommandResult Engine::RenderRun(const RunState& run, RunDetail detail, const RunState& payloads,
                                const StepRecord* step) {
  std::string text = "{\"run\":";
  text.reserve(2048);
  AppendRunJson(text, run, detail, payloads);
  if (step != nullptr) {
    text += ",\"step\":";
    AppendStepJson(text, *step);
  }
  text += '}';
  return CommandResult::Rendered(std::move(text), run.id, run.version);
}

CommandResult Engine::RunReply(const Entry& entry, RunDetail detail) {
  auto render = [](const RunState& run, RunDetail d, const RunState& payloads) {
    return RenderRun(run, d, payloads);
  };
  if (detail == RunDetail::kFull) {
    {
      // No step completed since the full state was cached (the common case for control
      // commands): rendered from the compact state and the cached payloads, neither
      // copied. An ended run goes through FullState, which drops the cache.
      std::lock_guard lock(entry->mu);
      const std::shared_ptr<const RunState>& cached = entry->full_cache;
      if (cached && !IsTerminal(entry->state.status) && PayloadsCover(entry->state, *cached)) {
        return render(entry->state, RunDetail::kFull, *cached);
      }
    }
    auto full = FullState(entry->id);
    if (full.ok()) return render(*full, RunDetail::kFull, *full);
  }
  const RunState snapshot = entry->Snapshot();
  return render(snapshot, detail, snapshot);
}

Result<FeedList> Engine::RenderHistory(std::string_view run_id, const EventList& history,
                                       std::uint64_t after_version) {
  RunState state;
  FeedList out;
  for (const EventPtr& e : history) {
    FL_RETURN_IF_ERROR(Apply(state, *e, Payloads::kDrop));
    if (e->version <= after_version) continue;
    auto item = std::make_shared<FeedItem>();
    item->run_id = std::string(run_id);
    item->kind = state.kind;
    item->type = e->type;
    item->version = e->version;
    item->position = e->position;
    item->terminal = events::IsTerminalType(e->type);
    item->json = EventWireLine(*e, BriefOf(state));
    out.push_back(std::move(item));
  }
  return out;
}

Result<FeedList> Engine::ReadRun(std::string_view run_id, std::uint64_t after_version,
                                 std::size_t limit) {
  // The state after each event needs the history from version 1.
  auto history = store_.ReadStream(run_id, 0, after_version + limit);
  if (!history.ok()) return history.status();
  return RenderHistory(run_id, *history, after_version);
}

Result<FeedList> Engine::ReadGlobal(std::uint64_t after_position, std::size_t limit) {
  auto page = store_.ReadAll(after_position, limit);
  if (!page.ok()) return page.status();
  // Each run's state after each of its events in the page, from one fold per run.
  std::map<std::string, std::uint64_t> max_version;
  for (const EventPtr& e : *page) {
    auto& v = max_version[e->run_id];
    v = std::max(v, e->version);
  }
  std::map<std::pair<std::string, std::uint64_t>, FeedItemPtr> rendered;
  for (const auto& [run, until] : max_version) {
    auto history = store_.ReadStream(run, 0, until);
    if (!history.ok()) return history.status();
    auto items = RenderHistory(run, *history, 0);
    if (!items.ok()) return items.status();
    for (auto& item : *items) rendered[{run, item->version}] = item;
  }
  FeedList out;
  for (const EventPtr& e : *page) {
    auto it = rendered.find({e->run_id, e->version});
    if (it != rendered.end()) out.push_back(it->second);
  }
  return out;
}

void Engine::Shutdown(std::chrono::milliseconds grace) {
  accepting_ = false;
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (steps_in_flight_.load() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  // Steps that did not end in time are stopped and recorded aborted; the cursor stays,
  // so they run again after a restart (by autorun, or the next run.next).
  std::vector<std::future<void>> recorded;
  for (const Entry& entry : runs_.All()) {
    if (!entry->Snapshot().in_flight) continue;
    auto promise = std::make_shared<std::promise<void>>();
    recorded.push_back(promise->get_future());
    entry->queue->Post([this, entry, promise](SerialQueue::Done done) {
      const RunState state = entry->Snapshot();
      std::vector<NewEvent> events;
      if (state.in_flight && !state.steps[*state.in_flight].repeatable) {
        // Stopped mid-way, a step that is not repeatable has an unknown outcome: it waits
        // for a person (run.retry) rather than running again after the restart.
        auto failed = DecideInterrupted(state, /*shutdown=*/true, {NowString(), "", ""});
        if (failed.ok()) events = std::move(failed).value();
      } else if (state.in_flight) {
        const StepRecord& s = state.steps[*state.in_flight];
        json::object d{{"index", s.index}, {"name", s.name}, {"attempt", s.attempt},
                       {"reason", "shutdown"}};
        events.push_back({std::string(events::kStepAborted), NowString(), "", "", json::serialize(d)});
      }
      {
        std::lock_guard lock(entry->mu);
        if (entry->abort) entry->abort->store(true);
      }
      AppendAsDriver(entry, std::move(events), [promise, done](Status) {
        promise->set_value();
        done();
      });
    });
  }
  for (auto& f : recorded) f.wait_for(std::chrono::seconds(5));
  {
    std::lock_guard lock(timers_mu_);
    for (const auto& timer : backoff_timers_) timer->cancel();
    if (scan_timer_) scan_timer_->cancel();
  }
  // Other nodes may take these runs over at once rather than after the lease timeout.
  for (const Entry& entry : runs_.All()) ownership_->Release(entry->id);
  ownership_->Stop();
  if (steps_) steps_->Stop();
}

}  // namespace forkline
