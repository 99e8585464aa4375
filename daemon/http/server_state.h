#pragma once
// What every connection of one HttpServer shares (internal to daemon/http).
// Immutable after Start() except where stated; held by shared_ptr so sessions that
// outlive Stop() keep it alive.

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string_view>

#include "daemon/api/command.h"
#include "daemon/api/feed.h"
#include "daemon/http/http_server.h"
#include "daemon/http/sse_hub.h"
#include "daemon/metrics/metrics.h"

namespace forkline {

// A connection the server can close on Stop(). Close() may be called from any thread
// and only posts to the connection's strand.
class Closable {
 public:
  virtual ~Closable() = default;
  virtual void Close() = 0;
};

// The open connections, for Stop(). Thread-safe; the mutex guards the table only.
class SessionSet {
 public:
  // Registers a connection; 0 when the set is already closed (the caller closes itself).
  std::uint64_t Add(std::weak_ptr<Closable> session);
  void Remove(std::uint64_t id);
  // Closes every connection registered now and refuses later ones.
  void CloseAll();

 private:
  std::mutex mu_;
  bool closed_ = false;
  std::uint64_t next_id_ = 1;
  std::map<std::uint64_t, std::weak_ptr<Closable>> sessions_;
};

struct ServerState {
  ServerState(HttpOptions o, CommandHandler& h, EventFeed& f)
      : options(std::move(o)), handler(h), feed(f), hub(std::make_shared<SseHub>()) {}

  void Log(std::string_view line) const {
    if (options.log) options.log(line);
  }

  const HttpOptions options;
  CommandHandler& handler;
  EventFeed& feed;
  const std::shared_ptr<SseHub> hub;
  SessionSet sessions;
  Metrics& metrics = GlobalMetrics();
  std::atomic<std::uint64_t> next_request_id{1};
};

}  // namespace forkline
