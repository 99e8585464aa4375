#pragma once
// A minimal HTTP/SSE client over plain POSIX sockets, independent of Beast, for tests.
// Every read has a 30 s receive timeout as a hang guard (a failure, not a timing
// assertion).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace forkline::testing {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpResponse {
  int status = 0;                              // 0: no parsable response
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::string raw;
};

class TestSocket {
 public:
  // Connects to 127.0.0.1:port; rcvbuf > 0 sets SO_RCVBUF before connecting.
  explicit TestSocket(std::uint16_t port, int rcvbuf = 0);
  ~TestSocket();
  TestSocket(const TestSocket&) = delete;
  TestSocket& operator=(const TestSocket&) = delete;

  bool connected() const { return fd_ >= 0; }
  bool Send(const std::string& bytes);
  // Appends what arrives to buffer(); false on EOF, error or the hang guard.
  bool ReadSome();
  // Reads until the peer closes; returns everything read so far.
  std::string ReadToEnd();
  // Reads until buffer() contains `needle`; false if the stream ended first.
  bool ReadUntil(const std::string& needle);
  std::string& buffer() { return buffer_; }
  // True when the last read ended because the peer closed (EOF or reset), false when
  // it ended on the hang guard.
  bool closed_by_peer() const { return closed_by_peer_; }
  void ShutdownSend();

 private:
  int fd_ = -1;
  bool closed_by_peer_ = false;
  std::string buffer_;
};

// Parses one HTTP response (headers + Content-Length body, or body until close).
HttpResponse ParseResponse(const std::string& raw);

// One request on a fresh connection (Connection: close); the whole response.
HttpResponse Request(std::uint16_t port, const std::string& method, const std::string& target,
                     const std::string& body = "", const Headers& headers = {});

// One SSE message block (the lines before a blank line).
struct SseMessage {
  std::string event;
  std::optional<std::string> id;
  std::string data;
  std::optional<std::string> retry;
  std::vector<std::string> comments;
  std::string raw;  // the block as received, blank line included
};

class SseClient {
 public:
  SseClient(std::uint16_t port, const std::string& target, const Headers& headers = {},
            int rcvbuf = 0);
  // The response head (status line + headers); body bytes stay buffered.
  HttpResponse ReadHead();
  // The next message block; nullopt when the stream ended.
  std::optional<SseMessage> Next();
  // Next message that has an event: line (skipping retry and comments).
  std::optional<SseMessage> NextEvent();
  TestSocket& socket() { return socket_; }

 private:
  TestSocket socket_;
};

}  // namespace forkline::testing
