#pragma once
// A small pool of sessions for reads. Thread-safe; at most `max` sessions exist at once
// (callers beyond that wait for one to come back).

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "eventstore/postgres/pg_common.h"

namespace forkline::pg {

class ConnectionPool {
 public:
  ConnectionPool(std::string url, std::string schema, std::size_t max);

  // Runs `fn` on a session. A broken session is dropped and `fn` is tried once more on
  // a new one (an idle pooled session breaks silently when the server restarts), so
  // `fn` must be safe to repeat (reads are). Exceptions become statuses (ToStatus).
  Status Run(std::string_view what, const std::function<void(pqxx::connection&)>& fn);

 private:
  std::unique_ptr<pqxx::connection> Take();
  void Give(std::unique_ptr<pqxx::connection> conn);

  const std::string url_;
  const std::string schema_;
  const std::size_t max_;
  std::mutex mu_;  // guards idle_, open_
  std::condition_variable cv_;
  std::vector<std::unique_ptr<pqxx::connection>> idle_;
  std::size_t open_ = 0;  // sessions idle or lent out, and slots reserved for connecting
};

}  // namespace forkline::pg
