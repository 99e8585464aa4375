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
#include "projections/run_json.h"

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

// The `result` object of a successful reply: the JSON text the front ends send, and the
// DOM when it was built from one. The engine writes run replies straight to text
// (projections/run_json.h AppendRunJson); object() parses such text again — for tests and
// tools, never on a front end's path (a reparse could round the last digit of a double).
// Immutable once made: copies share the DOM, any thread may read it.
class CommandResult {
 public:
  // From a DOM: serialised once, here. run_id()/version() come from its "run", if any.
  CommandResult(boost::json::object object)  // NOLINT(google-explicit-constructor)
      : text_(boost::json::serialize(object)) {
    if (const auto* run = object.if_contains("run"); run != nullptr && run->is_object()) {
      if (const auto* id = run->get_object().if_contains("id"); id && id->is_string()) {
        run_id_ = id->get_string();
      }
      if (const auto* v = run->get_object().if_contains("version"); v && v->is_uint64()) {
        version_ = v->get_uint64();
      } else if (v && v->is_int64() && v->get_int64() >= 0) {
        version_ = static_cast<std::uint64_t>(v->get_int64());
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
  // The DOM: the one it was built from, or the text parsed (as deep as stored JSON may
  // nest). A copy either way.
  boost::json::object object() const {
    if (object_) return *object_;
    return boost::json::parse(text_, {}, StoredJsonOptions()).as_object();
  }
  // The run the result shows ("run"), for logs; empty / 0 when none.
  const std::string& run_id() const { return run_id_; }
  std::uint64_t version() const { return version_; }

 private:
  CommandResult() = default;
  std::string text_;
  std::shared_ptr<const boost::json::object> object_;  // null when made from text
  std::string run_id_;
  std::uint64_t version_ = 0;
};

// A reply's result may be given as a json::object (see Result's converting constructor).
template <>
struct ImplicitResultConversion<CommandResult> : std::true_type {};

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
