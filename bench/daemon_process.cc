#include "bench/daemon_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <stdexcept>
#include <thread>
#include <vector>

extern char** environ;

namespace forkline::bench {

int FreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

int ConnectLoopback(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

DaemonProcess::DaemonProcess(const std::string& binary) : dir_("forkline-frontend-bench") {
  zmq_port_ = FreePort();
  http_port_ = FreePort();
  const std::string workflows = dir_.Sub("workflows");
  ::mkdir(workflows.c_str(), 0755);
  const std::string config = dir_.Sub("forkline.toml");
  {
    std::ofstream out(config);
    out << "workflows_dir = \"" << workflows << "\"\n\n"
        << "[store]\npath = \"" << dir_.Sub("data") << "\"\n\n"
        << "[zmq]\nbind = \"tcp://127.0.0.1:" << zmq_port_ << "\"\n\n"
        << "[http]\nbind = \"127.0.0.1:" << http_port_ << "\"\n\n"
        << "[log]\nlevel = \"warn\"\n";
  }
  log_ = dir_.Sub("forklined.log");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  std::string config_flag = "--config";
  std::vector<char*> argv{const_cast<char*>(binary.c_str()), config_flag.data(), const_cast<char*>(config.c_str()),
                          nullptr};
  const int rc = ::posix_spawn(&pid_, binary.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot start " + binary);
  const auto start = Clock::now();
  while (!Healthy()) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("forklined exited at start; see its log");
    }
    if (SecondsSince(start) > 30) throw std::runtime_error("forklined not healthy in 30 s");
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

DaemonProcess::~DaemonProcess() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  int status = 0;
  for (int i = 0; i < 300; ++i) {
    if (::waitpid(pid_, &status, WNOHANG) == pid_) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, &status, 0);
}

bool DaemonProcess::Healthy() const {
  const int fd = ConnectLoopback(http_port_);
  if (fd < 0) return false;
  const std::string req = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  bool ok = ::write(fd, req.data(), req.size()) == static_cast<ssize_t>(req.size());
  char buf[64] = {};
  ok = ok && ::read(fd, buf, sizeof buf - 1) > 12 && std::string(buf).find(" 200 ") != std::string::npos;
  ::close(fd);
  return ok;
}

long DaemonProcess::RssKib() const {
  std::ifstream in("/proc/" + std::to_string(pid_) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return 0;
}

}  // namespace forkline::bench
