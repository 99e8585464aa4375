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
  task([self = shared_from_this()] {
    boost::asio::post(self->executor_, [self] { self->RunNext(); });
  });
}

}  // namespace forkline
