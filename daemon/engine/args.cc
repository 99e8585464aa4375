#include "daemon/engine/args.h"

#include <algorithm>
#include <cmath>

namespace forkline::args {

namespace {
Status WrongType(std::string_view name, std::string_view want) {
  return Status::BadRequest("argument '" + std::string(name) + "' must be " + std::string(want));
}
}  // namespace

Result<std::string> RequiredString(const boost::json::object& a, std::string_view name) {
  const auto* v = a.if_contains(name);
  if (!v || v->is_null()) return Status::BadRequest("missing argument '" + std::string(name) + "'");
  if (!v->is_string() || v->get_string().empty()) return WrongType(name, "a non-empty string");
  return std::string(v->get_string());
}

Result<std::optional<std::string>> OptionalString(const boost::json::object& a, std::string_view name) {
  const auto* v = a.if_contains(name);
  if (!v || v->is_null()) return std::optional<std::string>();
  if (!v->is_string()) return WrongType(name, "a string");
  return std::optional<std::string>(std::string(v->get_string()));
}

Result<std::optional<std::uint64_t>> OptionalUint(const boost::json::object& a, std::string_view name,
                                                  std::uint64_t max) {
  const auto* v = a.if_contains(name);
  if (!v || v->is_null()) return std::optional<std::uint64_t>();
  std::uint64_t n = 0;
  if (v->is_uint64()) {
    n = v->get_uint64();
  } else if (v->is_int64() && v->get_int64() >= 0) {
    n = static_cast<std::uint64_t>(v->get_int64());
  } else if (v->is_double() && v->get_double() >= 0 && v->get_double() < 18446744073709551616.0 &&
             v->get_double() == std::floor(v->get_double())) {
    // 2^64 and above (1e300) would make the conversion undefined behaviour.
    n = static_cast<std::uint64_t>(v->get_double());
  } else {
    return WrongType(name, "a whole number >= 0");
  }
  if (n > max) {
    return Status::BadRequest("argument '" + std::string(name) + "' must be at most " + std::to_string(max));
  }
  return std::optional<std::uint64_t>(n);
}

Result<std::optional<bool>> OptionalBool(const boost::json::object& a, std::string_view name) {
  const auto* v = a.if_contains(name);
  if (!v || v->is_null()) return std::optional<bool>();
  if (!v->is_bool()) return WrongType(name, "true or false");
  return std::optional<bool>(v->get_bool());
}

Status OnlyKnown(const boost::json::object& a, std::initializer_list<std::string_view> known) {
  for (const auto& [k, v] : a) {
    if (std::find(known.begin(), known.end(), std::string_view(k)) == known.end()) {
      return Status::BadRequest("unknown argument '" + std::string(k) + "'");
    }
  }
  return Status::Ok();
}

}  // namespace forkline::args
