#pragma once
// Reading events back from their canonical JSON form (DESIGN §3; eventstore/canonical.h):
// one JSON object per line, as `forkline export` writes and the SSE streams send.
// `data` is kept byte for byte as it appears in the line, so a hash computed from the
// parsed event equals the one computed when the event was stored. Pure functions.

#include <string>
#include <string_view>

#include "eventstore/event.h"
#include "eventstore/status.h"

namespace forkline::tools {

// Parses one canonical event object. Keys it does not know (the SSE `run` brief) are
// skipped. kBadRequest saying what is wrong: not an object, a missing or mistyped field.
Result<Event> ParseEventLine(std::string_view line);

// The line `forkline export` writes for an event: CanonicalJson(event, kFull).
std::string EventLine(const Event& event);

}  // namespace forkline::tools
