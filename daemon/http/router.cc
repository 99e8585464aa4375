#include "daemon/http/router.h"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <charconv>
#include <vector>

namespace forkline {
namespace {

bool IsAction(std::string_view s) {
  return s == "next" || s == "pause" || s == "resume" || s == "cancel" || s == "retry" ||
         s == "fork";
}

// Sets the route when `method` is one of `allowed` (comma-separated), else 405.
void Allow(Route& route, std::string_view method, std::string_view allowed, RouteId id) {
  const bool head_ok = id == RouteId::kStatic || id == RouteId::kHealthz ||
                       id == RouteId::kMetrics;
  std::string_view m = method == "HEAD" && head_ok ? "GET" : method;
  std::size_t start = 0;
  while (start <= allowed.size()) {
    std::size_t end = allowed.find(',', start);
    if (end == std::string_view::npos) end = allowed.size();
    if (allowed.substr(start, end - start) == m) {
      route.id = id;
      route.head = method == "HEAD";
      return;
    }
    start = end + 1;
  }
  route.id = RouteId::kMethodNotAllowed;
  route.allow = std::string(allowed);
}

void MatchRunRoute(Route& route, std::string_view method, const std::vector<std::string>& seg) {
  // seg[0] == "v1", seg[1] == "runs", seg[2] == {id}
  route.run_id = seg[2];
  if (route.run_id.empty()) return;
  if (seg.size() == 3) return Allow(route, method, "GET", RouteId::kRunGet);
  if (seg.size() == 4) {
    const std::string& what = seg[3];
    if (what == "lineage") return Allow(route, method, "GET", RouteId::kRunLineage);
    if (what == "events") return Allow(route, method, "GET", RouteId::kRunEvents);
    if (what == "autorun") return Allow(route, method, "PUT", RouteId::kRunAutorun);
    if (IsAction(what)) {
      route.action = what;
      return Allow(route, method, "POST", RouteId::kRunAction);
    }
    return;
  }
  if (seg.size() == 5 && seg[3] == "diff" && !seg[4].empty()) {
    route.other_run_id = seg[4];
    return Allow(route, method, "GET", RouteId::kRunDiff);
  }
  if (seg.size() == 6 && seg[3] == "steps" && seg[5] == "output") {
    Allow(route, method, "GET", RouteId::kStepOutput);
  }
}

}  // namespace

Result<Route> MatchRoute(std::string_view method, std::string_view target) {
  auto parsed = boost::urls::parse_origin_form(target);
  if (!parsed) return Status::BadRequest("bad request target: " + parsed.error().message());
  const boost::urls::url_view& url = *parsed;

  Route route;
  for (const auto& p : url.params()) route.query[p.key] = p.has_value ? p.value : "";
  std::vector<std::string> seg;
  for (const auto& s : url.segments()) seg.push_back(s);
  if (seg.size() > 1 && seg.back().empty()) seg.pop_back();  // "/v1/runs/" == "/v1/runs"

  if (seg.empty() || seg[0] != "v1") {
    const std::string path = url.path();
    if (path == "/healthz") {
      Allow(route, method, "GET", RouteId::kHealthz);
    } else if (path == "/metrics") {
      Allow(route, method, "GET", RouteId::kMetrics);
    } else {
      route.path = path.empty() ? "/" : path;
      Allow(route, method, "GET", RouteId::kStatic);
    }
    return route;
  }

  route.needs_auth = true;
  if (seg.size() == 2 && seg[1] == "workflows") {
    Allow(route, method, "GET", RouteId::kWorkflows);
  } else if (seg.size() == 2 && seg[1] == "events") {
    Allow(route, method, "GET", RouteId::kGlobalEvents);
  } else if (seg.size() == 2 && seg[1] == "runs") {
    Allow(route, method, method == "POST" ? "POST" : "GET,POST",
          method == "POST" ? RouteId::kRunCreate : RouteId::kRunList);
  } else if (seg.size() == 3 && seg[1] == "admin" && seg[2] == "backup") {
    Allow(route, method, "POST", RouteId::kAdminBackup);
  } else if (seg.size() >= 3 && seg[1] == "runs") {
    MatchRunRoute(route, method, seg);
  }
  if (route.id == RouteId::kStepOutput) {
    const std::string& idx = seg[4];
    auto [end, ec] = std::from_chars(idx.data(), idx.data() + idx.size(), route.step_index);
    if (ec != std::errc() || end != idx.data() + idx.size()) {
      return Status::BadRequest("step index must be a non-negative integer, got \"" + idx + "\"");
    }
  }
  return route;
}

const std::vector<RouteExample>& RouteExamples() {
  static const std::vector<RouteExample> kExamples = {
      {RouteId::kStatic, "GET", "/"},
      {RouteId::kHealthz, "GET", "/healthz"},
      {RouteId::kMetrics, "GET", "/metrics"},
      {RouteId::kWorkflows, "GET", "/v1/workflows"},
      {RouteId::kRunList, "GET", "/v1/runs"},
      {RouteId::kRunCreate, "POST", "/v1/runs"},
      {RouteId::kRunGet, "GET", "/v1/runs/r_1"},
      {RouteId::kRunLineage, "GET", "/v1/runs/r_1/lineage"},
      {RouteId::kStepOutput, "GET", "/v1/runs/r_1/steps/0/output"},
      {RouteId::kRunAction, "POST", "/v1/runs/r_1/next"},
      {RouteId::kRunAction, "POST", "/v1/runs/r_1/pause"},
      {RouteId::kRunAction, "POST", "/v1/runs/r_1/resume"},
      {RouteId::kRunAction, "POST", "/v1/runs/r_1/cancel"},
      {RouteId::kRunAction, "POST", "/v1/runs/r_1/retry"},
      {RouteId::kRunAction, "POST", "/v1/runs/r_1/fork"},
      {RouteId::kRunAutorun, "PUT", "/v1/runs/r_1/autorun"},
      {RouteId::kRunEvents, "GET", "/v1/runs/r_1/events"},
      {RouteId::kRunDiff, "GET", "/v1/runs/r_1/diff/r_2"},
      {RouteId::kAdminBackup, "POST", "/v1/admin/backup"},
      {RouteId::kGlobalEvents, "GET", "/v1/events"},
  };
  return kExamples;
}

}  // namespace forkline
