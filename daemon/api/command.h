#pragma once
// The seam between the front ends (ZeroMQ, HTTP) and the engine: one command in, one
// reply out. Front ends only translate their wire format to CommandRequest and the
// reply back (DESIGN §4 for names, args and results).

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cstdint>
#include <functional>
#include <memory>
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

// The `result` object of a successful reply: the JSON text the front ends send and, when
// built from a DOM or once asked for, that DOM (parsed from the text on first use: tests
// and the HTTP step-output route read fields; the front ends only copy the text). The
// engine writes run replies straight to text (projections/run_json.h AppendRunJson).
// A copy shares the DOM; one object is used by one thread at a time.
class CommandResult {
 public:
  // From a DOM: serialised once, here. run_id()/version() come from its "run", if any.
  CommandResult(boost::json::object object)  // NOLINT(google-explicit-constructor)
      : text_(boost::json::serialize(object)) {
    if (const auto* run = object.if_contains("run"); run != nullptr && run->is_object()) {
      if (const auto* id = run->get_object().if_contains("id"); id && id->is_string()) {
        run_id_ = id->get_string();
      }
      if (const auto* v = run->get_object().if_contains("version"); v && v->is_number()) {
        version_ = v->to_number<std::uint64_t>();
      }
    }
    object_ = std::make_shared<const boost::json::object>(std::move(object));
  }
  // From text: `json_object` is a serialised JSON object about run `run_id` at `version`.
  static CommandResult Rendered(std::string json_object, std::string run_id, std::uint64_t version) {
    CommandResult r;
    r.text_ = std::move(json_object);
    r.run_id_ = std::move(run_id);
    r.version_ = version;
    return r;
  }

  const std::string& text() const { return text_; }
  const boost::json::object& object() const {
    if (!object_) {
      object_ = std::make_shared<const boost::json::object>(boost::json::parse(text_).as_object());
    }
    return *object_;
  }
  // The run the result shows ("run"), for logs; empty / 0 when none.
  const std::string& run_id() const { return run_id_; }
  std::uint64_t version() const { return version_; }

 private:
  CommandResult() = default;
  std::string text_;
  mutable std::shared_ptr<const boost::json::object> object_;
  std::string run_id_;
  std::uint64_t version_ = 0;
};

// The result of a successful reply, or the error.
using CommandReply = Result<CommandResult>;

// The reply with its result as a DOM, for callers that read its fields (tests, tools).
inline Result<boost::json::object> ReplyObject(const CommandReply& reply) {
  if (!reply.ok()) return reply.status();
  return reply->object();
}
using ReplyFn = std::function<void(CommandReply)>;

class CommandHandler {
 public:
  virtual ~CommandHandler() = default;
  // Handles one command. `reply` is called exactly once, from any thread, possibly
  // before Handle returns, possibly much later (run.next answers when the step ends).
  virtual void Handle(CommandRequest request, ReplyFn reply) = 0;
};

}  // namespace forkline
