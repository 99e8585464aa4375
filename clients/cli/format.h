#pragma once
// Human-readable rendering of the JSON the daemon returns (DESIGN §2–§4). Pure functions.

#include <string>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

namespace forkline::cli {

// A field as text: strings as they are, null/missing as "", anything else as JSON.
std::string Text(const boost::json::object& obj, const char* name);
// Indented JSON, two spaces a level.
std::string PrettyJson(const boost::json::value& v);
// Left-aligned columns; rows[0] is the header.
std::string Table(const std::vector<std::vector<std::string>>& rows);

// "r_1  running  cursor 2/5  autorun off  version 9"
std::string RunLine(const boost::json::object& run);
// The header lines of `forkline show` and one table line per step.
std::string RunDetails(const boost::json::object& run);
// "#2 scenes  completed  attempt 1  12 ms" (+ the error when failed).
std::string StepLine(const boost::json::object& step);
// One line for an event (run.events or SSE data): "v12 step.completed #2 scenes …".
std::string EventLine(const boost::json::object& event);

}  // namespace forkline::cli
