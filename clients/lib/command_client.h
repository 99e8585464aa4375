#pragma once
// A ZeroMQ command client (DESIGN §4): a DEALER socket that sends one request and waits
// for the reply with the same id. Depends only on the wire protocol.
//
// Thread safety: none — use one CommandClient per thread. Replies that arrive after
// their Call timed out are recognised by id and discarded by later Calls.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "eventstore/status.h"

namespace zmq {
class context_t;
class socket_t;
}  // namespace zmq

namespace forkline::client {

struct CommandClientOptions {
  // Daemon endpoint. Default: tcp://127.0.0.1:7710.
  std::string endpoint = "tcp://127.0.0.1:7710";
  // Shared token sent with every request; empty = none.
  std::string token;
  // How long Call waits for a reply. Default: 30 s.
  std::chrono::milliseconds timeout{30000};
  // CURVE: the server's Z85 public key; empty = no encryption. The client's own key pair
  // is generated per connection when left empty.
  std::string curve_server_key;
  std::string curve_public_key;
  std::string curve_secret_key;
};

class CommandClient {
 public:
  explicit CommandClient(CommandClientOptions options);
  ~CommandClient();
  CommandClient(const CommandClient&) = delete;
  CommandClient& operator=(const CommandClient&) = delete;

  // Sends `cmd` with `args` (and `key` when not empty) and returns the reply's `result`.
  // An error reply becomes a Status with the reply's code and message. Without a reply
  // within the timeout (or when the socket cannot be set up) the status is kUnavailable
  // and transport_failed() is true. `timeout` overrides the option for this call.
  Result<boost::json::object> Call(std::string_view cmd, boost::json::object args = {},
                                   std::string_view key = {},
                                   std::optional<std::chrono::milliseconds> timeout = {});

  // True when the last Call failed without a reply from the server.
  bool transport_failed() const { return transport_failed_; }
  const CommandClientOptions& options() const { return options_; }

 private:
  Status Connect();
  Result<boost::json::object> AwaitReply(const std::string& id, std::string_view cmd,
                                         std::chrono::milliseconds timeout);

  CommandClientOptions options_;
  std::unique_ptr<zmq::context_t> context_;
  std::unique_ptr<zmq::socket_t> socket_;
  std::uint64_t next_id_ = 1;
  bool transport_failed_ = false;
};

// The Status code for a wire error code ("not_found" -> kNotFound); kInternal for an
// unknown one.
Code CodeFromWireName(std::string_view name);

}  // namespace forkline::client
