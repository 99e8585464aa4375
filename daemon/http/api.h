#pragma once
// The HTTP API's mapping onto commands (DESIGN §4, §5), independent of the transport:
// a Route and a request body become a CommandRequest; the command's reply becomes an
// HttpReply (status code, JSON body). Errors are `{"error": {"code", "message"}}`.
// Pure functions; thread-safe.

#include <string>
#include <string_view>

#include "daemon/api/command.h"
#include "daemon/http/router.h"

namespace forkline {

struct HttpReply {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::string allow;              // the Allow header for 405
  bool www_authenticate = false;  // 401: add `WWW-Authenticate: Bearer`
};

// A reply with a body of the given content type.
HttpReply MakeReply(int status, std::string content_type, std::string body);

// 400 bad_request, 401 unauthorized, 404 not_found, 409 conflict, 413 too_large,
// 503 unavailable, 500 internal.
int HttpStatusFor(Code code);
std::string ErrorJson(Code code, std::string_view message);
// An error reply with the status that belongs to the code.
HttpReply ErrorReply(const Status& status);
// An error reply with an explicit HTTP status (405, 414, 431 …) and a contract code.
HttpReply ErrorReply(int http_status, Code code, std::string_view message);

// True for routes answered by one command through the CommandHandler.
bool IsCommandRoute(RouteId id);
// The command for a command route. bad_request when the body is not a JSON object
// (empty means {}), a query parameter has the wrong type, or autorun lacks `enabled`.
Result<CommandRequest> CommandFor(const Route& route, std::string_view body);
// The HTTP reply for a command route's reply: 201 for run.create, 200 with the
// `result` object otherwise; for kStepOutput the step's output, 404 if not completed.
HttpReply ReplyFor(const Route& route, const CommandReply& reply);

}  // namespace forkline
