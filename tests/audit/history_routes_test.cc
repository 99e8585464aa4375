// The routes that the audit tools add to the HTTP API: matching, methods, auth.

#include <gtest/gtest.h>

#include "daemon/http/router.h"

namespace forkline {
namespace {

Route Match(std::string_view method, std::string_view target) {
  auto r = MatchRoute(method, target);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : Route{};
}

TEST(HistoryRoutesTest, DiffRoute) {
  const Route r = Match("GET", "/v1/runs/r_a/diff/r%5Fb");
  EXPECT_EQ(r.id, RouteId::kRunDiff);
  EXPECT_EQ(r.run_id, "r_a");
  EXPECT_EQ(r.other_run_id, "r_b");
  EXPECT_TRUE(r.needs_auth);
  EXPECT_EQ(Match("POST", "/v1/runs/r_a/diff/r_b").id, RouteId::kMethodNotAllowed);
  EXPECT_EQ(Match("GET", "/v1/runs/r_a/diff").id, RouteId::kNotFound);
  EXPECT_EQ(Match("GET", "/v1/runs/r_a/diff/r_b/x").id, RouteId::kNotFound);
}

TEST(HistoryRoutesTest, AtVersionIsAQueryOfRunGet) {
  const Route r = Match("GET", "/v1/runs/r_a?at_version=7");
  EXPECT_EQ(r.id, RouteId::kRunGet);
  EXPECT_EQ(r.query.at("at_version"), "7");
}

TEST(HistoryRoutesTest, BackupRoute) {
  const Route r = Match("POST", "/v1/admin/backup");
  EXPECT_EQ(r.id, RouteId::kAdminBackup);
  EXPECT_TRUE(r.needs_auth);
  const Route get = Match("GET", "/v1/admin/backup");
  EXPECT_EQ(get.id, RouteId::kMethodNotAllowed);
  EXPECT_EQ(get.allow, "POST");
  EXPECT_EQ(Match("POST", "/v1/admin").id, RouteId::kNotFound);
}

}  // namespace
}  // namespace forkline
