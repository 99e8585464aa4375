#pragma once
// The ZeroMQ front end (DESIGN §4): a ROUTER socket that turns each request into one
// CommandHandler::Handle call and sends exactly one reply back with the request's
// envelope.
//
// Wire rules:
// * DEALER clients send one frame (the request); REQ clients' empty delimiter is kept.
//   The envelope is the routing id frame(s) up to and including the first empty frame
//   (or just the routing id when there is none); the reply is that envelope plus one
//   JSON frame. More than one frame after the envelope is a bad_request.
// * Malformed requests get bad_request naming the problem; a request whose body is over
//   max_message_bytes gets too_large without being parsed. ZMQ_MAXMSGSIZE is set to
//   max(2 × max_message_bytes, max_message_bytes + 1 MiB): a frame between the two
//   limits is read and answered too_large; only a frame beyond the hard limit makes
//   libzmq drop that connection unanswered — the price of never buffering unbounded
//   input.
// * With a token configured, requests without the right `token` get unauthorized
//   (constant-time compare). Unknown commands go to the handler like any other.
// * With CURVE keys configured the socket is a CURVE server; with allowed client keys a
//   ZAP handler admits only those.
// * ZMQ_ROUTER_MANDATORY is on: a reply to a client that has gone away is logged, not
//   silently dropped. A reply that cannot be queued because the client is not reading
//   (its pipe is full) is retried for up to send_timeout_ms, then dropped with a log
//   line (at most one a second, counting the drops in between).
//
// Threads: one thread (started by Start) owns every socket. The handler is called on
// that thread and must not block; its reply may come from any thread at any time:
// it is encoded there and handed over through a mutex-protected queue that wakes the
// socket thread through an eventfd. Start/Stop must be called from one thread.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "daemon/api/command.h"
#include "daemon/zmq/reply_queue.h"
#include "eventstore/status.h"

namespace zmq {
class context_t;
class socket_t;
class message_t;
}  // namespace zmq

namespace forkline {

class ZapHandler;

struct ZmqOptions {
  using LogFn = std::function<void(std::string_view level, std::string_view msg)>;

  // Endpoint to bind. "tcp://127.0.0.1:0" or "tcp://*:0" pick a free port; endpoint()
  // tells which. Default: tcp://127.0.0.1:7710.
  std::string bind = "tcp://127.0.0.1:7710";
  // Largest request body answered normally; larger ones get too_large. 0 = no limit.
  // Default: 16 MiB.
  std::size_t max_message_bytes = 16u << 20;
  // Shared token every request must carry; empty = none. Default: empty.
  std::string token;
  // CURVE server secret key (Z85, 40 chars); empty = no encryption. Default: empty.
  std::string curve_server_secret_key;
  // Optional CURVE server public key (Z85); when set it must match the secret key.
  std::string curve_server_public_key;
  // Z85 public keys of the clients let in; empty = any CURVE client. Needs CURVE.
  std::vector<std::string> curve_allowed_client_keys;
  // How long Stop waits for queued replies to leave (ZMQ_LINGER). Default: 1000 ms.
  int linger_ms = 1000;
  // How long a reply to a client that does not read is retried. Default: 5000 ms.
  int send_timeout_ms = 5000;
  // Log sink, called from the socket thread and from reply threads. Default: stderr.
  LogFn log;
};

class ZmqServer {
 public:
  ZmqServer(ZmqOptions options, CommandHandler& handler);
  ~ZmqServer();  // Stop()s
  ZmqServer(const ZmqServer&) = delete;
  ZmqServer& operator=(const ZmqServer&) = delete;

  // Validates the options, binds and starts the socket thread. kBadRequest for bad
  // options or keys, kUnavailable when the endpoint cannot be bound (message names the
  // endpoint and the reason), kInternal otherwise.
  Status Start();
  // Stops taking requests, sends the replies already queued, closes the socket and
  // joins the thread. Replies that arrive later are dropped with a log line. Idempotent.
  void Stop();
  // The bound endpoint (ZMQ_LAST_ENDPOINT), e.g. "tcp://127.0.0.1:41234"; empty before
  // Start.
  const std::string& endpoint() const { return endpoint_; }

 private:
  Status OpenSockets();
  void Loop();
  void ReadRequests();
  void HandleMessage(std::vector<zmq::message_t>& frames, std::size_t frame_count);
  void Reject(std::vector<std::string> envelope, const Status& status);
  void SendReplies(bool final_pass);
  bool TrySend(const OutgoingReply& reply);
  // Logs a dropped reply at most once a second (with how many were dropped since), so
  // a flood of clients that never read cannot flood the log. Socket thread only.
  void LogDropped(std::string_view why, bool flush = false);
  void Log(std::string_view level, std::string_view msg) const { options_.log(level, msg); }

  ZmqOptions options_;
  CommandHandler& handler_;
  std::string endpoint_;
  std::unique_ptr<zmq::context_t> context_;
  std::unique_ptr<zmq::socket_t> router_;  // owned by the socket thread once started
  std::unique_ptr<ZapHandler> zap_;        // likewise; null without an allow-list
  std::shared_ptr<ReplyQueue> queue_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  struct Unsent {
    OutgoingReply reply;
    std::chrono::steady_clock::time_point deadline;
  };
  std::vector<Unsent> unsent_;  // socket thread only: replies whose pipe was full
  std::chrono::steady_clock::time_point drop_logged_at_{};  // socket thread only
  std::uint64_t drops_unlogged_ = 0;                        // socket thread only
};

}  // namespace forkline
