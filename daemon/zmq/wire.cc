#include "daemon/zmq/wire.h"

#include <exception>
#include <string>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "daemon/api/json_numbers.h"

namespace forkline {
namespace {

namespace json = boost::json;

const char* KindName(json::kind k) {
  switch (k) {
    case json::kind::null:
      return "null";
    case json::kind::bool_:
      return "a boolean";
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_:
      return "a number";
    case json::kind::string:
      return "a string";
    case json::kind::array:
      return "an array";
    case json::kind::object:
      return "an object";
  }
  return "unknown";
}

// Copies an optional string field; a present field of another type is an error.
Status OptionalString(const json::object& obj, std::string_view name, std::string* out) {
  const json::value* v = obj.if_contains(name);
  if (v == nullptr || v->is_null()) return Status::Ok();
  if (!v->is_string()) {
    return Status::BadRequest("field '" + std::string(name) + "' must be a string, got " +
                              KindName(v->kind()));
  }
  *out = std::string(v->get_string());
  return Status::Ok();
}

Status FillRequest(json::object& obj, WireRequest* req) {
  const json::value* cmd = obj.if_contains("cmd");
  if (cmd == nullptr) return Status::BadRequest("request has no 'cmd' field");
  if (!cmd->is_string()) {
    return Status::BadRequest(std::string("field 'cmd' must be a string, got ") +
                              KindName(cmd->kind()));
  }
  if (cmd->get_string().empty()) return Status::BadRequest("field 'cmd' is empty");
  req->cmd = std::string(cmd->get_string());
  if (json::value* args = obj.if_contains("args"); args != nullptr && !args->is_null()) {
    if (!args->is_object()) {
      return Status::BadRequest(std::string("field 'args' must be an object, got ") +
                                KindName(args->kind()));
    }
    req->args = std::move(args->get_object());
  }
  FL_RETURN_IF_ERROR(OptionalString(obj, "key", &req->key));
  FL_RETURN_IF_ERROR(OptionalString(obj, "token", &req->token));
  return Status::Ok();
}

}  // namespace

Result<WireRequest> ParseWireRequest(std::string_view body, json::value* id_out) {
  if (body.empty()) return Status::BadRequest("request frame is empty; expected a JSON object");
  json::value parsed;
  try {
    boost::system::error_code ec;
    parsed = json::parse(body, ec);
    if (ec) return Status::BadRequest("request is not valid JSON: " + ec.message());
  } catch (const std::exception& e) {
    return Status::BadRequest(std::string("request is not valid JSON: ") + e.what());
  }
  if (!parsed.is_object()) {
    return Status::BadRequest(std::string("request must be a JSON object, got ") +
                              KindName(parsed.kind()));
  }
  if (std::string path; FindNonFinite(parsed, &path)) {
    return Status::BadRequest("request has a number too large for a double at '" +
                              path.substr(1) + "'");
  }
  json::object& obj = parsed.get_object();
  WireRequest req;
  if (const json::value* id = obj.if_contains("id")) req.id = *id;
  if (id_out != nullptr) *id_out = req.id;
  FL_RETURN_IF_ERROR(FillRequest(obj, &req));
  return req;
}

std::string EncodeWireReply(const json::value& id, const CommandReply& reply) {
  if (reply.ok()) {  // the same bytes as serialising {id, ok, result}, without copying result
    std::string out = "{\"id\":";
    out += json::serialize(id);
    out += ",\"ok\":true,\"result\":";
    out += reply->text();
    out += '}';
    return out;
  }
  json::object out;
  out["id"] = id;
  out["ok"] = false;
  out["error"] = json::object{{"code", CodeName(reply.status().code())},
                              {"message", reply.status().message()}};
  return json::serialize(out);
}

std::string IdForHandler(const json::value& id) {
  if (id.is_null()) return "";
  if (id.is_string()) return std::string(id.get_string());
  return json::serialize(id);
}

}  // namespace forkline
