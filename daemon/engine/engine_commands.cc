// Command intake and the read-only commands.
#include <boost/asio/post.hpp>
#include <boost/json/serialize.hpp>
#include <string_view>
#include <utility>

#include "daemon/engine/args.h"
#include "daemon/engine/clock.h"
#include "daemon/engine/engine.h"
#include "projections/run_json.h"

namespace forkline {
namespace json = boost::json;

namespace {

// The commands that only decide against a run's state and append (DoControl).
bool IsControlCommand(std::string_view cmd) {
  return cmd == "run.pause" || cmd == "run.resume" || cmd == "run.autorun" ||
         cmd == "run.cancel" || cmd == "run.retry";
}

}  // namespace

void Engine::Handle(CommandRequest request, ReplyFn reply) {
  // A command that changes a known run passes through the run's queue on its way to the
  // decision, so commands for one run are decided in the order they arrived (a client
  // may send run.pause and run.resume back to back without waiting). A control command
  // is decided in that very task; the others queue their own task behind it. Others go
  // to the pool.
  if (Entry entry = IsMutatingCommand(request.cmd) ? RunNamedBy(request.args) : nullptr) {
    // With one node a control command waits for nothing but its append (no lease, no
    // shared log to consult): when the run's queue is idle it is decided right here on
    // the calling thread (the ZeroMQ socket thread), one hand-off to the pool fewer.
    const bool here = IsControlCommand(request.cmd) && !ownership_->Shared();
    SerialQueue::Task task = [this, request = std::move(request),
                              reply = std::move(reply)](SerialQueue::Done done) mutable {
      Dispatch(std::move(request), std::move(reply), std::move(done));
    };
    if (here) return entry->queue->RunOrPost(std::move(task));
    return entry->queue->Post(std::move(task));
  }
  boost::asio::post(io_, [this, request = std::move(request), reply = std::move(reply)]() mutable {
    Dispatch(std::move(request), std::move(reply), nullptr);
  });
}

Engine::Entry Engine::RunNamedBy(const json::object& args) const {
  const auto it = args.find("run_id");
  if (it == args.end() || !it->value().is_string()) return nullptr;
  return runs_.Find(it->value().get_string());
}

void Engine::Dispatch(CommandRequest req, ReplyFn reply, SerialQueue::Done held) {
  // The run's queue is left on return unless DoControl takes it over below.
  const SerialQueue::DoneOnExit release(held);
  const std::string& cmd = req.cmd;
  if (!IsMutatingCommand(cmd)) {
    CommandReply r = Status::BadRequest("unknown command '" + cmd + "'");
    if (cmd == "run.get") r = DoGet(req.args);
    else if (cmd == "run.list") r = DoList(req.args);
    else if (cmd == "run.events") r = DoEvents(req.args);
    else if (cmd == "run.lineage") r = DoLineage(req.args);
    else if (cmd == "workflows.list") r = DoWorkflows();
    else if (cmd == "system.health") r = DoHealth();
    return reply(std::move(r));
  }
  if (!accepting_) return reply(Status::Unavailable("the daemon is shutting down"));
  if (Status h = store_.Health(); !h.ok()) return reply(Status::Unavailable(h.message()));
  EventMeta meta{NowString(), CommandId(cmd, req.args), req.key};
  if (!req.key.empty() && ownership_->Shared()) {
    // Another node may have run this key's command a moment ago (its events may not
    // have reached this node yet): the shared log says.
    if (auto use = ownership_->FindKey(req.key)) {
      std::chrono::system_clock::time_point at;
      if (ParseTime(use->at, &at) &&
          std::chrono::system_clock::now() - at < options_.idempotency_retention) {
        idempotency_.Observe(req.key, use->command_id, use->run_id, use->version, at);
      }
    }
  }
  if (!req.key.empty()) {
    std::optional<CommandReply> replay;
    std::optional<std::pair<std::string, std::uint64_t>> from_log;
    switch (idempotency_.Begin(req.key, meta.command_id, reply, &replay, &from_log)) {
      case IdempotencyIndex::Outcome::kConflict:
        return reply(Status::Conflict("idempotency key '" + req.key +
                                      "' was used with another command or other arguments"));
      case IdempotencyIndex::Outcome::kWaiting:
        return;
      case IdempotencyIndex::Outcome::kAnswered: {
        if (replay) return reply(*replay);
        auto state = FullState(from_log->first, from_log->second);
        if (!state.ok()) return reply(state.status());
        const StepRecord* last = nullptr;
        if (cmd == "run.next" && state->cursor > 0) {
          for (const StepRecord& s : state->steps) {
            if (s.attempt > 0) last = &s;
          }
        }
        return reply(RenderRun(*state, RunDetail::kFull, *state, last));
      }
      case IdempotencyIndex::Outcome::kFirst: {
        reply = [this, key = req.key, inner = std::move(reply)](CommandReply r) {
          idempotency_.Finish(key, r);
          inner(std::move(r));
        };
        break;
      }
    }
  }
  if (cmd == "run.create") return DoCreate(req, meta, std::move(reply));
  if (cmd == "run.fork") return DoFork(req, meta, std::move(reply));
  if (cmd == "run.next") return DoNext(req, meta, std::move(reply));
  DoControl(std::move(req), std::move(meta), std::move(reply), 0, std::exchange(held, nullptr));
}

CommandReply Engine::DoGet(const json::object& a) {
  FL_RETURN_IF_ERROR(args::OnlyKnown(a, {"run_id"}));
  auto id = args::RequiredString(a, "run_id");
  if (!id.ok()) return id.status();
  if (!runs_.Find(*id)) return Status::NotFound("run " + *id + " does not exist");
  auto state = FullState(*id);
  if (!state.ok()) return state.status();
  // A DOM, not text: the HTTP step-output route reads one output out of it, and parsing
  // the text again could change the last digit of a double.
  return json::object{{"run", RunToJson(*state, RunDetail::kFull)}};
}

CommandReply Engine::DoList(const json::object& a) {
  FL_RETURN_IF_ERROR(args::OnlyKnown(a, {"status", "kind", "limit", "after"}));
  auto status = args::OptionalString(a, "status");
  auto kind = args::OptionalString(a, "kind");
  auto limit = args::OptionalUint(a, "limit", 1000);
  auto after = args::OptionalString(a, "after");
  for (const Status* s : {&status.status(), &kind.status(), &limit.status(), &after.status()}) {
    if (!s->ok()) return *s;
  }
  if (limit->has_value() && **limit == 0) {
    return Status::BadRequest("argument 'limit' must be at least 1");
  }
  std::optional<RunStatus> filter;
  if (status->has_value()) {
    RunStatus st;
    if (!ParseRunStatus(**status, &st)) return Status::BadRequest("unknown status '" + **status + "'");
    filter = st;
  }
  auto page = runs_.List(filter, kind->value_or(""), after->value_or(""), limit->value_or(50));
  if (!page) return Status::BadRequest("argument 'after' names no run: '" + after->value_or("") + "'");
  json::array runs;
  for (const RunState& r : page->runs) runs.push_back(RunToJson(r, RunDetail::kSummary));
  return json::object{{"runs", std::move(runs)},
                      {"next", page->next ? json::value(*page->next) : json::value()}};
}

CommandReply Engine::DoEvents(const json::object& a) {
  FL_RETURN_IF_ERROR(args::OnlyKnown(a, {"run_id", "after", "limit"}));
  auto id = args::RequiredString(a, "run_id");
  if (!id.ok()) return id.status();
  auto after = args::OptionalUint(a, "after", UINT64_MAX);
  auto limit = args::OptionalUint(a, "limit", 10000);
  if (!after.ok()) return after.status();
  if (!limit.ok()) return limit.status();
  const std::size_t n = limit->value_or(1000);
  auto events = store_.ReadStream(*id, after->value_or(0), n);
  if (!events.ok()) return events.status();
  json::array out;
  for (const EventPtr& e : *events) out.push_back(EventToJson(*e));
  json::value next;
  if (events->size() == n && n > 0) next = events->back()->version;
  return json::object{{"events", std::move(out)}, {"next", next}};
}

CommandReply Engine::DoLineage(const json::object& a) {
  FL_RETURN_IF_ERROR(args::OnlyKnown(a, {"run_id"}));
  auto id = args::RequiredString(a, "run_id");
  if (!id.ok()) return id.status();
  Entry entry = runs_.Find(*id);
  if (!entry) return Status::NotFound("run " + *id + " does not exist");
  std::string root = *id;
  for (RunState s = entry->Snapshot(); s.parent;) {
    root = s.parent->run_id;
    Entry up = runs_.Find(root);
    if (!up) break;
    s = up->Snapshot();
  }
  json::array runs;
  std::vector<std::string> todo{root};
  while (!todo.empty()) {
    const std::string run = todo.back();
    todo.pop_back();
    Entry e = runs_.Find(run);
    if (!e) continue;
    const RunState s = e->Snapshot();
    runs.push_back(json::object{
        {"run_id", s.id},
        {"parent_run_id", s.parent ? json::value(s.parent->run_id) : json::value()},
        {"at", s.parent ? json::value(s.parent->at) : json::value()},
        {"status", Name(s.status)},
        {"title", s.title}});
    auto children = runs_.Children(run);
    todo.insert(todo.end(), children.rbegin(), children.rend());
  }
  return json::object{{"root", root}, {"runs", std::move(runs)}};
}

CommandReply Engine::DoWorkflows() {
  json::array list;
  for (const WorkflowDefinition& w : workflows_) {
    json::array steps;
    for (const StepDefinition& s : w.steps) {
      steps.push_back(json::object{{"name", s.name}, {"executor", s.executor}});
    }
    list.push_back(json::object{{"kind", w.kind}, {"description", w.description},
                                {"steps", std::move(steps)}});
  }
  return json::object{{"workflows", std::move(list)}};
}

CommandReply Engine::DoHealth() {
  const Status h = store_.Health();
  const auto uptime = std::chrono::duration_cast<std::chrono::seconds>(
      std::chrono::steady_clock::now() - started_);
  json::object o{{"ok", h.ok() && accepting_.load()},
                 {"version", options_.version},
                 {"store", store_.Backend()},
                 {"uptime_s", uptime.count()},
                 {"runs", runs_.Count()},
                 {"events", store_.LastPosition()}};
  if (!h.ok()) o["error"] = h.message();
  return o;
}

}  // namespace forkline
