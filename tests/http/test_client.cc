#include "tests/http/test_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cctype>
#include <sstream>

namespace forkline::testing {
namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string Trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  const auto e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

// Parses the head in raw[0, end); returns the status.
int ParseHead(const std::string& head, std::map<std::string, std::string>& headers) {
  std::istringstream in(head);
  std::string line;
  if (!std::getline(in, line)) return 0;
  int status = 0;
  if (line.rfind("HTTP/1.", 0) != 0 || line.size() < 12) return 0;
  status = std::atoi(line.c_str() + 9);
  while (std::getline(in, line)) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    headers[Lower(line.substr(0, colon))] = Trim(line.substr(colon + 1));
  }
  return status;
}

}  // namespace

TestSocket::TestSocket(std::uint16_t port, int rcvbuf) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd_ < 0) return;
  if (rcvbuf > 0) ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  timeval tv{30, 0};  // hang guard
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

TestSocket::~TestSocket() {
  if (fd_ >= 0) ::close(fd_);
}

bool TestSocket::Send(const std::string& bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

bool TestSocket::ReadSome() {
  char buf[16384];
  const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
  if (n <= 0) {
    closed_by_peer_ = n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
    return false;
  }
  buffer_.append(buf, static_cast<std::size_t>(n));
  return true;
}

std::string TestSocket::ReadToEnd() {
  while (ReadSome()) {
  }
  return buffer_;
}

bool TestSocket::ReadUntil(const std::string& needle) {
  while (buffer_.find(needle) == std::string::npos) {
    if (!ReadSome()) return false;
  }
  return true;
}

void TestSocket::ShutdownSend() { ::shutdown(fd_, SHUT_WR); }

HttpResponse ParseResponse(const std::string& raw) {
  HttpResponse r;
  r.raw = raw;
  const auto end = raw.find("\r\n\r\n");
  if (end == std::string::npos) return r;
  r.status = ParseHead(raw.substr(0, end), r.headers);
  std::string body = raw.substr(end + 4);
  auto cl = r.headers.find("content-length");
  if (cl != r.headers.end()) {
    body = body.substr(0, std::min<std::size_t>(body.size(), std::stoul(cl->second)));
  }
  r.body = std::move(body);
  return r;
}

HttpResponse Request(std::uint16_t port, const std::string& method, const std::string& target,
                     const std::string& body, const Headers& headers) {
  TestSocket s(port);
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  req += "Connection: close\r\n";
  for (const auto& [k, v] : headers) req += k + ": " + v + "\r\n";
  if (!body.empty() || method == "POST" || method == "PUT") {
    req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  req += "\r\n" + body;
  if (!s.Send(req)) return {};
  return ParseResponse(s.ReadToEnd());
}

SseClient::SseClient(std::uint16_t port, const std::string& target, const Headers& headers,
                     int rcvbuf)
    : socket_(port, rcvbuf) {
  std::string req = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  req += "Accept: text/event-stream\r\n";
  for (const auto& [k, v] : headers) req += k + ": " + v + "\r\n";
  req += "\r\n";
  socket_.Send(req);
}

HttpResponse SseClient::ReadHead() {
  HttpResponse r;
  if (!socket_.ReadUntil("\r\n\r\n")) return r;
  std::string& buf = socket_.buffer();
  const auto end = buf.find("\r\n\r\n");
  r.raw = buf.substr(0, end + 4);
  r.status = ParseHead(buf.substr(0, end), r.headers);
  buf.erase(0, end + 4);
  return r;
}

std::optional<SseMessage> SseClient::Next() {
  if (!socket_.ReadUntil("\n\n")) return std::nullopt;
  std::string& buf = socket_.buffer();
  const auto end = buf.find("\n\n");
  SseMessage m;
  m.raw = buf.substr(0, end + 2);
  std::istringstream in(buf.substr(0, end + 1));
  buf.erase(0, end + 2);
  std::string line;
  bool has_data = false;
  while (std::getline(in, line)) {
    if (!line.empty() && line[0] == ':') {
      m.comments.push_back(line.substr(1));
      continue;
    }
    const auto colon = line.find(':');
    const std::string field = line.substr(0, colon);
    std::string value = colon == std::string::npos ? "" : line.substr(colon + 1);
    if (!value.empty() && value[0] == ' ') value.erase(0, 1);
    if (field == "event") m.event = value;
    if (field == "id") m.id = value;
    if (field == "retry") m.retry = value;
    if (field == "data") {
      if (has_data) m.data += '\n';
      m.data += value;
      has_data = true;
    }
  }
  return m;
}

std::optional<SseMessage> SseClient::NextEvent() {
  while (auto m = Next()) {
    if (!m->event.empty()) return m;
  }
  return std::nullopt;
}

}  // namespace forkline::testing
