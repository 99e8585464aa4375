#pragma once
// Helpers for the ZeroMQ front-end tests: a fake CommandHandler and a raw test client.

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/json.hpp>
#include <zmq.hpp>

#include "daemon/api/command.h"

namespace forkline::testing {

// A latch that can be opened once and waited on many times.
class Gate {
 public:
  void Open() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  void Wait() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return open_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

// Commands:
//   echo   -> {cmd, args, key, id, origin} at once, on the calling (socket) thread
//   later  -> the same, from another thread
//   fail   -> the error args.code / args.message
//   block  -> signals `blocked`, waits for `release`, then replies {released: true}
//            from another thread
//   throw  -> throws std::runtime_error
//   twice  -> replies twice
// Anything else -> bad_request "unknown command".
class FakeHandler : public CommandHandler {
 public:
  ~FakeHandler() override { JoinAll(); }
  void Handle(CommandRequest request, ReplyFn reply) override;
  void JoinAll();

  Gate blocked;
  Gate release;

 private:
  static boost::json::object Echo(const CommandRequest& r);
  std::mutex mu_;
  std::vector<std::thread> threads_;
};

// A raw client socket with a receive timeout, so a missing reply fails a test instead
// of hanging it.
class TestClient {
 public:
  struct Curve {
    std::string server_public;
    std::string client_public;
    std::string client_secret;
  };
  TestClient(zmq::context_t& context, const std::string& endpoint,
             zmq::socket_type type = zmq::socket_type::dealer,
             const std::optional<Curve>& curve = std::nullopt);
  void SendFrames(const std::vector<std::string>& frames);
  void Send(const std::string& body) { SendFrames({body}); }
  // Every frame of the next message, or nullopt after `timeout`.
  std::optional<std::vector<std::string>> Recv(
      std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // The JSON of the last frame of the next message; an empty object on timeout.
  boost::json::object RecvJson(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  boost::json::object Call(const std::string& body) {
    Send(body);
    return RecvJson();
  }
  void Close() { socket_.close(); }

 private:
  zmq::socket_t socket_;
};

}  // namespace forkline::testing
