#pragma once
// Reading the files the CLI sends (novel text, input JSON, fork overrides).

#include <string>

#include <boost/json/value.hpp>

#include "eventstore/status.h"

namespace forkline::cli {

// The whole file ("-" = stdin); kNotFound / kBadRequest naming the file.
Result<std::string> ReadFile(const std::string& path);
// The file parsed as JSON; kBadRequest naming the file and the parse error.
Result<boost::json::value> ReadJsonFile(const std::string& path);

}  // namespace forkline::cli
