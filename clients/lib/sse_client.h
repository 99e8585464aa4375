#pragma once
// A minimal server-sent-events client: HTTP/1.1 GET over TCP (Boost.Beast), the body
// parsed as text/event-stream (see SseParser), one callback per event. After a dropped
// connection it reconnects, waiting the server's retry: delay, and sends Last-Event-ID
// so the server resumes after the last event seen.
//
// Thread safety: Run blocks the calling thread and calls the callback on it; Stop may be
// called from any thread.

#include <chrono>
#include <functional>
#include <mutex>
#include <string>

#include "clients/lib/sse_parser.h"
#include "eventstore/status.h"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace forkline::client {

struct SseClientOptions {
  std::string host = "127.0.0.1";
  std::string port = "7711";
  // Request target, e.g. "/v1/runs/r_1/events".
  std::string target;
  // Sent as "Authorization: Bearer <token>"; empty = none.
  std::string token;
  // Resume after this event id (sent as Last-Event-ID); empty = from the start.
  std::string last_event_id;
  // Reconnect after the connection drops or the stream ends. Default: true.
  bool reconnect = true;
  // Run gives up (kUnavailable) after this many connection attempts in a row that did
  // not get a stream. 0 = never. Default: 10.
  int max_failed_connects = 10;
  // Delay before reconnecting until the server sends retry:. Default: 1000 ms.
  std::chrono::milliseconds retry_delay{1000};
  // A connection silent for this long is taken for dead and reconnected. Default: 60 s
  // (the daemon sends a keepalive comment every 15 s).
  std::chrono::milliseconds idle_timeout{60000};
  // Default: 5 s.
  std::chrono::milliseconds connect_timeout{5000};
};

class SseClient {
 public:
  // Return false to stop the stream (Run then returns Ok).
  using EventFn = std::function<bool(const SseEvent&)>;

  explicit SseClient(SseClientOptions options) : options_(std::move(options)) {}
  ~SseClient() = default;
  SseClient(const SseClient&) = delete;
  SseClient& operator=(const SseClient&) = delete;

  // Streams until the callback returns false or Stop is called (Ok), the stream ends
  // with reconnect off (Ok), the server answers with an HTTP error (its code and
  // message: 404 -> kNotFound, 401 -> kUnauthorized, …; no reconnect), or too many
  // connection attempts fail (kUnavailable).
  Status Run(EventFn on_event);
  // Makes Run return soon. Safe from any thread, also before Run.
  void Stop();

  // The last event id seen (what a reconnect sends). Read after Run returns.
  const std::string& last_event_id() const { return last_event_id_; }
  // How many connections got a 200 event stream so far.
  int connections() const { return connections_; }

 private:
  class Session;

  SseClientOptions options_;
  std::string last_event_id_;
  int connections_ = 0;
  std::mutex mu_;  // guards io_ and stop_requested_
  boost::asio::io_context* io_ = nullptr;
  bool stop_requested_ = false;
};

}  // namespace forkline::client
