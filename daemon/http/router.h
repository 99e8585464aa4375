#pragma once
// The HTTP API's route table (DESIGN §5): method + request target -> Route. Pure and
// transport-free (no Beast), so it is tested without sockets. Thread-safe (no state).

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "eventstore/status.h"

namespace forkline {

enum class RouteId {
  kStatic,          // GET / and files under web_dir
  kHealthz,         // GET /healthz
  kMetrics,         // GET /metrics
  kWorkflows,       // GET /v1/workflows                      -> workflows.list
  kRunList,         // GET /v1/runs                           -> run.list
  kRunCreate,       // POST /v1/runs                          -> run.create (201)
  kRunGet,          // GET /v1/runs/{id}                      -> run.get
  kRunLineage,      // GET /v1/runs/{id}/lineage              -> run.lineage
  kStepOutput,      // GET /v1/runs/{id}/steps/{index}/output -> run.get, steps[index].output
  kRunAction,       // POST /v1/runs/{id}/{next|pause|resume|cancel|retry|fork}
  kRunAutorun,      // PUT /v1/runs/{id}/autorun              -> run.autorun
  kRunEvents,       // GET /v1/runs/{id}/events               SSE, id = version
  kRunDiff,         // GET /v1/runs/{id}/diff/{other}          folded from the log (tools/)
  kAdminBackup,     // POST /v1/admin/backup {"dir"}          a store checkpoint
  kGlobalEvents,    // GET /v1/events                         SSE, id = position
  // Keep these two last: router_test walks every id before them.
  kNotFound,        // no such route: 404
  kMethodNotAllowed // the path exists, the method does not: 405 with `allow`
};

struct Route {
  RouteId id = RouteId::kNotFound;
  bool head = false;        // a HEAD request (answered like GET, without a body)
  bool needs_auth = false;  // under /v1: the bearer token applies
  std::string run_id;       // {id}, percent-decoded
  std::string other_run_id; // kRunDiff: {other}
  std::string action;       // kRunAction: "next", "pause", …
  std::uint64_t step_index = 0;
  std::string path;         // kStatic: the decoded path, e.g. "/css/app.css"
  std::string allow;        // kMethodNotAllowed: the Allow header value
  std::map<std::string, std::string, std::less<>> query;  // decoded; last value wins
};

// The route for a request. bad_request for a target that is not an origin-form URL or
// a step index that is not a number.
Result<Route> MatchRoute(std::string_view method, std::string_view target);

// One request per route of the table above, for tests that must cover every route (an
// auth or Host check that a new route could escape): router_test fails when a RouteId
// other than kNotFound and kMethodNotAllowed has no example here.
struct RouteExample {
  RouteId id;
  std::string_view method;
  std::string_view target;
};
const std::vector<RouteExample>& RouteExamples();

}  // namespace forkline
