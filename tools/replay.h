#pragma once
// Time travel: a run's projected state at any point of its history. Pure functions.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "eventstore/event.h"
#include "eventstore/status.h"
#include "projections/run_state.h"

namespace forkline::tools {

// Where to stop: after version `until_version`, or after the last event whose `at` is
// at or before `until_time` (RFC 3339 UTC). Neither set: the whole history.
struct ReplayPoint {
  std::optional<std::uint64_t> until_version;
  std::optional<std::string> until_time;
};

// "2026-11-29T18:40:00Z" or with milliseconds -> the form events carry
// ("2026-11-29T18:40:00.000Z"); kBadRequest for anything else.
Result<std::string> NormalizeTime(std::string_view text);

// The state of run `run_id` after folding its `history` (fork prefix included) up to
// the point. kBadRequest for version 0 or a bad time; kNotFound for a version past the
// head or a time before the run existed. The state's id is `run_id` even when the point
// lies in an inherited prefix.
Result<RunState> ReplayRun(const std::string& run_id, const EventList& history,
                           const ReplayPoint& point);

}  // namespace forkline::tools
