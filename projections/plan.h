#pragma once
// The plan: the concrete steps of a run, derived purely from its definition (stored in
// run.created) and the log. A step with `foreach = "steps.<source>.<field>[.<field>…]"`
// is one pending placeholder (named like the step) until <source> completes; from then
// on it is one concrete step per element of that array, named `<step>[0]`, `<step>[1]`, …
// at consecutive plan positions, shifting the later steps. An empty array expands to no
// step; a path that names no array leaves the placeholder, which fails when it is run.
// A fork keeps the expansions whose source completed before its cursor and recomputes
// the others (with the override's output when it replaces a source's output).
// Pure functions of values; used by the fold (projections/fold.cc) and the decider.

#include <boost/json/array.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "eventstore/status.h"
#include "projections/run_state.h"

namespace forkline {

struct ForeachPath {
  std::string step;                 // the source step's name
  std::vector<std::string> fields;  // path inside its output; a number indexes an array
};
// nullopt unless `text` is "steps.<name>.<field>[.<field>…]" with non-empty parts.
std::optional<ForeachPath> ParseForeach(std::string_view text);

// The array `path.fields` names inside `output`, or BadRequest saying what is there
// instead.
Result<const boost::json::array*> ForeachArray(const boost::json::value& output,
                                               const ForeachPath& path);

// run.created: one record per definition entry, foreach steps as placeholders.
void PlanCreated(RunState& s);
// step.completed of the step at `index` with `output`: expands the foreach steps that
// range over it. Records before index + 1 are kept.
void PlanCompleted(RunState& s, std::uint32_t index, const boost::json::value& output);
// run.forked at `at`: records from `at` on become pending; expansions whose source is at
// or past `at` are undone; `override_output` (may be null) replaces step at-1's output.
void PlanForked(RunState& s, std::uint32_t at, const boost::json::value* override_output);

// total_steps once step `index` completed with `output` / once forked (as above).
std::uint32_t TotalAfterCompletion(const RunState& s, std::uint32_t index,
                                   const boost::json::value& output);
std::uint32_t TotalAfterFork(const RunState& s, std::uint32_t at,
                             const boost::json::value* override_output);

// Why the placeholder at `index` was not expanded, for the error that fails it; `full`
// is a state with outputs. "" when the record is not an unexpanded foreach step.
std::string ForeachProblem(const RunState& full, std::uint32_t index);

}  // namespace forkline
