#pragma once
// SerialQueue: runs tasks one at a time, in order, on an executor, where a task may
// finish asynchronously (it calls `done` when its append has been acknowledged). This
// is the per-run "strand" of DESIGN §1: commands for one run are serialised, different
// runs proceed in parallel. Thread-safe.

#include <boost/asio/any_io_executor.hpp>
#include <list>
#include <functional>
#include <memory>
#include <mutex>

namespace forkline {

class SerialQueue : public std::enable_shared_from_this<SerialQueue> {
 public:
  using Done = std::function<void()>;
  using Task = std::function<void(Done)>;

  explicit SerialQueue(boost::asio::any_io_executor executor) : executor_(std::move(executor)) {}

  // Queues `task`; it runs after every task posted before it has called its `done`.
  void Post(Task task);

 private:
  void RunNext();

  boost::asio::any_io_executor executor_;
  std::mutex mu_;  // guards tasks_, busy_
  std::list<Task> tasks_;  // a list: an idle run's queue holds no memory (a deque does)
  bool busy_ = false;
};

}  // namespace forkline
