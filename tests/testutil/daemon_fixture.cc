#include "tests/testutil/daemon_fixture.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

extern char** environ;  // NOLINT(readability-redundant-declaration): for posix_spawn

namespace forkline::testing {
namespace {

using Clock = std::chrono::steady_clock;

int ConnectLoopback(int port, std::chrono::milliseconds timeout) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool SendAll(int fd, const std::string& data) {
  std::size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

std::string Dechunk(const std::string& body) {
  std::string out;
  std::size_t at = 0;
  while (at < body.size()) {
    const std::size_t eol = body.find("\r\n", at);
    if (eol == std::string::npos) break;
    const std::size_t size = std::stoul(body.substr(at, eol - at), nullptr, 16);
    if (size == 0) break;
    out += body.substr(eol + 2, size);
    at = eol + 2 + size + 2;
  }
  return out;
}

std::string ReplaceAll(std::string text, const std::string& from, const std::string& to) {
  for (std::size_t at = text.find(from); at != std::string::npos;
       at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

}  // namespace

std::string ForklinedPath() {
  const char* env = std::getenv("FORKLINED");  // NOLINT(concurrency-mt-unsafe)
  if (env != nullptr && *env != '\0') return env;
#ifdef FORKLINE_FORKLINED_PATH
  return FORKLINE_FORKLINED_PATH;
#else
  return "forklined";
#endif
}

int FreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

RawHttpResponse HttpRequest(int port, const std::string& method, const std::string& target,
                            const std::string& body, const std::string& extra_headers,
                            std::chrono::milliseconds timeout) {
  RawHttpResponse response;
  const int fd = ConnectLoopback(port, timeout);
  if (fd < 0) return response;
  std::string request = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
                        "Connection: close\r\n" + extra_headers;
  if (!body.empty() || method == "POST" || method == "PUT") {
    request += "Content-Type: application/json\r\nContent-Length: " +
               std::to_string(body.size()) + "\r\n";
  }
  request += "\r\n" + body;
  std::string raw;
  if (SendAll(fd, request)) {
    char buf[16384];
    for (;;) {
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      raw.append(buf, static_cast<std::size_t>(n));
    }
  }
  ::close(fd);
  const std::size_t head_end = raw.find("\r\n\r\n");
  if (raw.rfind("HTTP/1.", 0) != 0 || head_end == std::string::npos) return response;
  response.status = std::atoi(raw.c_str() + raw.find(' ') + 1);
  response.headers = raw.substr(0, head_end + 2);
  response.body = raw.substr(head_end + 4);
  std::string lower = response.headers;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower.find("transfer-encoding: chunked") != std::string::npos) {
    response.body = Dechunk(response.body);
  }
  return response;
}

TestDaemon::TestDaemon(TestDaemonOptions options)
    : options_(std::move(options)), zmq_port_(FreePort()), http_port_(FreePort()) {
  while (http_port_ == zmq_port_) http_port_ = FreePort();
  config_path_ = dir_.Sub("forkline.toml");
  log_path_ = dir_.Sub("forklined.log");
  WriteFiles();
}

TestDaemon::~TestDaemon() { Stop(); }

void TestDaemon::WriteFiles() {
  const std::string workflows = dir_.Sub("workflows");
  std::filesystem::create_directories(workflows);
  for (const auto& [name, text] : options_.workflows) {
    std::ofstream(workflows + "/" + name + ".toml") << ReplaceAll(text, "@DIR@", dir_.path());
  }
  std::ofstream config(config_path_);
  config << "workflows_dir = \"" << workflows << "\"\n\n"
         << "[store]\nbackend = \"rocksdb\"\npath = \"" << dir_.Sub("data") << "\"\n\n"
         << "[zmq]\nbind = \"" << zmq_endpoint() << "\"\n" << options_.zmq_extra << "\n"
         << "[http]\nbind = \"127.0.0.1:" << http_port_ << "\"\n" << options_.http_extra
         << "\n";
  if (!options_.token.empty()) config << "[auth]\ntoken = \"" << options_.token << "\"\n\n";
  config << options_.extra_toml << "\n";
}

Status TestDaemon::Start(std::chrono::seconds timeout) {
  if (pid_ > 0) return Status::Conflict("forklined is already running");
  const std::string binary = ForklinedPath();
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_path_.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  std::vector<std::string> args = {binary, "--config", config_path_};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, binary.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return Status::Unavailable("cannot start " + binary + ": " + std::strerror(rc));
  pid_ = pid;

  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    int wstatus = 0;
    if (::waitpid(pid_, &wstatus, WNOHANG) == pid_) {
      pid_ = -1;
      return Status::Unavailable("forklined exited during start:\n" + LogTail());
    }
    if (HttpRequest(http_port_, "GET", "/healthz", "", "", std::chrono::seconds(2)).status ==
        200) {
      return Status::Ok();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  Kill9();
  return Status::Unavailable("forklined not healthy in time:\n" + LogTail());
}

int TestDaemon::Stop(std::chrono::seconds grace) {
  if (pid_ <= 0) return 0;
  ::kill(pid_, SIGTERM);
  const auto deadline = Clock::now() + grace;
  int wstatus = 0;
  while (Clock::now() < deadline) {
    if (::waitpid(pid_, &wstatus, WNOHANG) == pid_) {
      pid_ = -1;
      return WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  Kill9();
  return -1;
}

void TestDaemon::Kill9() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int wstatus = 0;
  ::waitpid(pid_, &wstatus, 0);
  pid_ = -1;
}

std::string TestDaemon::LogTail(std::size_t bytes) const {
  std::ifstream in(log_path_, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string all = ss.str();
  return all.size() > bytes ? all.substr(all.size() - bytes) : all;
}

}  // namespace forkline::testing
