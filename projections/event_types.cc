#include "projections/event_types.h"

#include <array>
#include <utility>

namespace forkline {
namespace events {

bool IsTerminalType(std::string_view type) {
  return type == kRunCompleted || type == kRunFailed || type == kRunCanceled;
}

}  // namespace events

namespace {
constexpr std::array<std::pair<RunStatus, std::string_view>, 6> kRunStatuses{{
    {RunStatus::kQueued, "queued"},
    {RunStatus::kRunning, "running"},
    {RunStatus::kPaused, "paused"},
    {RunStatus::kCompleted, "completed"},
    {RunStatus::kFailed, "failed"},
    {RunStatus::kCanceled, "canceled"},
}};
}  // namespace

std::string_view Name(RunStatus s) {
  for (const auto& [status, name] : kRunStatuses) {
    if (status == s) return name;
  }
  return "queued";
}

std::string_view Name(StepStatus s) {
  switch (s) {
    case StepStatus::kPending: return "pending";
    case StepStatus::kRunning: return "running";
    case StepStatus::kCompleted: return "completed";
    case StepStatus::kFailed: return "failed";
    case StepStatus::kAborted: return "aborted";
  }
  return "pending";
}

bool ParseRunStatus(std::string_view name, RunStatus* out) {
  for (const auto& [status, n] : kRunStatuses) {
    if (n == name) {
      *out = status;
      return true;
    }
  }
  return false;
}

bool IsTerminal(RunStatus s) {
  return s == RunStatus::kCompleted || s == RunStatus::kCanceled || s == RunStatus::kFailed;
}

}  // namespace forkline
