#pragma once
// One plain HTTP/1.1 request to the daemon (for the admin routes the CLI uses, such as
// POST /v1/admin/backup). Blocking; thread safety: none needed (no shared state).

#include <chrono>
#include <string>

#include "eventstore/status.h"

namespace forkline::cli {

struct HttpAnswer {
  int status = 0;
  std::string body;
};

// kUnavailable when the daemon cannot be reached or does not answer within `timeout`.
Result<HttpAnswer> HttpCall(const std::string& host, const std::string& port,
                            const std::string& method, const std::string& target,
                            const std::string& body, const std::string& token,
                            std::chrono::milliseconds timeout);

}  // namespace forkline::cli
