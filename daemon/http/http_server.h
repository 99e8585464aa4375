#pragma once
// Forkline's HTTP front end (DESIGN §5, §7): the JSON API over the CommandHandler, the
// SSE streams over the EventFeed, /healthz, /metrics and the web UI's files.
//
// Threading: the server runs on the caller's io_context, which may be run by several
// threads; every connection has its own strand. Start() and Stop() may be called from
// any thread. The handler and the feed must outlive the io_context's handlers (Stop(),
// then let the io_context finish, then destroy them).

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/api/command.h"
#include "daemon/api/feed.h"
#include "eventstore/status.h"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace forkline {

struct ServerState;

struct HttpOptions {
  // "host:port" or "[v6]:port"; port 0 picks a free port (see HttpServer::port()).
  // Default: 127.0.0.1:7711.
  std::string bind = "127.0.0.1:7711";
  // When set, every /v1 request needs `Authorization: Bearer <token>` (SSE GETs may
  // pass ?access_token=). Default: none.
  std::string token;
  // Seconds between `: keepalive` comments on an idle SSE stream. Default: 15.
  int sse_keepalive_s = 15;
  // Largest request body; larger gets 413 too_large. Default: 16 MiB.
  std::size_t max_body_bytes = 16u << 20;
  // Largest request line plus headers; larger gets 431. Default: 16 KiB.
  std::size_t max_header_bytes = 16u << 10;
  // A connection idle (or a write stalled) this long is closed. Default: 60.
  int idle_timeout_s = 60;
  // Once a request's first byte has arrived, its request line and headers must be
  // complete within this many seconds (or idle_timeout_s, if shorter), or the
  // connection is closed without a reply (slowloris). Default: 10.
  int header_timeout_s = 10;
  // Host header allow-list (daemon/http/host_check.h); a request with a Host outside
  // it gets 403 with code `unauthorized`, on every route. Empty: any host. Default: {}
  // (forklined fills in DefaultAllowedHosts for a loopback bind).
  std::vector<std::string> allowed_hosts;
  // Frames an SSE stream may have queued; one more and the stream is closed (the
  // client resumes with Last-Event-ID). Default: 1024.
  std::size_t sse_queue_limit = 1024;
  // History items read per EventFeed call while an SSE stream catches up. Default: 256.
  std::size_t sse_page_size = 256;
  // SO_SNDBUF for SSE sockets; 0 keeps the system's. Default: 0.
  int sse_send_buffer_bytes = 0;
  // Folder with the web UI (index.html …); empty or missing: a built-in notice page.
  std::string web_dir;
  // POST /v1/admin/backup {"dir": "/abs/path"}: writes a consistent copy of the store
  // into `dir` (which must not exist) while the daemon runs. Called on an HTTP io
  // thread. Unset: the route answers 503 unavailable. Default: unset.
  std::function<Status(const std::string& dir)> backup;
  // Receives one line per error worth logging; may be called from any thread.
  std::function<void(std::string_view)> log;
};

class HttpServer {
 public:
  HttpServer(HttpOptions options, CommandHandler& handler, EventFeed& feed,
             boost::asio::io_context& ioc);
  // Stops the server if it is still running.
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds, listens and starts accepting. Errors name the address, e.g.
  // "cannot bind 127.0.0.1:7711: address in use" (unavailable) or a bad `bind`
  // (bad_request). Call once.
  Status Start();
  // Stops accepting and closes every connection and SSE stream (asynchronously, on
  // their strands). Idempotent.
  void Stop();
  // The bound port (useful with port 0); 0 before Start().
  std::uint16_t port() const;

 private:
  class Listener;
  boost::asio::io_context& ioc_;
  std::shared_ptr<ServerState> state_;
  std::shared_ptr<Listener> listener_;
};

}  // namespace forkline
