#pragma once
// The JSON of the ZeroMQ command protocol (DESIGN §4): parsing one request body and
// encoding one reply. Pure functions, no sockets; safe from any thread.
//
//   request: {"id": <any JSON>, "cmd": "<name>", "args": {…}, "key": "…", "token": "…"}
//   reply:   {"id": <echoed>, "ok": true,  "result": {…}}
//            {"id": <echoed>, "ok": false, "error": {"code": "…", "message": "…"}}

#include <string>
#include <string_view>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "daemon/api/command.h"
#include "eventstore/status.h"

namespace forkline {

struct WireRequest {
  boost::json::value id;  // as sent; null when absent
  std::string cmd;
  boost::json::object args;  // empty when absent
  std::string key;           // empty when absent
  std::string token;         // empty when absent
};

// Parses one request body. Any problem (not JSON, not an object, no `cmd`, a field of
// the wrong type) is a kBadRequest status whose message names it. `id_out`, when not
// null, receives the request's `id` whenever the body was a JSON object, so that even
// an error reply can echo it.
Result<WireRequest> ParseWireRequest(std::string_view body, boost::json::value* id_out);

// The one-line JSON reply for `reply`, echoing `id`.
std::string EncodeWireReply(const boost::json::value& id, const CommandReply& reply);

// The id as the command handler sees it: the string itself when it is a string, its
// JSON text otherwise, "" when null.
std::string IdForHandler(const boost::json::value& id);

}  // namespace forkline
