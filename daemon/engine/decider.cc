#include "daemon/engine/decider.h"

#include <algorithm>
#include <boost/json/serialize.hpp>

#include "projections/event_types.h"
#include "projections/plan.h"

namespace forkline {
namespace json = boost::json;

namespace {

NewEvent Make(std::string_view type, const json::object& data, const EventMeta& meta) {
  return NewEvent{std::string(type), meta.at, meta.command_id, meta.key, json::serialize(data)};
}

Status NotAllowed(const RunState& run, std::string_view what) {
  return Status::Conflict("cannot " + std::string(what) + " run " + run.id + ": it is " +
                          std::string(Name(run.status)));
}

json::object StepHeader(const StepRecord& s) {
  return {{"index", s.index}, {"name", s.name}, {"attempt", s.attempt}};
}

json::object Reason(std::string_view reason) { return {{"reason", reason}}; }

// step.started for the step at `index`, attempt one more than its last.
NewEvent Started(const RunState& run, std::uint32_t index, const EventMeta& meta) {
  const StepRecord& s = run.steps[index];
  json::object d{{"index", index}, {"name", s.name}, {"attempt", s.attempt + 1},
                 {"executor", s.executor}};
  return Make(events::kStepStarted, d, meta);
}

// The events that end a run, autorun_stopped first so the terminal event is last.
void EndRun(const RunState& run, std::string_view type, std::string_view reason,
            const json::object& data, const EventMeta& meta, std::vector<NewEvent>& out) {
  if (run.autorun) out.push_back(Make(events::kAutorunStopped, Reason(reason), meta));
  out.push_back(Make(type, data, meta));
}

}  // namespace

std::vector<NewEvent> DecideCreate(const WorkflowDefinition& def, const json::object& input,
                                   const std::string& title, bool autorun, const EventMeta& meta) {
  json::object d{{"kind", def.kind}, {"title", title}, {"input", input},
                 {"definition", StepsToJson(def.steps)}};
  std::vector<NewEvent> out{Make(events::kRunCreated, d, meta)};
  if (autorun) out.push_back(Make(events::kAutorunStarted, {}, meta));
  return out;
}

Decision DecideNext(const RunState& run, bool by_autorun, const EventMeta& meta) {
  if (run.status == RunStatus::kPaused || IsTerminal(run.status)) return NotAllowed(run, "step");
  if (run.in_flight) {
    return Status::Conflict("run " + run.id + " has step " + std::to_string(*run.in_flight) +
                            " in flight");
  }
  if (run.autorun && !by_autorun) {
    return Status::Conflict("run " + run.id + " is on autorun; switch it off to step by hand");
  }
  if (run.cursor >= run.total_steps()) return Status::Conflict("run " + run.id + " has no step left");
  return std::vector<NewEvent>{Started(run, run.cursor, meta)};
}

namespace {

// Whether a step whose failure counts are `failures`/`interruptions` (this failure
// included) gets another attempt.
bool AnotherAttempt(const StepRecord& s, bool interrupted, std::uint32_t failures,
                    std::uint32_t interruptions) {
  if (interrupted) return s.repeatable && interruptions <= InterruptionLimit(s);
  return failures < s.max_attempts;
}

}  // namespace

std::uint32_t InterruptionLimit(const StepRecord& step) {
  return std::max(kMaxInterruptions, step.max_attempts);
}

bool WillRetry(const RunState& run, const StepEnd& end) {
  if (end.result.ok || !end.result.error.retryable || end.index >= run.steps.size()) return false;
  const StepRecord& s = run.steps[end.index];
  const bool interrupted = end.result.error.code == events::kInterruptedCode;
  return AnotherAttempt(s, interrupted, s.failures + (interrupted ? 0 : 1),
                        s.interruptions + (interrupted ? 1 : 0));
}

bool RetryDue(const RunState& run) {
  if (run.in_flight || run.status != RunStatus::kRunning || run.cursor >= run.total_steps()) {
    return false;
  }
  const StepRecord& s = run.steps[run.cursor];
  return s.status == StepStatus::kFailed && s.retryable &&
         AnotherAttempt(s, s.error_code == events::kInterruptedCode, s.failures, s.interruptions);
}

Decision DecideStepEnded(const RunState& run, const StepEnd& end, const EventMeta& meta) {
  if (end.index >= run.steps.size()) return Status::Internal("step index out of range");
  const StepRecord& s = run.steps[end.index];
  if (s.status != StepStatus::kRunning || s.attempt != end.attempt) {
    return std::vector<NewEvent>{};  // aborted meanwhile: the attempt no longer counts
  }
  std::vector<NewEvent> out;
  json::object d = StepHeader(s);
  if (end.result.ok) {
    d["output"] = end.result.output;
    d["duration_ms"] = end.duration_ms;
    out.push_back(Make(events::kStepCompleted, d, meta));
    // Completing a foreach step's source may change how many steps follow.
    if (end.index + 1 == TotalAfterCompletion(run, end.index, d["output"])) EndRun(run, events::kRunCompleted, "completed", {}, meta, out);
    return out;
  }
  json::object error{{"code", end.result.error.code}, {"message", end.result.error.message}};
  d["error"] = error;
  d["retryable"] = end.result.error.retryable;
  out.push_back(Make(events::kStepFailed, d, meta));
  if (!WillRetry(run, end)) EndRun(run, events::kRunFailed, "failed", {{"error", error}}, meta, out);
  return out;
}

Decision DecideNextAttempt(const RunState& run, std::uint32_t index, const EventMeta& meta) {
  if (run.status == RunStatus::kPaused || IsTerminal(run.status) || run.in_flight ||
      index != run.cursor || index >= run.total_steps()) {
    return std::vector<NewEvent>{};  // paused or canceled during the backoff
  }
  return std::vector<NewEvent>{Started(run, index, meta)};
}

StepEnd InterruptedEnd(const RunState& run, bool shutdown) {
  StepEnd end;
  if (!run.in_flight) return end;
  end.index = *run.in_flight;
  const StepRecord& s = run.steps[end.index];
  end.attempt = s.attempt;
  const std::string what = shutdown ? "the daemon shut down before the step ended"
                                    : "the daemon stopped while the step ran";
  const std::string code(events::kInterruptedCode);
  if (!s.repeatable) {
    end.result = StepResult::Failure(
        code, what + "; its outcome is unknown and the step is not repeatable: check what it "
                     "did, then run.retry to run it again (or fork past it)");
  } else if (s.interruptions + 1 > InterruptionLimit(s)) {
    end.result = StepResult::Failure(
        code, what + "; it was interrupted " + std::to_string(s.interruptions + 1) +
                  " times, more than the " + std::to_string(InterruptionLimit(s)) +
                  " allowed: run.retry to run it again",
        true);
  } else {
    end.result = StepResult::Failure(code, what + "; it runs again", true);
  }
  return end;
}

Decision DecideInterrupted(const RunState& run, bool shutdown, const EventMeta& meta) {
  if (!run.in_flight) return std::vector<NewEvent>{};
  return DecideStepEnded(run, InterruptedEnd(run, shutdown), meta);
}

Decision DecidePause(const RunState& run, bool abort_step, const EventMeta& meta) {
  if (run.status != RunStatus::kQueued && run.status != RunStatus::kRunning) {
    return NotAllowed(run, "pause");
  }
  std::vector<NewEvent> out{Make(events::kRunPaused, {{"abort_step", abort_step}}, meta)};
  if (abort_step && run.in_flight) {
    json::object d = StepHeader(run.steps[*run.in_flight]);
    d["reason"] = "paused";
    out.push_back(Make(events::kStepAborted, d, meta));
  }
  if (run.autorun) out.push_back(Make(events::kAutorunStopped, Reason("paused"), meta));
  return out;
}

Decision DecideResume(const RunState& run, const EventMeta& meta) {
  if (run.status != RunStatus::kPaused) return NotAllowed(run, "resume");
  std::vector<NewEvent> out{Make(events::kRunResumed, {}, meta)};
  if (run.autorun_on_resume) out.push_back(Make(events::kAutorunStarted, {}, meta));
  return out;
}

Decision DecideAutorun(const RunState& run, bool enabled, const EventMeta& meta) {
  if (!enabled) {
    if (!run.autorun && !run.autorun_on_resume) return std::vector<NewEvent>{};
    return std::vector<NewEvent>{Make(events::kAutorunStopped, Reason("user"), meta)};
  }
  if (run.status != RunStatus::kQueued && run.status != RunStatus::kRunning) {
    return NotAllowed(run, "switch on autorun for");
  }
  if (run.autorun) return std::vector<NewEvent>{};
  return std::vector<NewEvent>{Make(events::kAutorunStarted, {}, meta)};
}

Decision DecideCancel(const RunState& run, const EventMeta& meta) {
  if (run.status == RunStatus::kCompleted || run.status == RunStatus::kCanceled) {
    return NotAllowed(run, "cancel");
  }
  std::vector<NewEvent> out;
  if (run.in_flight) {
    json::object d = StepHeader(run.steps[*run.in_flight]);
    d["reason"] = "canceled";
    out.push_back(Make(events::kStepAborted, d, meta));
  }
  EndRun(run, events::kRunCanceled, "canceled", {}, meta, out);
  return out;
}

Decision DecideRetry(const RunState& run, const EventMeta& meta) {
  if (run.status != RunStatus::kFailed) return NotAllowed(run, "retry");
  return std::vector<NewEvent>{Make(events::kRunRetried, {{"index", run.cursor}}, meta)};
}

Result<ForkPlan> DecideFork(const RunState& source, std::optional<std::uint32_t> at,
                            const json::value& override_value, const std::string& title,
                            bool autorun, const EventMeta& meta) {
  const std::uint32_t from = at.value_or(source.cursor);
  if (from > source.cursor) {
    return Status::Conflict("run " + source.id + " has completed " + std::to_string(source.cursor) +
                            " steps; cannot fork at " + std::to_string(from));
  }
  const bool has_override = !override_value.is_null();
  if (has_override) {
    if (!override_value.is_object() || !override_value.get_object().contains("output")) {
      return Status::BadRequest("override must be an object {\"output\": …}");
    }
    if (from == 0) return Status::BadRequest("override needs at >= 1: it replaces step at-1's output");
  }
  ForkPlan plan;
  plan.source_version = from == 0 ? 1 : source.steps[from - 1].output_version;
  json::object d{{"source_run_id", source.id}, {"source_version", plan.source_version},
                 {"at", from}, {"override", override_value},
                 {"title", title.empty() ? source.title : title}};
  plan.events.push_back(Make(events::kRunForked, d, meta));
  const json::value* override_output =
      has_override ? override_value.get_object().if_contains("output") : nullptr;
  if (from == TotalAfterFork(source, from, override_output)) {
    plan.events.push_back(Make(events::kRunCompleted, {}, meta));
  } else if (autorun) {
    plan.events.push_back(Make(events::kAutorunStarted, {}, meta));
  }
  return plan;
}

}  // namespace forkline
