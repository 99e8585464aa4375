#pragma once
// SdWatchdog: sends WATCHDOG=1 (sd_notify) every `interval` while two io_contexts still
// run posted work. Each tick posts a probe to both; the next tick pings only when both
// probes ran, so a stuck pool stops the pings and systemd (WatchdogSec=) restarts the
// daemon. Owns one thread; the destructor stops and joins it. The io_contexts must
// outlive the SdWatchdog.

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace forkline {

class SdWatchdog {
 public:
  SdWatchdog(std::chrono::microseconds interval, boost::asio::io_context& a, boost::asio::io_context& b);
  ~SdWatchdog();
  SdWatchdog(const SdWatchdog&) = delete;
  SdWatchdog& operator=(const SdWatchdog&) = delete;

 private:
  void Loop(std::chrono::microseconds interval, boost::asio::io_context& a, boost::asio::io_context& b);

  std::mutex mu_;  // guards stop_
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;  // last: starts once the members above exist
};

}  // namespace forkline
