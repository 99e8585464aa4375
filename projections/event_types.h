#pragma once
// The workflow event schema (DESIGN §3): type names, run and step statuses.

#include <string_view>

namespace forkline::events {

inline constexpr std::string_view kRunCreated = "run.created";
inline constexpr std::string_view kRunForked = "run.forked";
inline constexpr std::string_view kStepStarted = "step.started";
inline constexpr std::string_view kStepCompleted = "step.completed";
inline constexpr std::string_view kStepFailed = "step.failed";
inline constexpr std::string_view kStepAborted = "step.aborted";
inline constexpr std::string_view kStepProgress = "step.progress";  // transient, never stored
inline constexpr std::string_view kRunPaused = "run.paused";
inline constexpr std::string_view kRunResumed = "run.resumed";
inline constexpr std::string_view kAutorunStarted = "run.autorun_started";
inline constexpr std::string_view kAutorunStopped = "run.autorun_stopped";
inline constexpr std::string_view kRunRetried = "run.retried";
inline constexpr std::string_view kRunCompleted = "run.completed";
inline constexpr std::string_view kRunFailed = "run.failed";
inline constexpr std::string_view kRunCanceled = "run.canceled";

// The step.failed error code of an attempt that was in flight when the daemon stopped
// without recording its end: its outcome is unknown.
inline constexpr std::string_view kInterruptedCode = "interrupted";

// run.completed, run.failed, run.canceled: the events after which a run stops moving
// (until a retry, for failed).
bool IsTerminalType(std::string_view type);

}  // namespace forkline::events

namespace forkline {

enum class RunStatus { kQueued, kRunning, kPaused, kCompleted, kFailed, kCanceled };
enum class StepStatus { kPending, kRunning, kCompleted, kFailed, kAborted };

std::string_view Name(RunStatus s);
std::string_view Name(StepStatus s);
// False for unknown names.
bool ParseRunStatus(std::string_view name, RunStatus* out);
// completed and canceled; failed is terminal unless retried, so it counts too.
bool IsTerminal(RunStatus s);

}  // namespace forkline
