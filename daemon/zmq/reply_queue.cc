#include "daemon/zmq/reply_queue.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <system_error>

namespace forkline {

Result<std::shared_ptr<ReplyQueue>> ReplyQueue::Create() {
  const int fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (fd < 0) {
    return Status::Internal("eventfd: " + std::error_code(errno, std::system_category()).message());
  }
  return std::shared_ptr<ReplyQueue>(new ReplyQueue(fd));
}

ReplyQueue::~ReplyQueue() {
  ::close(fd_);
}

bool ReplyQueue::Push(OutgoingReply reply) {
  bool first = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return false;
    first = queue_.empty();
    queue_.push_back(std::move(reply));
  }
  // Only the first reply of a non-empty spell signals: TakeAll reads the eventfd before
  // it empties the queue, so the signal of the spell is still pending (or the reading
  // TakeAll takes this reply too) whenever a later one finds the queue non-empty.
  if (first) Wake();
  return true;
}

std::deque<OutgoingReply> ReplyQueue::TakeAll() {
  std::uint64_t count = 0;
  // Reset the counter first: a Push after this read signals again, so nothing is missed.
  [[maybe_unused]] const ssize_t n = ::read(fd_, &count, sizeof count);
  std::lock_guard<std::mutex> lock(mu_);
  std::deque<OutgoingReply> out;
  out.swap(queue_);
  return out;
}

void ReplyQueue::Wake() {
  const std::uint64_t one = 1;
  // EAGAIN only when the counter is saturated, and then the fd is readable anyway.
  [[maybe_unused]] const ssize_t n = ::write(fd_, &one, sizeof one);
}

void ReplyQueue::Close() {
  std::lock_guard<std::mutex> lock(mu_);
  closed_ = true;
}

}  // namespace forkline
