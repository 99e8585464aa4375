#pragma once
// The command decider: pure functions (run state, command) -> events | error.
// No I/O, no clock: the time and command identity come in through EventMeta, so the
// same code serves live commands, tests and replay.

#include <boost/json/object.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "daemon/executors/executor.h"
#include "daemon/workflow/definition.h"
#include "eventstore/event.h"
#include "eventstore/status.h"
#include "projections/run_state.h"

namespace forkline {

struct EventMeta {
  std::string at;          // RFC 3339 UTC with milliseconds
  std::string command_id;  // "<cmd>#<fingerprint>", empty for engine-driven events
  std::string key;         // idempotency key, empty when none
};
using Decision = Result<std::vector<NewEvent>>;

std::vector<NewEvent> DecideCreate(const WorkflowDefinition& def, const boost::json::object& input,
                                   const std::string& title, bool autorun, const EventMeta& meta);
// Starts the step at the cursor (run.next). kConflict when paused, terminal, a step is
// in flight, or autorun drives the run (unless `by_autorun`).
Decision DecideNext(const RunState& run, bool by_autorun, const EventMeta& meta);

struct StepEnd {
  std::uint32_t index = 0;
  std::uint32_t attempt = 0;
  StepResult result;
  std::int64_t duration_ms = 0;
};
// Records how an attempt ended. Empty when the attempt no longer counts (it was
// aborted). A retryable failure with attempts left records step.failed only; the
// engine starts the next attempt with DecideNextAttempt.
Decision DecideStepEnded(const RunState& run, const StepEnd& end, const EventMeta& meta);
bool WillRetry(const RunState& run, const StepEnd& end);
Decision DecideNextAttempt(const RunState& run, std::uint32_t index, const EventMeta& meta);
// An attempt that was in flight when the daemon died: step.failed "interrupted".
Decision DecideInterrupted(const RunState& run, const EventMeta& meta);

Decision DecidePause(const RunState& run, bool abort_step, const EventMeta& meta);
Decision DecideResume(const RunState& run, const EventMeta& meta);
Decision DecideAutorun(const RunState& run, bool enabled, const EventMeta& meta);
Decision DecideCancel(const RunState& run, const EventMeta& meta);
Decision DecideRetry(const RunState& run, const EventMeta& meta);

struct ForkPlan {
  std::uint64_t source_version = 0;  // the source's history the fork shares
  std::vector<NewEvent> events;
};
// `source` is the source run's current state. `at` defaults to its cursor; `override`
// is {"output": …} or null.
Result<ForkPlan> DecideFork(const RunState& source, std::optional<std::uint32_t> at,
                            const boost::json::value& override_value, const std::string& title,
                            bool autorun, const EventMeta& meta);

}  // namespace forkline
