// Commands that append: create, fork, and the run controls (pause, resume, autorun,
// cancel, retry).
#include <boost/asio/post.hpp>
#include <mutex>
#include <random>
#include <utility>

#include "daemon/engine/args.h"
#include "daemon/engine/engine.h"
#include "projections/run_json.h"

namespace forkline {
namespace json = boost::json;

namespace {

// "r_" + creation time in ms (hex) + 32 random bits: unique and roughly time-ordered.
std::string NewRunId() {
  static std::mutex mu;
  static std::mt19937_64 rng{std::random_device{}()};
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  std::uint32_t rnd = 0;
  {
    std::lock_guard lock(mu);
    rnd = static_cast<std::uint32_t>(rng());
  }
  char buf[40];
  std::snprintf(buf, sizeof buf, "r_%011llx%08x", static_cast<unsigned long long>(ms), rnd);
  return buf;
}

// Checks `expect_version` against the run's version.
Status CheckExpected(const json::object& a, const RunState& state) {
  auto expect = args::OptionalUint(a, "expect_version", UINT64_MAX);
  if (!expect.ok()) return expect.status();
  if (expect->has_value() && **expect != state.version) {
    return Status::Conflict("run " + state.id + " is at version " + std::to_string(state.version) +
                            ", expected " + std::to_string(**expect));
  }
  return Status::Ok();
}

}  // namespace

void Engine::DoCreate(const CommandRequest& req, const EventMeta& meta, ReplyFn reply) {
  const json::object& a = req.args;
  if (Status s = args::OnlyKnown(a, {"kind", "input", "title", "autorun"}); !s.ok()) return reply(s);
  auto kind = args::RequiredString(a, "kind");
  auto title = args::OptionalString(a, "title");
  auto autorun = args::OptionalBool(a, "autorun");
  if (!kind.ok()) return reply(kind.status());
  if (!title.ok()) return reply(title.status());
  if (!autorun.ok()) return reply(autorun.status());
  const json::value* input = a.if_contains("input");
  if (!input || !input->is_object()) return reply(Status::BadRequest("argument 'input' must be an object"));
  const WorkflowDefinition* def = nullptr;
  for (const WorkflowDefinition& w : workflows_) {
    if (w.kind == *kind) def = &w;
  }
  if (!def) return reply(Status::NotFound("unknown workflow kind '" + *kind + "'"));
  std::string run_title = title->value_or("");
  if (run_title.empty()) {
    const json::value* t = input->get_object().if_contains("title");
    run_title = t && t->is_string() ? std::string(t->get_string()) : def->kind;
  }
  auto events = DecideCreate(*def, input->get_object(), run_title, autorun->value_or(false), meta);
  Entry entry = NewEntry(NewRunId());
  runs_.Insert(entry);
  entry->queue->Post([this, entry, events = std::move(events), reply](SerialQueue::Done done) mutable {
    AppendToRun(entry, std::move(events), [this, entry, reply, done](Status s) {
      if (!s.ok()) {
        runs_.Erase(entry->id);
        reply(s);
      } else {
        reply(RunReply(entry));
        MaybeAdvance(entry);
      }
      done();
    });
  });
}

void Engine::DoFork(const CommandRequest& req, const EventMeta& meta, ReplyFn reply, int attempt) {
  const json::object& a = req.args;
  if (Status s = args::OnlyKnown(a, {"run_id", "at", "title", "override", "autorun", "expect_version"});
      !s.ok()) {
    return reply(s);
  }
  auto source_id = args::RequiredString(a, "run_id");
  if (!source_id.ok()) return reply(source_id.status());
  auto at = args::OptionalUint(a, "at", UINT32_MAX);
  auto title = args::OptionalString(a, "title");
  auto autorun = args::OptionalBool(a, "autorun");
  for (const Status* s : {&at.status(), &title.status(), &autorun.status()}) {
    if (!s->ok()) return reply(*s);
  }
  Entry source = runs_.Find(*source_id);
  if (!source) {
    if (AwaitRun(*source_id, attempt, [=, this] { DoFork(req, meta, reply, attempt + 1); })) return;
    return reply(Status::NotFound("run " + *source_id + " does not exist"));
  }
  const RunState source_state = source->Snapshot();
  if (Status s = CheckExpected(a, source_state); !s.ok()) return reply(s);
  const json::value* over = a.if_contains("override");
  std::optional<std::uint32_t> at_step;
  if (at->has_value()) at_step = static_cast<std::uint32_t>(**at);
  auto plan = DecideFork(source_state, at_step, over ? *over : json::value(), title->value_or(""),
                         autorun->value_or(false), meta);
  if (!plan.ok()) return reply(plan.status());
  Entry entry = NewEntry(NewRunId());
  {
    std::lock_guard lock(entry->mu);
    entry->state = source_state;  // completed steps never change, so this is the prefix
    entry->state.version = plan->source_version;
  }
  runs_.Insert(entry);
  AppendRequest request;
  request.run_id = entry->id;
  request.expected_version = plan->source_version;
  request.fork_from = ForkLink{source_state.id, plan->source_version};
  request.events = std::move(plan->events);
  store_.AppendAsync(std::move(request), [this, entry, reply](Result<AppendResult> r) {
    boost::asio::post(io_, [this, entry, reply, s = r.ok() ? Status::Ok() : r.status()] {
      if (!s.ok()) {
        runs_.Erase(entry->id);
        return reply(s);
      }
      reply(RunReply(entry));
      MaybeAdvance(entry);
    });
  });
}

void Engine::DoControl(CommandRequest req, EventMeta meta, ReplyFn reply, int attempt,
                       SerialQueue::Done held) {
  const SerialQueue::DoneOnExit release(held);  // unless the decision takes it over
  const json::object& a = req.args;
  const std::string& cmd = req.cmd;
  Status known = cmd == "run.pause"     ? args::OnlyKnown(a, {"run_id", "abort_step", "expect_version"})
                 : cmd == "run.autorun" ? args::OnlyKnown(a, {"run_id", "enabled", "expect_version"})
                                        : args::OnlyKnown(a, {"run_id", "expect_version"});
  if (!known.ok()) return reply(known);
  auto id = args::RequiredString(a, "run_id");
  if (!id.ok()) return reply(id.status());
  auto abort_step = args::OptionalBool(a, "abort_step");
  auto enabled = args::OptionalBool(a, "enabled");
  if (!abort_step.ok()) return reply(abort_step.status());
  if (!enabled.ok()) return reply(enabled.status());
  if (cmd == "run.autorun" && !enabled->has_value()) {
    return reply(Status::BadRequest("missing argument 'enabled'"));
  }
  Entry entry = runs_.Find(*id);
  if (!entry) {
    if (AwaitRun(*id, attempt, [=, this] { DoControl(req, meta, reply, attempt + 1); })) return;
    return reply(Status::NotFound("run " + *id + " does not exist"));
  }
  // The command, shared by the decision, its continuation and a re-decision: one copy.
  struct Pending {
    CommandRequest req;
    EventMeta meta;
    ReplyFn reply;
    bool abort_step;
    bool enabled;
  };
  auto c = std::make_shared<const Pending>(Pending{std::move(req), std::move(meta), std::move(reply),
                                                   abort_step->value_or(false),
                                                   enabled->value_or(false)});
  auto again = [this, c, attempt] { DoControl(c->req, c->meta, c->reply, attempt + 1); };
  auto decide = [this, entry, c, again, attempt](SerialQueue::Done done) {
    const std::string& command = c->req.cmd;
    Status unexpected;  // expect_version is not the run's version
    std::uint64_t version = 0;
    std::optional<std::uint32_t> in_flight;
    Decision decision = [&]() -> Decision {
      // Decided on the state in place, not on a copy: inside the run's queue no append
      // of this node changes it meanwhile.
      std::lock_guard lock(entry->mu);
      const RunState& state = entry->state;
      version = state.version;
      in_flight = state.in_flight;
      unexpected = CheckExpected(c->req.args, state);
      if (!unexpected.ok()) return unexpected;
      return command == "run.pause"     ? DecidePause(state, c->abort_step, c->meta)
             : command == "run.resume"  ? DecideResume(state, c->meta)
             : command == "run.autorun" ? DecideAutorun(state, c->enabled, c->meta)
             : command == "run.cancel"  ? DecideCancel(state, c->meta)
                                        : DecideRetry(state, c->meta);
    }();
    if (!unexpected.ok()) {
      // This node's view may lag the shared log (another node appended a moment ago).
      if (Behind(entry, version) && RetryLater(unexpected, attempt, again)) return done();
      c->reply(unexpected);
      return done();
    }
    if (!decision.ok()) {
      c->reply(decision.status());
      return done();
    }
    // Nothing to append, so no store checks expect_version: with several nodes the
    // shared log must still end where this node's view does.
    if (decision->empty() && c->req.args.contains("expect_version") && Behind(entry, version)) {
      c->reply(Status::Conflict("run " + entry->id + " has moved past version " +
                                std::to_string(version) + " (expected)"));
      return done();
    }
    bool aborts = false;
    for (const NewEvent& e : *decision) aborts |= e.type == events::kStepAborted;
    AppendToRun(entry, std::move(decision).value(),
                [this, entry, c, again, attempt, aborts, in_flight, done = std::move(done)](Status s) {
      // Another node appended first: decide again on its events (not with expect_version).
      if (!s.ok() && !c->req.args.contains("expect_version") && RetryLater(s, attempt, again)) {
        return done();
      }
      if (!s.ok()) {
        c->reply(s);
        return done();
      }
      if (aborts && in_flight) {
        {
          std::lock_guard lock(entry->mu);
          if (entry->abort) entry->abort->store(true);
        }
        AnswerNextWaiter(entry, *in_flight);
      }
      c->reply(RunReply(entry));
      MaybeAdvance(entry, 0, /*claim=*/true);
      done();
    });
  };
  if (held) return decide(std::exchange(held, nullptr));
  entry->queue->Post(std::move(decide));
}

}  // namespace forkline
