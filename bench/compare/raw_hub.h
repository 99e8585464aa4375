#pragma once
// RawHub: the floor for SSE fan-out (M5) — no HTTP parsing, no event store, no framing
// work: a loopback listener that answers every connection with an SSE header, and one
// writer thread that sends each published frame to every subscriber with one
// non-blocking send() per subscriber (frames queued since the last pass go out
// together; what a full socket buffer refuses waits in that subscriber's backlog).
// Thread-safe: Publish may be called from any thread.

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace forkline::bench {

class RawHub {
 public:
  RawHub();   // listens on a free loopback port; throws std::runtime_error if it cannot
  ~RawHub();  // stops both threads, closes every socket
  RawHub(const RawHub&) = delete;
  RawHub& operator=(const RawHub&) = delete;

  int port() const { return port_; }
  // Queues `frame` for every subscriber connected now; returns at once.
  void Publish(std::string frame);

 private:
  struct Subscriber {
    int fd = -1;
    std::string backlog;  // bytes its socket buffer did not take yet
  };
  void Accept();
  void Write();
  void Send(Subscriber& s, const std::string& bytes);

  int listen_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::mutex mu_;  // guards joined_, frames_
  std::condition_variable wake_;
  std::vector<int> joined_;       // accepted, not yet taken over by the writer
  std::string frames_;            // published, not yet written
  std::vector<Subscriber> subs_;  // the writer thread's own
  std::thread acceptor_;
  std::thread writer_;
};

}  // namespace forkline::bench
