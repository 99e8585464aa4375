#pragma once
// Many raw-socket SSE subscribers of one run (GET /v1/runs/{id}/events), read by one
// epoll thread that notes when each subscriber received each event id. No SSE library:
// the bytes are read as they come and only `id:` lines are parsed.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_util.h"

namespace forkline::bench {

class SseSubscribers {
 public:
  // Connects `count` subscribers; throws std::runtime_error when one cannot connect.
  SseSubscribers(int port, const std::string& run_id, int count);
  ~SseSubscribers();  // closes every connection
  SseSubscribers(const SseSubscribers&) = delete;
  SseSubscribers& operator=(const SseSubscribers&) = delete;

  // Waits until every subscriber has received event id `version`; false on timeout.
  bool WaitAll(std::uint64_t version, std::chrono::milliseconds timeout);
  // When each subscriber received `version` (only those that did).
  std::vector<Clock::time_point> ReceivedAt(std::uint64_t version);
  // Connections the daemon closed.
  int closed() const { return closed_.load(); }

 private:
  struct Conn {
    int fd = -1;
    bool headers_done = false;
    std::string pending;  // bytes after the last complete line
  };
  void Loop();
  void OnBytes(Conn& c, const char* data, std::size_t n, Clock::time_point at);

  std::vector<Conn> conns_;
  int epoll_fd_ = -1;
  std::atomic<bool> stopping_{false};
  std::atomic<int> closed_{0};
  std::thread reader_;

  std::mutex mu_;  // guards received_
  std::condition_variable cv_;
  std::map<std::uint64_t, std::vector<Clock::time_point>> received_;
};

}  // namespace forkline::bench
