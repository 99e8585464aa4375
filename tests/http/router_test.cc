// The route table, without sockets.

#include "daemon/http/router.h"

#include <gtest/gtest.h>

#include <set>

#include "tests/testutil/status_matchers.h"

namespace forkline {
namespace {

Route Match(std::string_view method, std::string_view target) {
  auto r = MatchRoute(method, target);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : Route{};
}

TEST(RouterTest, Routes) {
  EXPECT_EQ(Match("GET", "/").id, RouteId::kStatic);
  EXPECT_EQ(Match("GET", "/healthz").id, RouteId::kHealthz);
  EXPECT_EQ(Match("GET", "/metrics").id, RouteId::kMetrics);
  EXPECT_EQ(Match("GET", "/v1/workflows").id, RouteId::kWorkflows);
  EXPECT_EQ(Match("GET", "/v1/runs").id, RouteId::kRunList);
  EXPECT_EQ(Match("GET", "/v1/runs/").id, RouteId::kRunList);
  EXPECT_EQ(Match("POST", "/v1/runs").id, RouteId::kRunCreate);
  EXPECT_EQ(Match("GET", "/v1/runs/r1").id, RouteId::kRunGet);
  EXPECT_EQ(Match("GET", "/v1/runs/r1/lineage").id, RouteId::kRunLineage);
  EXPECT_EQ(Match("GET", "/v1/runs/r1/events").id, RouteId::kRunEvents);
  EXPECT_EQ(Match("GET", "/v1/events").id, RouteId::kGlobalEvents);
  EXPECT_EQ(Match("PUT", "/v1/runs/r1/autorun").id, RouteId::kRunAutorun);
  Route step = Match("GET", "/v1/runs/r1/steps/3/output");
  EXPECT_EQ(step.id, RouteId::kStepOutput);
  EXPECT_EQ(step.step_index, 3u);
  Route fork = Match("POST", "/v1/runs/r%2F1/fork?x=1");
  EXPECT_EQ(fork.id, RouteId::kRunAction);
  EXPECT_EQ(fork.action, "fork");
  EXPECT_EQ(fork.run_id, "r/1");
  EXPECT_TRUE(fork.needs_auth);
  EXPECT_FALSE(Match("GET", "/healthz").needs_auth);
}

TEST(RouterTest, QueryIsDecoded) {
  Route r = Match("GET", "/v1/events?types=a%2Cb&kind=k+1&run=");
  EXPECT_EQ(r.query["types"], "a,b");
  EXPECT_EQ(r.query["run"], "");
  EXPECT_EQ(r.query.count("kind"), 1u);
}

TEST(RouterTest, MethodsAndMisses) {
  EXPECT_EQ(Match("GET", "/v1/runs/r1/pause").id, RouteId::kMethodNotAllowed);
  EXPECT_EQ(Match("GET", "/v1/runs/r1/pause").allow, "POST");
  EXPECT_EQ(Match("HEAD", "/v1/runs/r1").id, RouteId::kMethodNotAllowed);
  EXPECT_TRUE(Match("HEAD", "/").head);
  EXPECT_EQ(Match("GET", "/v1/runs/r1/bogus").id, RouteId::kNotFound);
  EXPECT_EQ(Match("GET", "/v2/runs").id, RouteId::kStatic);  // not an API path
  EXPECT_EQ(Match("GET", "/v1").id, RouteId::kNotFound);
  EXPECT_FALSE(MatchRoute("GET", "/v1/runs/r1/steps/-1/output").ok());
  EXPECT_FALSE(MatchRoute("GET", "http://evil/x y").ok());
}

TEST(RouterTest, RouteExamplesCoverEveryRoute) {
  std::set<RouteId> covered;
  for (const RouteExample& e : RouteExamples()) {
    Route r = Match(e.method, e.target);
    EXPECT_EQ(r.id, e.id) << e.method << " " << e.target;
    EXPECT_EQ(r.needs_auth, e.target.substr(0, 4) == "/v1/") << e.target;
    covered.insert(e.id);
  }
  for (int i = 0; i < static_cast<int>(RouteId::kNotFound); ++i) {
    EXPECT_EQ(covered.count(static_cast<RouteId>(i)), 1u)
        << "RouteId " << i << " has no entry in RouteExamples()";
  }
}

}  // namespace
}  // namespace forkline
