#pragma once
// Reading command arguments with bad_request errors that name the argument.

#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "eventstore/status.h"

namespace forkline::args {

Result<std::string> RequiredString(const boost::json::object& args, std::string_view name);
Result<std::optional<std::string>> OptionalString(const boost::json::object& args,
                                                  std::string_view name);
Result<std::optional<std::uint64_t>> OptionalUint(const boost::json::object& args,
                                                  std::string_view name, std::uint64_t max);
Result<std::optional<bool>> OptionalBool(const boost::json::object& args, std::string_view name);
// kBadRequest naming the first argument not in `known`.
Status OnlyKnown(const boost::json::object& args, std::initializer_list<std::string_view> known);

}  // namespace forkline::args
