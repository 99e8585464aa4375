#pragma once
// Hands replies made on any thread to the one thread that owns the ROUTER socket.
// Push() appends under a mutex and signals an eventfd when the queue was empty; the
// socket thread polls that fd beside the ROUTER (zmq_poll accepts plain fds) and drains
// everything with TakeAll().
//
// Thread safety: every method may be called from any thread. The queue is shared
// (std::shared_ptr) by the server and every outstanding ReplyFn, so a reply that
// arrives after the server stopped finds a closed queue, not freed memory.

#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "eventstore/status.h"

namespace forkline {

struct OutgoingReply {
  std::vector<std::string> envelope;  // routing id frame(s), incl. the empty delimiter
  std::string body;                   // the JSON reply
};

class ReplyQueue {
 public:
  // kInternal when the eventfd cannot be created.
  static Result<std::shared_ptr<ReplyQueue>> Create();
  ~ReplyQueue();
  ReplyQueue(const ReplyQueue&) = delete;
  ReplyQueue& operator=(const ReplyQueue&) = delete;

  // Queues a reply and wakes the socket thread. False (reply dropped) once closed.
  bool Push(OutgoingReply reply);
  // Everything queued so far, oldest first; clears the eventfd.
  std::deque<OutgoingReply> TakeAll();
  // Wakes the socket thread without queuing anything.
  void Wake();
  // Refuses every later Push.
  void Close();
  // The eventfd to poll for readability.
  int fd() const { return fd_; }

 private:
  explicit ReplyQueue(int fd) : fd_(fd) {}

  const int fd_;
  std::mutex mu_;  // guards queue_ and closed_
  std::deque<OutgoingReply> queue_;
  bool closed_ = false;
};

}  // namespace forkline
