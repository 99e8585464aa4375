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
  // Like Post, but when no task is queued or running, `task` runs at once on the calling
  // thread (before RunOrPost returns) instead of on the executor.
  void RunOrPost(Task task);

  // Calls a task's `done` when the scope ends, unless it was taken over (left empty,
  // e.g. with std::exchange) by then; does nothing for an empty one.
  class DoneOnExit {
   public:
    explicit DoneOnExit(Done& done) : done_(done) {}
    ~DoneOnExit() {
      if (done_) done_();
    }
    DoneOnExit(const DoneOnExit&) = delete;
    DoneOnExit& operator=(const DoneOnExit&) = delete;

   private:
    Done& done_;
  };

 private:
  void RunNext();
  // The `done` of a task: runs the next one, or goes idle.
  Done MakeDone();

  boost::asio::any_io_executor executor_;
  std::mutex mu_;  // guards tasks_, busy_
  std::list<Task> tasks_;  // a list: an idle run's queue holds no memory (a deque does)
  bool busy_ = false;
};

}  // namespace forkline
