#pragma once
// Both front ends refuse a request that holds a number too large for a double: Boost.JSON
// reads `1e400` as infinity and would write it back as `Infinity`, which is not JSON.

#include <cmath>
#include <string>

#include <boost/json/value.hpp>

namespace forkline {

// True when `v` holds such a number; `path` is then where the first one is, e.g.
// ".args.input.n" or ".steps[2]".
inline bool FindNonFinite(const boost::json::value& v, std::string* path) {
  if (v.is_double()) return !std::isfinite(v.get_double());
  if (v.is_array()) {
    const boost::json::array& a = v.get_array();
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (FindNonFinite(a[i], path)) {
        *path = "[" + std::to_string(i) + "]" + *path;
        return true;
      }
    }
  } else if (v.is_object()) {
    for (const auto& [name, x] : v.get_object()) {
      if (FindNonFinite(x, path)) {
        *path = "." + std::string(name) + *path;
        return true;
      }
    }
  }
  return false;
}

}  // namespace forkline
