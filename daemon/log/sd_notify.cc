#include "daemon/log/sd_notify.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace forkline {

bool NotifyTo(const std::string& socket_path, std::string_view state) {
  if (socket_path.empty() || (socket_path[0] != '/' && socket_path[0] != '@')) return false;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof(addr.sun_path)) return false;
  std::memcpy(addr.sun_path, socket_path.data(), socket_path.size());
  if (socket_path[0] == '@') addr.sun_path[0] = '\0';  // abstract namespace
  const auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + socket_path.size());
  const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  const ssize_t n = ::sendto(fd, state.data(), state.size(), MSG_NOSIGNAL,
                             reinterpret_cast<const sockaddr*>(&addr), len);
  ::close(fd);
  return n == static_cast<ssize_t>(state.size());
}

bool SdNotify(std::string_view state) {
  // NOLINTNEXTLINE(concurrency-mt-unsafe): nothing in the daemon sets environment variables
  const char* path = std::getenv("NOTIFY_SOCKET");
  return path != nullptr && NotifyTo(path, state);
}

std::optional<std::chrono::microseconds> WatchdogPingInterval() {
  // NOLINTNEXTLINE(concurrency-mt-unsafe): read-only use of the environment
  const char* usec = std::getenv("WATCHDOG_USEC");
  if (usec == nullptr) return std::nullopt;
  // NOLINTNEXTLINE(concurrency-mt-unsafe)
  if (const char* pid = std::getenv("WATCHDOG_PID")) {
    if (std::strtoll(pid, nullptr, 10) != static_cast<long long>(::getpid())) return std::nullopt;
  }
  char* end = nullptr;
  const long long v = std::strtoll(usec, &end, 10);
  if (end == usec || *end != '\0' || v <= 0) return std::nullopt;
  return std::chrono::microseconds(v / 2);
}

}  // namespace forkline
