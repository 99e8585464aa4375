#pragma once
// The seam between the front ends (ZeroMQ, HTTP) and the engine: one command in, one
// reply out. Front ends only translate their wire format to CommandRequest and the
// reply back (DESIGN §4 for names, args and results).

#include <boost/json/object.hpp>
#include <functional>
#include <string>
#include <string_view>

#include "eventstore/status.h"

namespace forkline {

struct CommandRequest {
  std::string id;            // the client's request id, echoed by the front end
  std::string cmd;           // "run.create", "run.next", …
  boost::json::object args;  // the command's arguments
  std::string key;           // idempotency key; empty when none
  std::string origin;        // "zmq" or "http", for logs and metrics
};

// True for the commands that append events (DESIGN §4): they may carry `key` and
// `expect_version`; the others only read.
inline bool IsMutatingCommand(std::string_view cmd) {
  return cmd == "run.create" || cmd == "run.next" || cmd == "run.pause" || cmd == "run.resume" ||
         cmd == "run.autorun" || cmd == "run.cancel" || cmd == "run.retry" || cmd == "run.fork";
}

// The `result` object of a successful reply, or the error.
using CommandReply = Result<boost::json::object>;
using ReplyFn = std::function<void(CommandReply)>;

class CommandHandler {
 public:
  virtual ~CommandHandler() = default;
  // Handles one command. `reply` is called exactly once, from any thread, possibly
  // before Handle returns, possibly much later (run.next answers when the step ends).
  virtual void Handle(CommandRequest request, ReplyFn reply) = 0;
};

}  // namespace forkline
