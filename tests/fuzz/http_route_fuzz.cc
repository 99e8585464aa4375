// The HTTP router on arbitrary request lines: the first byte picks the method, the rest
// is the target. MatchRoute never throws; a match is a known route or bad_request.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "daemon/http/router.h"
#include "tests/fuzz/fuzz_check.h"

using namespace forkline;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  static constexpr std::string_view kMethods[] = {"GET", "POST", "PUT", "DELETE", "HEAD",
                                                  "PATCH", "OPTIONS", "get", ""};
  const std::string_view method = kMethods[data[0] % std::size(kMethods)];
  const std::string_view target(reinterpret_cast<const char*>(data + 1), size - 1);
  auto route = MatchRoute(method, target);
  if (!route.ok()) {
    FUZZ_CHECK(route.status().code() == Code::kBadRequest);
    return 0;
  }
  if (route->id == RouteId::kMethodNotAllowed) FUZZ_CHECK(!route->allow.empty());
  if (route->id == RouteId::kRunGet || route->id == RouteId::kRunAction ||
      route->id == RouteId::kRunEvents) {
    FUZZ_CHECK(!route->run_id.empty());
  }
  return 0;
}
