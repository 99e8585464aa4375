#include "bench/compare/raw_hub.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>

namespace forkline::bench {

RawHub::RawHub() {
  listen_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (listen_ < 0 || ::bind(listen_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::listen(listen_, 4096) != 0) {
    throw std::runtime_error("raw hub: cannot listen");
  }
  socklen_t len = sizeof a;
  ::getsockname(listen_, reinterpret_cast<sockaddr*>(&a), &len);
  port_ = ntohs(a.sin_port);
  acceptor_ = std::thread([this] { Accept(); });
  writer_ = std::thread([this] { Write(); });
}

RawHub::~RawHub() {
  stop_ = true;
  wake_.notify_all();
  acceptor_.join();
  writer_.join();
  for (const Subscriber& s : subs_)
    ::close(s.fd);
  for (int fd : joined_)
    ::close(fd);
  ::close(listen_);
}

void RawHub::Publish(std::string frame) {
  {
    std::lock_guard lock(mu_);
    frames_ += frame;
  }
  wake_.notify_one();
}

void RawHub::Accept() {
  const std::string head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n";
  while (!stop_.load()) {
    const int fd = ::accept4(listen_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      continue;
    }
    (void)::send(fd, head.data(), head.size(), MSG_NOSIGNAL);  // the request is never read
    std::lock_guard lock(mu_);
    joined_.push_back(fd);
  }
}

void RawHub::Write() {
  std::string batch;
  while (!stop_.load()) {
    bool backlog = false;
    for (const Subscriber& s : subs_)
      backlog |= !s.backlog.empty();
    {
      std::unique_lock lock(mu_);
      // With a backlog, come back soon to retry it even if nothing new is published.
      wake_.wait_for(lock, backlog ? std::chrono::milliseconds(1) : std::chrono::milliseconds(50),
                     [this] { return stop_.load() || !frames_.empty() || !joined_.empty(); });
      for (int fd : joined_)
        subs_.push_back({fd, {}});
      joined_.clear();
      batch.clear();
      batch.swap(frames_);
    }
    for (Subscriber& s : subs_)
      Send(s, batch);
  }
}

// One send per subscriber: its backlog and the new bytes together.
void RawHub::Send(Subscriber& s, const std::string& bytes) {
  if (s.backlog.empty() && bytes.empty()) return;
  const std::string* out = &bytes;
  if (!s.backlog.empty()) {
    s.backlog += bytes;
    out = &s.backlog;
  }
  const ssize_t n = ::send(s.fd, out->data(), out->size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  const std::size_t sent = n > 0 ? static_cast<std::size_t>(n) : 0;
  if (out == &s.backlog) {
    s.backlog.erase(0, sent);
  } else if (sent < bytes.size()) {
    s.backlog.assign(bytes, sent);
  }
}

}  // namespace forkline::bench
