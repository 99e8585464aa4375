// Stepping: run.next, executing an attempt on the StepPool, retries with backoff, and
// autorun, which keeps taking the next step while the run allows it.
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/serialize.hpp>
#include <cstdio>

#include "daemon/engine/args.h"
#include "daemon/engine/clock.h"
#include "daemon/engine/engine.h"
#include "projections/plan.h"
#include "projections/run_json.h"

namespace forkline {
namespace json = boost::json;

namespace {

// The executor's context (DESIGN §6). `steps.<name>` is the output of an earlier step;
// for a foreach step it is the array of its concrete steps' outputs (`steps.draft[1]`),
// [] when it expanded to none.
// A concrete foreach step also gets `item` (its element), `item_index`, and `each`:
// the outputs, for the same element, of earlier foreach steps over the same array.
json::object StepContext(const RunState& run, std::uint32_t index, const StepDefinition& def) {
  const StepRecord& self = run.steps[index];
  json::object steps;
  json::object each;
  for (const StepRecord& s : run.steps) {
    if (s.index >= index || s.status != StepStatus::kCompleted) continue;
    if (!s.item) {
      steps[s.name] = s.output;
      continue;
    }
    const json::value& d = run.definition[s.def_index];
    const std::string name(d.at("name").as_string());
    json::value& all = steps[name];
    if (!all.is_array()) all = json::array();
    all.get_array().push_back(s.output);
    if (self.item && s.item == self.item && d.at("foreach") == json::value(def.foreach)) {
      each[name] = s.output;
    }
  }
  for (std::uint32_t d = 0; d < self.def_index && d < run.foreach_counts.size(); ++d) {
    const json::string& name = run.definition[d].at("name").as_string();
    if (run.foreach_counts[d] == 0) steps[name] = json::array();
  }
  json::object context{{"run_id", run.id},
                       {"kind", run.kind},
                       {"title", run.title},
                       {"input", run.input.get()},
                       {"step", json::object{{"index", index}, {"name", self.name}, {"params", def.params}}},
                       {"steps", std::move(steps)}};
  if (self.item) {
    auto path = ParseForeach(def.foreach);
    const json::value* source = path ? context.at("steps").as_object().if_contains(path->step) : nullptr;
    auto array = source ? ForeachArray(*source, *path) : Result<const json::array*>(Status::NotFound(""));
    context["item"] = array.ok() && *self.item < (*array)->size() ? (**array)[*self.item] : json::value();
    context["item_index"] = *self.item;
    context["each"] = std::move(each);
  }
  return context;
}

bool RetryPending(const std::shared_ptr<RunEntry>& entry) {
  std::lock_guard lock(entry->mu);
  return entry->retry_pending;
}

}  // namespace

void Engine::DoNext(const CommandRequest& req, const EventMeta& meta, ReplyFn reply, int attempt) {
  const json::object& a = req.args;
  if (Status s = args::OnlyKnown(a, {"run_id", "expect_version"}); !s.ok()) return reply(s);
  auto id = args::RequiredString(a, "run_id");
  if (!id.ok()) return reply(id.status());
  auto expect = args::OptionalUint(a, "expect_version", UINT64_MAX);
  if (!expect.ok()) return reply(expect.status());
  Entry entry = runs_.Find(*id);
  if (!entry) {
    if (AwaitRun(*id, attempt, [=, this] { DoNext(req, meta, reply, attempt + 1); })) return;
    return reply(Status::NotFound("run " + *id + " does not exist"));
  }
  entry->queue->Post([this, req, entry, meta, reply, attempt, expect = *expect](SerialQueue::Done done) {
    const RunState state = entry->Snapshot();
    if (expect && *expect != state.version) {
      const Status s = Status::Conflict("run " + state.id + " is at version " +
                                        std::to_string(state.version) + ", expected " +
                                        std::to_string(*expect));
      // This node's view may lag the shared log (another node appended a moment ago).
      if (Behind(entry, state.version) &&
          RetryLater(s, attempt, [this, req, meta, reply, attempt] { DoNext(req, meta, reply, attempt + 1); })) {
        return done();
      }
      reply(s);
      return done();
    }
    auto decision = DecideNext(state, false, meta);
    if (decision.ok() && RetryPending(entry)) {
      decision = Status::Conflict("run " + state.id + " is about to retry step " +
                                  std::to_string(state.cursor));
    }
    if (!decision.ok()) {
      // Refused on a view another node's events have not reached yet (a step that ended
      // there a moment ago): decide again once they are here.
      if (decision.status().code() == Code::kConflict && Behind(entry, state.version) &&
          RetryLater(decision.status(), attempt,
                     [this, req, meta, reply, attempt] { DoNext(req, meta, reply, attempt + 1); })) {
        return done();
      }
      reply(decision.status());
      return done();
    }
    // Any node may step a run: the lease is claimed from a node that holds it idle (the
    // log must still end at state.version). A retry that is due is its driver's to run.
    const auto token = RetryDue(state) ? ownership_->Acquire(entry->id)
                                       : ownership_->Claim(entry->id, state.version);
    if (!token.ok()) {
      // Unavailable (the shared store cannot be reached) is the client's to retry.
      const Status& s = token.status();
      if (s.code() == Code::kConflict && !expect && !RetryDue(state) &&
          RetryLater(s, attempt, [this, req, meta, reply, attempt] { DoNext(req, meta, reply, attempt + 1); })) {
        return done();
      }
      reply(s);
      return done();
    }
    const std::uint32_t index = state.cursor;
    const std::uint32_t step_attempt = state.steps[index].attempt + 1;
    {
      std::lock_guard lock(entry->mu);
      entry->next_waiter = RunEntry::NextWaiter{reply, meta};
    }
    AppendAsDriver(entry, std::move(decision).value(),
                   [this, req, entry, index, step_attempt, meta, reply, attempt, expect, done](Status s) {
      if (s.ok()) {
        StartStep(entry, index, step_attempt);
        return done();
      }
      {
        std::lock_guard lock(entry->mu);
        entry->next_waiter.reset();
      }
      // Another node appended first: decide again on its events (not with expect_version).
      if (!expect && RetryLater(s, attempt, [this, req, meta, reply, attempt] {
            DoNext(req, meta, reply, attempt + 1);
          })) {
        return done();
      }
      reply(s);
      done();
    });
  });
}

void Engine::StartStep(const Entry& entry, std::uint32_t index, std::uint32_t attempt) {
  auto abort = std::make_shared<std::atomic<bool>>(false);
  {
    std::lock_guard lock(entry->mu);
    entry->abort = abort;
    entry->executing = true;
  }
  ++steps_in_flight_;
  steps_->Submit([this, entry, index, attempt, abort] { RunStepJob(entry, index, attempt, abort); });
}

void Engine::RunStepJob(const Entry& entry, std::uint32_t index, std::uint32_t attempt,
                        std::shared_ptr<std::atomic<bool>> abort) {
  const auto started = std::chrono::steady_clock::now();
  StepEnd end{index, attempt, {}, 0};
  auto state = FullState(entry->id);
  auto def = state.ok() && index < state->steps.size() &&
                     state->steps[index].def_index < state->definition.size()
                 ? StepFromJson(state->definition[state->steps[index].def_index])
                 : Result<StepDefinition>(Status::Internal("the run's step definition is unreadable"));
  if (!state.ok()) {
    end.result = StepResult::Failure("internal", state.status().ToString(), true);
  } else if (!def.ok()) {
    end.result = StepResult::Failure("internal", def.status().ToString());
  } else if (std::string problem = ForeachProblem(*state, index); !problem.empty()) {
    end.result = StepResult::Failure("bad_foreach", problem);
  } else if (auto it = executors_.find(def->executor); it == executors_.end()) {
    end.result = StepResult::Failure("no_executor", "no executor named '" + def->executor + "'");
  } else {
    const json::object context = StepContext(*state, index, *def);
    const auto timeout = def->timeout_s > 0 ? std::chrono::seconds(def->timeout_s) : options_.step_timeout;
    StepTask task{context, *def, *abort,
                  [this, entry, index](StepProgress p) { PublishProgress(entry, index, p); },
                  std::chrono::duration_cast<std::chrono::milliseconds>(timeout),
                  options_.max_output_bytes};
    // A watchdog for every executor: past the timeout the step is told to stop.
    auto timed_out = std::make_shared<std::atomic<bool>>(false);
    auto watchdog = std::make_shared<boost::asio::steady_timer>(io_, timeout);
    watchdog->async_wait([abort, timed_out](boost::system::error_code ec) {
      if (ec) return;
      timed_out->store(true);
      abort->store(true);
    });
    try {
      end.result = it->second->Run(task);
    } catch (const std::exception& e) {
      end.result = StepResult::Failure("internal", std::string("executor threw: ") + e.what());
    }
    watchdog->cancel();
    if (timed_out->load() && !end.result.ok) {
      end.result = StepResult::Failure(
          "timeout", "the step ran longer than " + std::to_string(timeout.count()) + " s", true);
    }
    if (end.result.ok) {
      const std::size_t size = json::serialize(end.result.output).size();
      if (size > options_.max_output_bytes) {
        end.result = StepResult::Failure(
            "output_too_large", "step output is " + std::to_string(size) + " bytes; the limit is " +
                                    std::to_string(options_.max_output_bytes));
      }
    }
  }
  end.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - started)
                        .count();
  --steps_in_flight_;
  if (options_.on_step_ended) {
    const std::string_view outcome = end.result.ok ? "completed"
                                      : end.result.error.code == "aborted" ? "aborted"
                                                                           : "failed";
    options_.on_step_ended(outcome, static_cast<double>(end.duration_ms) / 1000.0);
  }
  entry->queue->Post([this, entry, end = std::move(end)](SerialQueue::Done done) {
    OnStepEnded(entry, end, std::move(done));
  });
}

