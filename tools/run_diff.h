#pragma once
// The comparison of two runs: where their histories are shared (the common fork
// ancestor and version), where they diverge, and step by step which outputs are the
// same and which differ, with a unified diff of every differing output field (text
// fields such as the Fountain script line by line; other values as indented JSON).
// Pure functions.

#include <string>

#include <boost/json/object.hpp>

#include "eventstore/event.h"
#include "projections/run_state.h"

namespace forkline::tools {

struct RunForDiff {
  const EventList& history;  // the whole history, fork prefix included
  const RunState& state;     // its full fold (outputs kept)
};

// {"a": {run_id, status, cursor, version}, "b": {…},
//  "shared": {run_id, version} | null   — the last event both histories hold,
//  "diverge_at": N | null               — the first version where they differ,
//  "steps": [{index, name, verdict: "same"|"differs"|"only_a"|"only_b"|"neither",
//             shared: bool (the very same event), a: {status, attempt}, b: {…},
//             fields: [{field, diff}]}]}
boost::json::object DiffRuns(const RunForDiff& a, const RunForDiff& b);

// The readable form of DiffRuns' result.
std::string DiffText(const boost::json::object& diff);

// Indented JSON, two spaces a level (for diffs of structured outputs).
std::string IndentedJson(const boost::json::value& v);

}  // namespace forkline::tools
