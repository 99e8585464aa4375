#pragma once
// The wire forms of runs, steps and events (DESIGN §4 "Run JSON", §5 SSE data).

#include <boost/json/object.hpp>
#include <boost/json/parse_options.hpp>
#include <cstddef>
#include <string>

#include "eventstore/event.h"
#include "projections/run_state.h"

namespace forkline {

// How deep stored JSON may nest. Every reader of the log parses with it, so anything a
// writer accepted can be read back (Boost.JSON's default, 32, is less than executors allow).
inline constexpr std::size_t kMaxJsonDepth = 1024;
boost::json::parse_options StoredJsonOptions();

enum class RunDetail {
  kSummary,  // run.list: no input, no steps
  kFull,     // run.get: input and every step with its output
};

boost::json::object RunToJson(const RunState& run, RunDetail detail);
// Whether `full`, an older or newer full state of the same run, holds every step output
// the compact state `run` names (an output is identified by the version of the
// step.completed that holds it).
bool PayloadsCover(const RunState& run, const RunState& full);
// The full form (kFull) of the compact state `run` with the input and step outputs of
// `payloads`, which must cover it (PayloadsCover): what RunToJson gives for the full
// state, without assembling that state.
boost::json::object RunToJson(const RunState& run, const RunState& payloads);
// Appends json::serialize(RunToJson(run, detail)) — or, with `payloads` other than `run`,
// of RunToJson(run, payloads) — written straight as text: no DOM built, no copy of the
// input or the outputs made. Replies to commands use it.
void AppendRunJson(std::string& out, const RunState& run, RunDetail detail, const RunState& payloads);
// Appends json::serialize(StepToJson(step)), written straight as text.
void AppendStepJson(std::string& out, const StepRecord& step);
// A step record; outputs larger than `max_output_bytes` are left out with
// "output_truncated": true (0: never truncate).
boost::json::object StepToJson(const StepRecord& step, std::size_t max_output_bytes = 0);
boost::json::object BriefToJson(const RunBrief& brief);

// The canonical event (eventstore/canonical.h) as a JSON object.
boost::json::object EventToJson(const Event& event);
// One line: the canonical event plus "run": {status, cursor, autorun, version}.
std::string EventWireLine(const Event& event, const RunBrief& after);

}  // namespace forkline
