#pragma once
// Many raw-socket SSE subscribers of one stream, read by one epoll thread that notes when
// each subscriber received each event number. No SSE library: the bytes are read as they
// come and only lines starting with the marker (`id:` by default) are parsed for a number.

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_util.h"

namespace forkline::bench {

class SseSubscribers {
 public:
  // Connects `count` subscribers to GET /v1/runs/{run_id}/events; throws
  // std::runtime_error when one cannot connect.
  SseSubscribers(int port, const std::string& run_id, int count);
  // The same for any `path`; the number after `marker` at the start of a line names
  // the event (e.g. "data: seq " for a peer whose ids are not numbers).
  SseSubscribers(int port, const std::string& path, int count, std::string marker);
  ~SseSubscribers();  // closes every connection
  SseSubscribers(const SseSubscribers&) = delete;
  SseSubscribers& operator=(const SseSubscribers&) = delete;

  // Waits until every subscriber still connected has received event `version` (numbers
  // arrive in order); false on timeout.
  bool WaitAll(std::uint64_t version, std::chrono::milliseconds timeout);
  // When each subscriber received `version` (only those that did).
  std::vector<Clock::time_point> ReceivedAt(std::uint64_t version);
  // Calls fn(subscriber, version, time) for every event every subscriber received, one
  // subscriber after the other (ReceivedAt for each of many versions would search each
  // subscriber's list again).
  template <typename Fn>
  void ForEachReceived(Fn fn) {
    for (std::size_t i = 0; i < conns_.size(); ++i) {
      std::lock_guard lock(conns_[i].mu);
      for (const auto& [version, at] : conns_[i].received) fn(i, version, at);
    }
  }
  // Connections the daemon closed.
  int closed() const { return closed_.load(); }

 private:
  struct Conn {
    int fd = -1;
    bool headers_done = false;
    std::string pending;  // bytes after the last complete line
    std::atomic<std::uint64_t> last{0};  // the highest number received
    std::mutex mu;  // guards received (the reader appends, callers read)
    std::vector<std::pair<std::uint64_t, Clock::time_point>> received;
  };
  void Loop();
  void OnBytes(Conn& c, const char* data, std::size_t n, Clock::time_point at);

  std::string marker_ = "id:";
  std::vector<Conn> conns_;  // sized once; Conn is neither copied nor moved
  int epoll_fd_ = -1;
  std::atomic<bool> stopping_{false};
  std::atomic<int> closed_{0};
  std::thread reader_;
};

}  // namespace forkline::bench
