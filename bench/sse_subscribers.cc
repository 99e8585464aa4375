#include "bench/sse_subscribers.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <stdexcept>

#include "bench/daemon_process.h"

namespace forkline::bench {

SseSubscribers::SseSubscribers(int port, const std::string& run_id, int count)
    : SseSubscribers(port, "/v1/runs/" + run_id + "/events", count, "id:") {}

SseSubscribers::SseSubscribers(int port, const std::string& path, int count, std::string marker)
    : marker_(std::move(marker)) {
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  conns_ = std::vector<Conn>(static_cast<std::size_t>(count));
  const std::string req =
      "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n";
  for (std::size_t i = 0; i < conns_.size(); ++i) {
    const int fd = ConnectLoopback(port);
    if (fd < 0) throw std::runtime_error("SSE subscriber " + std::to_string(i) + " cannot connect");
    if (::write(fd, req.data(), req.size()) != static_cast<ssize_t>(req.size())) {
      throw std::runtime_error("SSE subscriber cannot send its request");
    }
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    conns_[i].fd = fd;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = i;
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
  }
  reader_ = std::thread([this] { Loop(); });
}

SseSubscribers::~SseSubscribers() {
  stopping_ = true;
  reader_.join();
  for (Conn& c : conns_) {
    if (c.fd >= 0) ::close(c.fd);
  }
  ::close(epoll_fd_);
}

// Polls: a condition variable notified per received line would cost the reader a
// futex call per event and subscriber, and the reader is what this measures through.
bool SseSubscribers::WaitAll(std::uint64_t version, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    std::size_t behind = 0;
    for (const Conn& c : conns_) {
      if (c.last.load(std::memory_order_acquire) < version) ++behind;
    }
    if (behind <= static_cast<std::size_t>(closed_.load())) return true;
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
}

std::vector<Clock::time_point> SseSubscribers::ReceivedAt(std::uint64_t version) {
  std::vector<Clock::time_point> out;
  for (Conn& c : conns_) {
    std::lock_guard lock(c.mu);
    // Numbers arrive in order: search from the back, where recent ones are.
    for (auto it = c.received.rbegin(); it != c.received.rend(); ++it) {
      if (it->first == version) {
        out.push_back(it->second);
        break;
      }
      if (it->first < version) break;
    }
  }
  return out;
}

void SseSubscribers::Loop() {
  std::vector<epoll_event> events(256);
  std::vector<char> buf(1 << 16);
  while (!stopping_.load()) {
    const int n = ::epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), 20);
    for (int i = 0; i < n; ++i) {
      Conn& c = conns_[events[i].data.u64];
      for (;;) {
        const ssize_t got = ::read(c.fd, buf.data(), buf.size());
        if (got > 0) {
          OnBytes(c, buf.data(), static_cast<std::size_t>(got), Clock::now());
          continue;
        }
        if (got == 0 || (errno != EAGAIN && errno != EINTR)) {
          ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, c.fd, nullptr);
          ::close(c.fd);
          c.fd = -1;
          ++closed_;
        }
        break;
      }
    }
  }
}

// Splits lines; a line `<marker> N` marks event N as received at `at`.
void SseSubscribers::OnBytes(Conn& c, const char* data, std::size_t n, Clock::time_point at) {
  c.pending.append(data, n);
  std::size_t start = 0;
  for (;;) {
    const std::size_t nl = c.pending.find('\n', start);
    if (nl == std::string::npos) break;
    const std::string_view line(c.pending.data() + start, nl - start);
    start = nl + 1;
    if (!c.headers_done) {
      if (line == "\r" || line.empty()) c.headers_done = true;
      continue;
    }
    if (line.rfind(marker_, 0) == 0) {
      std::uint64_t version = 0;
      for (char ch : line.substr(marker_.size())) {
        if (ch == ' ' && version == 0) continue;
        if (ch < '0' || ch > '9') break;
        version = version * 10 + static_cast<std::uint64_t>(ch - '0');
      }
      {
        std::lock_guard lock(c.mu);
        c.received.emplace_back(version, at);
      }
      c.last.store(version, std::memory_order_release);
    }
  }
  c.pending.erase(0, start);
}

}  // namespace forkline::bench
