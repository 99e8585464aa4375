#include "daemon/engine/serial_queue.h"

#include <boost/asio/post.hpp>

namespace forkline {

void SerialQueue::Post(Task task) {
  {
    std::lock_guard lock(mu_);
    tasks_.push_back(std::move(task));
    if (busy_) return;
    busy_ = true;
  }
  boost::asio::post(executor_, [self = shared_from_this()] { self->RunNext(); });
}

void SerialQueue::RunOrPost(Task task) {
  {
    std::lock_guard lock(mu_);
    if (busy_) {
      tasks_.push_back(std::move(task));
      return;
    }
    busy_ = true;
  }
  task(MakeDone());
}

void SerialQueue::RunNext() {
  Task task;
  {
    std::lock_guard lock(mu_);
    if (tasks_.empty()) {
      busy_ = false;
      return;
    }
    task = std::move(tasks_.front());
    tasks_.pop_front();
  }
  task(MakeDone());
}

SerialQueue::Done SerialQueue::MakeDone() {
  return [self = shared_from_this()] {
    {
      // Nothing waits (the common case): go idle here rather than post a RunNext that
      // would find the queue empty. A Post that comes after this sees busy_ false.
      std::lock_guard lock(self->mu_);
      if (self->tasks_.empty()) {
        self->busy_ = false;
        return;
      }
    }
    boost::asio::post(self->executor_, [self] { self->RunNext(); });
  };
}

}  // namespace forkline
