#include "daemon/log/sd_watchdog.h"

#include <atomic>
#include <boost/asio/post.hpp>
#include <memory>

#include "daemon/log/sd_notify.h"

namespace forkline {

SdWatchdog::SdWatchdog(std::chrono::microseconds interval, boost::asio::io_context& a,
                       boost::asio::io_context& b)
    : thread_([this, interval, &a, &b] { Loop(interval, a, b); }) {}

SdWatchdog::~SdWatchdog() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void SdWatchdog::Loop(std::chrono::microseconds interval, boost::asio::io_context& a,
                      boost::asio::io_context& b) {
  auto probes = std::make_shared<std::atomic<int>>(2);  // "both ran" before the first tick
  std::unique_lock lock(mu_);
  while (!cv_.wait_for(lock, interval, [this] { return stop_; })) {
    if (probes->load() != 2) continue;  // a pool has not run the last probe yet
    SdNotify("WATCHDOG=1");
    probes = std::make_shared<std::atomic<int>>(0);
    boost::asio::post(a, [probes] { ++*probes; });
    boost::asio::post(b, [probes] { ++*probes; });
  }
}

}  // namespace forkline
