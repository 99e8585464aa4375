#include "projections/fold.h"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <cstddef>

#include "projections/plan.h"
#include "projections/run_json.h"
#include "projections/step_scan.h"

namespace forkline {
namespace {

namespace json = boost::json;

std::string_view Str(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_string() ? std::string_view(v->get_string()) : std::string_view();
}

std::uint64_t U64(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (!v) return 0;
  if (v->is_uint64()) return v->get_uint64();
  if (v->is_int64() && v->get_int64() >= 0) return static_cast<std::uint64_t>(v->get_int64());
  return 0;
}

void ApplyCreated(RunState& s, const Event& e, json::object& d, Payloads payloads) {
  s.id = e.run_id;
  s.kind = Str(d, "kind");
  s.title = Str(d, "title");
  s.created_at = e.at;
  if (payloads == Payloads::kKeep) {
    if (auto* in = d.if_contains("input"); in && in->is_object()) s.input = std::move(in->get_object());
  }
  if (auto* def = d.if_contains("definition"); def && def->is_array()) {
    s.definition = std::move(def->get_array());
  }
  PlanCreated(s);
}

void ApplyForked(RunState& s, const Event& e, json::object& d, Payloads payloads) {
  s.id = e.run_id;
  const auto at = static_cast<std::uint32_t>(U64(d, "at"));
  s.parent = ParentLink{std::string(Str(d, "source_run_id")), at, U64(d, "source_version")};
  if (auto* t = d.if_contains("title"); t && t->is_string()) s.title = std::string(t->get_string());
  s.created_at = e.at;
  s.status = RunStatus::kQueued;
  s.autorun = false;
  s.autorun_on_resume = false;
  s.in_flight.reset();
  s.cursor = at;
  s.last_error_code.clear();
  s.last_error_message.clear();
  const json::value* over = d.if_contains("override");
  const json::value* over_output =
      over && over->is_object() ? over->get_object().if_contains("output") : nullptr;
  PlanForked(s, at, over_output);
  if (at > 0 && at <= s.steps.size() && over && over->is_object()) {
    StepRecord& prev = s.steps[at - 1];
    prev.output_version = e.version;
    if (payloads == Payloads::kKeep) {
      const json::value* out = over->get_object().if_contains("output");
      prev.output = out ? *out : json::value();
    }
  }
}

Status NoSuchStep(const RunState& s, const Event& e, std::uint64_t index) {
  return Status::Internal("event " + e.run_id + "/" + std::to_string(e.version) +
                          " names step " + std::to_string(index) + " of " +
                          std::to_string(s.steps.size()));
}

// The fields of a step.started / step.failed payload, from its DOM.
StepPayload FromDom(const json::object& d) {
  StepPayload p;
  p.index = U64(d, "index");
  p.attempt = U64(d, "attempt");
  p.executor = Str(d, "executor");
  const json::value* retryable = d.if_contains("retryable");
  p.retryable = retryable && retryable->is_bool() && retryable->get_bool();
  if (auto* err = d.if_contains("error"); err && err->is_object()) {
    p.error_code = Str(err->get_object(), "code");
    p.error_message = Str(err->get_object(), "message");
  }
  return p;
}

// step.started and step.failed: scalars and strings only.
Status ApplyStartedOrFailed(RunState& s, const Event& e, const StepPayload& p) {
  if (p.index >= s.steps.size()) return NoSuchStep(s, e, p.index);
  StepRecord& step = s.steps[p.index];
  step.attempt = static_cast<std::uint32_t>(p.attempt);
  if (e.type == events::kStepStarted) {
    step.status = StepStatus::kRunning;
    step.started_at = e.at;
    step.ended_at.clear();
    step.duration_ms = -1;
    step.error_code.clear();
    step.error_message.clear();
    step.retryable = false;
    if (!p.executor.empty()) step.executor = p.executor;
    s.in_flight = static_cast<std::uint32_t>(p.index);
    if (s.status == RunStatus::kQueued) s.status = RunStatus::kRunning;
    return Status::Ok();
  }
  step.ended_at = e.at;
  if (s.in_flight == p.index) s.in_flight.reset();
  step.status = StepStatus::kFailed;
  step.retryable = p.retryable;
  step.error_code = p.error_code;
  step.error_message = p.error_message;
  if (step.error_code == events::kInterruptedCode) {
    ++step.interruptions;
  } else {
    ++step.failures;
  }
  return Status::Ok();
}

// step.completed and step.aborted.
Status ApplyStepEnd(RunState& s, const Event& e, json::object& d, Payloads payloads) {
  const std::uint64_t index = U64(d, "index");
  if (index >= s.steps.size()) return NoSuchStep(s, e, index);
  StepRecord& step = s.steps[index];
  step.attempt = static_cast<std::uint32_t>(U64(d, "attempt"));
  step.ended_at = e.at;
  if (s.in_flight == index) s.in_flight.reset();
  if (e.type == events::kStepCompleted) {
    step.status = StepStatus::kCompleted;
    step.duration_ms = static_cast<std::int64_t>(U64(d, "duration_ms"));
    step.output_version = e.version;
    s.cursor = static_cast<std::uint32_t>(index + 1);
    json::value* out = d.if_contains("output");
    // May re-plan the steps after this one: `step` is not valid past this point.
    if (out) PlanCompleted(s, static_cast<std::uint32_t>(index), *out);
    if (payloads == Payloads::kKeep && out) s.steps[index].output = std::move(*out);
  } else {
    step.status = StepStatus::kAborted;
  }
  return Status::Ok();
}

void ApplyRunEvent(RunState& s, const Event& e, const json::object& d) {
  const std::string_view t = e.type;
  if (t == events::kRunPaused) {
    s.status = RunStatus::kPaused;
  } else if (t == events::kRunResumed || t == events::kRunRetried) {
    s.status = RunStatus::kRunning;
    s.last_error_code.clear();
    s.last_error_message.clear();
  } else if (t == events::kAutorunStarted) {
    s.autorun = true;
    s.autorun_on_resume = false;
  } else if (t == events::kAutorunStopped) {
    s.autorun = false;
    s.autorun_on_resume = Str(d, "reason") == "paused";
  } else if (t == events::kRunCompleted) {
    s.status = RunStatus::kCompleted;
  } else if (t == events::kRunCanceled) {
    s.status = RunStatus::kCanceled;
  } else if (t == events::kRunFailed) {
    s.status = RunStatus::kFailed;
    if (auto* err = d.if_contains("error"); err && err->is_object()) {
      s.last_error_code = Str(err->get_object(), "code");
      s.last_error_message = Str(err->get_object(), "message");
    }
  }
}

Status Advance(RunState& state, const Event& e) {
  state.version = e.version;
  state.updated_at = e.at;
  state.head_hash = e.hash;
  return Status::Ok();
}

}  // namespace

Status Apply(RunState& state, const Event& e, Payloads payloads) {
  if (e.version != state.version + 1) {
    return Status::Internal("event " + e.run_id + "/" + std::to_string(e.version) +
                            " follows version " + std::to_string(state.version));
  }
  // The payloads of the most frequent events, step.started and step.failed, are read for a
  // few scalars and strings (copied out) and dropped: scanned without a DOM when the
  // scanner can (step_scan.h), else parsed into a buffer on the stack: no heap
  // allocation either way. REQUIRES: nothing of a payload parsed there outlives this
  // call — a json::value copied from it would keep pointing into the buffer.
  const bool scalars_only = e.type == events::kStepStarted || e.type == events::kStepFailed;
  const std::string_view text = e.data.empty() ? std::string_view("{}") : std::string_view(e.data);
  if (StepPayload scanned; scalars_only && ScanStepPayload(text, &scanned)) {
    FL_RETURN_IF_ERROR(ApplyStartedOrFailed(state, e, scanned));
    return Advance(state, e);
  }
  alignas(std::max_align_t) unsigned char scratch[4096];
  json::monotonic_resource scratch_resource(scratch, sizeof scratch);
  const json::storage_ptr storage =
      scalars_only ? json::storage_ptr(&scratch_resource) : json::storage_ptr();
  boost::system::error_code ec;
  json::value parsed = json::parse(text, ec, storage, StoredJsonOptions());
  if (ec || !parsed.is_object()) {
    return Status::Internal("event " + e.run_id + "/" + std::to_string(e.version) +
                            " has a payload that is not a JSON object");
  }
  json::object& d = parsed.get_object();
  if (e.type == events::kRunCreated) {
    ApplyCreated(state, e, d, payloads);
  } else if (e.type == events::kRunForked) {
    ApplyForked(state, e, d, payloads);
  } else if (scalars_only) {
    FL_RETURN_IF_ERROR(ApplyStartedOrFailed(state, e, FromDom(d)));
  } else if (e.type.starts_with("step.")) {
    FL_RETURN_IF_ERROR(ApplyStepEnd(state, e, d, payloads));
  } else {
    ApplyRunEvent(state, e, d);
  }
  return Advance(state, e);
}

Result<RunState> Fold(const EventList& history, Payloads payloads) {
  RunState state;
  for (const EventPtr& e : history) FL_RETURN_IF_ERROR(Apply(state, *e, payloads));
  return state;
}

}  // namespace forkline