// Runs inside the run's SerialQueue and holds it (calls `done`) until its events are
// durable, so the run's next command is decided on the state they make; follow-ups
// (the next attempt after its backoff, autorun) are queued as new tasks.
void Engine::OnStepEnded(const Entry& entry, StepEnd end, SerialQueue::Done done, int attempt) {
  if (!ownership_->Held(entry->id)) {
    // This node lost the run's lease: the node that took the run over records this
    // attempt interrupted and runs it again. Nothing is appended here.
    std::optional<RunEntry::NextWaiter> waiter;
    {
      std::lock_guard lock(entry->mu);
      waiter.swap(entry->next_waiter);
      entry->executing = false;
    }
    std::fprintf(stderr, "forklined: warn: run %s: step %u attempt %u ended after this node "
                 "stopped driving the run; its end is not recorded here\n",
                 entry->id.c_str(), end.index, end.attempt);
    if (waiter) {
      waiter->reply(Status::Unavailable("this node lost run " + entry->id +
                                        " to another node while its step ran"));
    }
    return done();
  }
  const RunState state = entry->Snapshot();
  EventMeta meta{NowString(), "", ""};
  {
    std::lock_guard lock(entry->mu);
    if (entry->next_waiter) {
      meta.command_id = entry->next_waiter->meta.command_id;
      meta.key = entry->next_waiter->meta.key;
    }
  }
  auto decision = DecideStepEnded(state, end, meta);
  if (!decision.ok() || decision->empty()) {
    StepHandled(entry);
    return done();
  }
  const bool retry = WillRetry(state, end);
  AppendAsDriver(entry, std::move(decision).value(), [this, entry, end, retry, attempt, done](Status s) {
    if (!s.ok()) {
      std::fprintf(stderr, "forklined: warn: run %s: recording the end of step %u attempt %u: %s\n",
                   entry->id.c_str(), end.index, end.attempt, s.ToString().c_str());
      // Another node appended to the run first (a pause, a cancel): decide again on it.
      // The store could not be reached: try again while this node drives the run. Else
      // the end is given up: the scan records the attempt interrupted.
      auto again = [this, entry, end, attempt] {
        entry->queue->Post([this, entry, end, attempt](SerialQueue::Done next) {
          OnStepEnded(entry, end, std::move(next), attempt + 1);
        });
      };
      if (!RetryLater(s, attempt, again) && !RetryWhileDriving(entry, s, attempt, again)) {
        StepHandled(entry);
      }
      return done();
    }
    StepHandled(entry);
    if (!retry) {
      AnswerNextWaiter(entry, end.index);
      MaybeAdvance(entry);
      return done();
    }
    {
      // Until the next attempt starts, the step counts as in flight for run.next and
      // autorun: one run.next covers every attempt of its step.
      std::lock_guard lock(entry->mu);
      entry->retry_pending = true;
    }
    done();
    auto timer = std::make_shared<boost::asio::steady_timer>(
        io_, options_.retry_backoff * (1u << std::min<std::uint32_t>(end.attempt - 1, 10)));
    {
      // Shutdown sets accepting_ before it cancels the timers under this lock, so a
      // timer is either cancelled by it or never started.
      std::lock_guard lock(timers_mu_);
      if (!accepting_) return;
      backoff_timers_.insert(timer);
    }
    timer->async_wait([this, entry, end, timer](boost::system::error_code ec) {
      {
        std::lock_guard lock(timers_mu_);
        backoff_timers_.erase(timer);
      }
      // Shutting down: the failed attempt is recorded retryable; after a restart autorun
      // or the next run.next runs the step again.
      if (ec || !accepting_) return;
      entry->queue->Post([this, entry, end](SerialQueue::Done attempt_done) {
        {
          std::lock_guard lock(entry->mu);
          entry->retry_pending = false;
        }
        if (!ownership_->Held(entry->id)) return attempt_done();  // the new driver retries
        auto next = DecideNextAttempt(entry->Snapshot(), end.index, {NowString(), "", ""});
        if (!next.ok() || next->empty()) {
          AnswerNextWaiter(entry, end.index);
          return attempt_done();
        }
        AppendAsDriver(entry, std::move(next).value(), [this, entry, end, attempt_done](Status s2) {
          if (s2.ok()) StartStep(entry, end.index, end.attempt + 1);
          attempt_done();
        });
      });
    });
  });
}

