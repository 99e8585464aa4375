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
// Whether the engine starts another attempt after `end` (a failure of the step in
// flight). A step's own retryable failures: while its failures stay below max_attempts.
// An "interrupted" one (the daemon died mid-step): only a repeatable step, and at most
// InterruptionLimit times; interruptions never use up max_attempts.
bool WillRetry(const RunState& run, const StepEnd& end);
inline constexpr std::uint32_t kMaxInterruptions = 3;
// How many interruptions of the step are followed by another attempt: kMaxInterruptions,
// or max_attempts when the definition allows more attempts than that.
std::uint32_t InterruptionLimit(const StepRecord& step);
// The same decision seen after the failure is recorded: the step at the cursor failed
// and its next attempt is due (the process may have died before starting it).
bool RetryDue(const RunState& run);
Decision DecideNextAttempt(const RunState& run, std::uint32_t index, const EventMeta& meta);
// How the attempt in flight ends when the daemon died (or shut down) during it:
// "interrupted", retryable for a repeatable step; for one that is not, not retryable,
// with a message that its outcome is unknown and a person must check it and run.retry.
StepEnd InterruptedEnd(const RunState& run, bool shutdown);
// step.failed "interrupted" for the attempt in flight (and run.failed unless it is
// retried); empty when none is in flight.
Decision DecideInterrupted(const RunState& run, bool shutdown, const EventMeta& meta);

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
