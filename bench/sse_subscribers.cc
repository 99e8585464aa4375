#include "bench/sse_subscribers.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <stdexcept>

#include "bench/daemon_process.h"

namespace forkline::bench {

SseSubscribers::SseSubscribers(int port, const std::string& run_id, int count) {
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  conns_.resize(static_cast<std::size_t>(count));
  const std::string req = "GET /v1/runs/" + run_id +
                          "/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n";
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

bool SseSubscribers::WaitAll(std::uint64_t version, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] {
    auto it = received_.find(version);
    return it != received_.end() && it->second.size() + closed_.load() >= conns_.size();
  });
}

std::vector<Clock::time_point> SseSubscribers::ReceivedAt(std::uint64_t version) {
  std::lock_guard lock(mu_);
  auto it = received_.find(version);
  return it == received_.end() ? std::vector<Clock::time_point>{} : it->second;
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
          cv_.notify_all();
        }
        break;
      }
    }
  }
}

// Splits lines; an `id: N` line marks event N as received at `at`.
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
    if (line.rfind("id: ", 0) == 0 || line.rfind("id:", 0) == 0) {
      const std::string_view digits = line.substr(line.size() > 3 && line[3] == ' ' ? 4 : 3);
      std::uint64_t version = 0;
      for (char ch : digits) {
        if (ch >= '0' && ch <= '9') version = version * 10 + static_cast<std::uint64_t>(ch - '0');
      }
      std::lock_guard lock(mu_);
      received_[version].push_back(at);
      cv_.notify_all();
    }
  }
  c.pending.erase(0, start);
}

}  // namespace forkline::bench
