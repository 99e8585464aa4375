#pragma once
// ZeroMQ command calls for the benchmark programs: a benchmark stops at the first error
// (it measures a working daemon), so calls throw instead of returning a status.

#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "clients/lib/command_client.h"

namespace forkline::bench {

// Options for a client of `endpoint` (a ZeroMQ address), defaults otherwise.
client::CommandClientOptions ClientOptions(const std::string& endpoint);
// The command's result; throws std::runtime_error with the command and the error.
boost::json::object MustCall(client::CommandClient& c, std::string_view cmd, boost::json::object args);

}  // namespace forkline::bench