void Engine::AnswerNextWaiter(const Entry& entry, std::uint32_t index) {
  std::optional<RunEntry::NextWaiter> waiter;
  {
    std::lock_guard lock(entry->mu);
    waiter.swap(entry->next_waiter);
  }
  if (!waiter) return;
  auto full = FullState(entry->id);
  if (!full.ok()) return waiter->reply(full.status());
  waiter->reply(RenderRun(*full, RunDetail::kFull, *full,
                          index < full->steps.size() ? &full->steps[index] : nullptr));
}

void Engine::MaybeAdvance(const Entry& entry, int attempt, bool claim) {
  if (!accepting_) return;
  {
    std::lock_guard lock(entry->mu);  // a look at a few fields: no copy of the state
    const RunState& state = entry->state;
    const bool movable = state.status == RunStatus::kQueued || state.status == RunStatus::kRunning;
    // A lease no longer needed is kept for now (the next run.next needs it again at
    // once); the periodic Scan gives it up once it has been idle for a whole scan interval.
    if (!state.autorun || !movable || state.in_flight || state.cursor >= state.total_steps()) return;
  }
  entry->queue->Post([this, entry, attempt, claim](SerialQueue::Done done) {
    const RunState now = entry->Snapshot();
    auto decision = DecideNext(now, /*by_autorun=*/true, {NowString(), "", ""});
    if (!decision.ok() || RetryPending(entry)) return done();  // the retry's timer goes on
    // After a command on this node (autorun on, resume) the lease may be claimed from a
    // node that holds it idle, as run.next does.
    const bool take = claim && !RetryDue(now);
    if (!(take ? ownership_->Claim(entry->id, now.version) : ownership_->Acquire(entry->id)).ok()) {
      return done();  // another node drives it, or the scan takes it up once the store is back
    }
    const std::uint32_t index = now.cursor;
    const std::uint32_t step_attempt = now.steps[index].attempt + 1;
    AppendAsDriver(entry, std::move(decision).value(),
                   [this, entry, index, step_attempt, attempt, claim, done](Status s) {
      if (s.ok()) {
        StartStep(entry, index, step_attempt);
      } else {
        std::fprintf(stderr, "forklined: warn: run %s: autorun starting step %u: %s\n",
                     entry->id.c_str(), index, s.ToString().c_str());
        RetryLater(s, attempt, [this, entry, attempt, claim] { MaybeAdvance(entry, attempt + 1, claim); });
      }
      done();
    });
  });
}

}  // namespace forkline
