#pragma once
// A real HttpServer on 127.0.0.1, port 0, on an io_context run by two threads, for
// tests. Keeps Asio out of the test files.

#include <cstdint>
#include <memory>

#include "daemon/http/http_server.h"

namespace forkline::testing {

class TestServer {
 public:
  // Starts at once; with `ephemeral`, `options.bind` is replaced by 127.0.0.1:0.
  // Check start_status().
  TestServer(HttpOptions options, CommandHandler& handler, EventFeed& feed,
             bool ephemeral = true);
  ~TestServer();
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  const Status& start_status() const { return start_status_; }
  std::uint16_t port() const { return server_->port(); }
  HttpServer& server() { return *server_; }

 private:
  struct Io;
  std::unique_ptr<Io> io_;
  std::unique_ptr<HttpServer> server_;
  Status start_status_;
};

}  // namespace forkline::testing
