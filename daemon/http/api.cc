#include "daemon/http/api.h"

#include <boost/json.hpp>
#include <charconv>

#include "daemon/api/json_numbers.h"

namespace forkline {
namespace json = boost::json;
namespace {

// `body` as a JSON object; empty or blank means {}.
Result<json::object> ParseBody(std::string_view body) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) return json::object();
  json::stream_parser parser;
  boost::system::error_code ec;
  const std::size_t used = parser.write(body.data(), body.size(), ec);
  if (!ec) parser.finish(ec);
  if (ec) {
    return Status::BadRequest("request body is not valid JSON (" + ec.message() +
                              " near byte " + std::to_string(used) + ")");
  }
  json::value v = parser.release();
  if (!v.is_object()) return Status::BadRequest("request body must be a JSON object");
  if (std::string path; FindNonFinite(v, &path)) {
    return Status::BadRequest("request body has a number too large for a double at '" +
                              path.substr(1) + "'");
  }
  return std::move(v.as_object());
}

Status AddRunListQuery(const Route& route, json::object& args) {
  for (const char* name : {"status", "kind", "after"}) {
    auto it = route.query.find(name);
    if (it != route.query.end() && !it->second.empty()) args[name] = it->second;
  }
  auto it = route.query.find("limit");
  if (it != route.query.end() && !it->second.empty()) {
    const std::string& s = it->second;
    std::int64_t limit = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), limit);
    if (ec != std::errc() || end != s.data() + s.size() || limit < 0) {
      return Status::BadRequest("limit must be a non-negative integer, got \"" + s + "\"");
    }
    args["limit"] = limit;
  }
  return Status::Ok();
}

std::string_view CommandName(const Route& route) {
  switch (route.id) {
    case RouteId::kHealthz: return "system.health";
    case RouteId::kWorkflows: return "workflows.list";
    case RouteId::kRunList: return "run.list";
    case RouteId::kRunCreate: return "run.create";
    case RouteId::kRunGet:
    case RouteId::kStepOutput: return "run.get";
    case RouteId::kRunLineage: return "run.lineage";
    case RouteId::kRunAutorun: return "run.autorun";
    default: return "";
  }
}

HttpReply StepOutputReply(const Route& route, const json::object& result) {
  const json::value* steps = result.contains("run") && result.at("run").is_object()
                                 ? result.at("run").as_object().if_contains("steps")
                                 : nullptr;
  if (steps == nullptr || !steps->is_array()) {
    return ErrorReply(Status::Internal("run.get answered without run.steps"));
  }
  const json::array& list = steps->as_array();
  const std::string index = std::to_string(route.step_index);
  if (route.step_index >= list.size()) {
    return ErrorReply(Status::NotFound("run " + route.run_id + " has no step " + index +
                                       " (it has " + std::to_string(list.size()) + ")"));
  }
  const json::value& step = list[route.step_index];
  const json::value* status = step.is_object() ? step.as_object().if_contains("status") : nullptr;
  const json::value* output = step.is_object() ? step.as_object().if_contains("output") : nullptr;
  if (status == nullptr || !status->is_string() || status->as_string() != "completed" ||
      output == nullptr) {
    const std::string st = status && status->is_string() ? std::string(status->as_string())
                                                         : std::string("unknown");
    return ErrorReply(Status::NotFound("step " + index + " of run " + route.run_id + " is " +
                                       st + ": it has no output"));
  }
  return MakeReply(200, "application/json", json::serialize(*output));
}

}  // namespace

HttpReply MakeReply(int status, std::string content_type, std::string body) {
  HttpReply reply;
  reply.status = status;
  reply.content_type = std::move(content_type);
  reply.body = std::move(body);
  return reply;
}

int HttpStatusFor(Code code) {
  switch (code) {
    case Code::kOk: return 200;
    case Code::kBadRequest: return 400;
    case Code::kUnauthorized: return 401;
    case Code::kNotFound: return 404;
    case Code::kConflict: return 409;
    case Code::kTooLarge: return 413;
    case Code::kUnavailable: return 503;
    case Code::kInternal: return 500;
  }
  return 500;
}

std::string ErrorJson(Code code, std::string_view message) {
  json::object error;
  error["code"] = CodeName(code);
  error["message"] = message;
  json::object body;
  body["error"] = std::move(error);
  return json::serialize(body);
}

HttpReply ErrorReply(const Status& status) {
  return ErrorReply(HttpStatusFor(status.code()), status.code(), status.message());
}

HttpReply ErrorReply(int http_status, Code code, std::string_view message) {
  HttpReply reply;
  reply.status = http_status;
  reply.body = ErrorJson(code, message);
  reply.www_authenticate = code == Code::kUnauthorized;
  return reply;
}

bool IsCommandRoute(RouteId id) {
  switch (id) {
    case RouteId::kHealthz:
    case RouteId::kWorkflows:
    case RouteId::kRunList:
    case RouteId::kRunCreate:
    case RouteId::kRunGet:
    case RouteId::kRunLineage:
    case RouteId::kStepOutput:
    case RouteId::kRunAction:
    case RouteId::kRunAutorun: return true;
    default: return false;
  }
}

Result<CommandRequest> CommandFor(const Route& route, std::string_view body) {
  CommandRequest request;
  request.origin = "http";
  request.cmd = route.id == RouteId::kRunAction ? "run." + route.action
                                                : std::string(CommandName(route));
  if (request.cmd.empty()) return Status::Internal("not a command route");
  if (route.id == RouteId::kRunCreate || route.id == RouteId::kRunAction ||
      route.id == RouteId::kRunAutorun) {
    auto args = ParseBody(body);
    if (!args.ok()) return args.status();
    request.args = std::move(*args);
  }
  if (route.id == RouteId::kRunAutorun) {
    const json::value* enabled = request.args.if_contains("enabled");
    if (enabled == nullptr || !enabled->is_bool()) {
      return Status::BadRequest(R"(body must be {"enabled": true} or {"enabled": false})");
    }
  }
  if (route.id == RouteId::kRunList) FL_RETURN_IF_ERROR(AddRunListQuery(route, request.args));
  if (!route.run_id.empty()) request.args["run_id"] = route.run_id;  // the path wins
  return request;
}

HttpReply ReplyFor(const Route& route, const CommandReply& reply) {
  if (!reply.ok()) return ErrorReply(reply.status());
  if (route.id == RouteId::kStepOutput) return StepOutputReply(route, reply->object());
  HttpReply out;
  out.status = route.id == RouteId::kRunCreate ? 201 : 200;
  out.body = reply->text();  // the other routes send the result as it is
  if (route.id != RouteId::kHealthz) return out;
  // A store that refuses writes (a failed sync, a full disk) is not healthy: 503, so that
  // load balancers and supervisors see it; the body says why.
  const json::object& result = reply->object();
  if (const json::value* ok = result.if_contains("ok"); ok && ok->is_bool() && !ok->as_bool()) {
    out.status = 503;
  }
  if (!result.contains("ok")) {
    json::object with_ok = result;
    with_ok["ok"] = true;
    out.body = json::serialize(with_ok);
  }
  return out;
}

}  // namespace forkline
