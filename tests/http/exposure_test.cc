// Exposure (issue 8, item 10): with a token, every /v1 route of the route table and both
// SSE streams answer 401 without it or with a wrong one; a Host outside the allow-list
// gets 403 on every route; `Expect: 100-continue` with a body over the limit is refused
// before the client sends it. The routes come from RouteExamples(), so a new route is
// walked too (router_test fails when a route has no example).

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "daemon/http/host_check.h"
#include "daemon/http/router.h"
#include "tests/http/fake_command_handler.h"
#include "tests/http/fake_event_feed.h"
#include "tests/http/test_client.h"
#include "tests/http/test_server.h"
#include "tests/testutil/status_matchers.h"

namespace forkline::testing {
namespace {

namespace json = boost::json;

constexpr const char* kToken = "exp0sure-t0ken";

bool IsSseRoute(RouteId id) {
  return id == RouteId::kRunEvents || id == RouteId::kGlobalEvents;
}

std::string ErrorCode(const HttpResponse& r) {
  boost::system::error_code ec;
  json::value v = json::parse(r.body, ec);
  if (ec || !v.is_object() || !v.as_object().contains("error")) return "<" + r.raw + ">";
  return std::string(v.at("error").at("code").as_string());
}

// One request with the given Host (none when empty) on a fresh connection. SSE
// answers that are not refused never end: only their head is read.
HttpResponse Send(std::uint16_t port, std::string_view method, std::string_view target,
                  const std::string& host, const Headers& headers = {}) {
  TestSocket s(port);
  std::string req = std::string(method) + " " + std::string(target) + " HTTP/1.1\r\n";
  if (!host.empty()) req += "Host: " + host + "\r\n";
  req += "Connection: close\r\n";
  for (const auto& [k, v] : headers)
    req += k + ": " + v + "\r\n";
  req += method == "POST" || method == "PUT" ? "Content-Length: 2\r\n\r\n{}" : "\r\n";
  if (!s.Send(req)) return {};
  if (!s.ReadUntil("\r\n\r\n")) return ParseResponse(s.buffer());
  HttpResponse head = ParseResponse(s.buffer());
  if (head.headers["content-type"] == "text/event-stream") return head;
  return ParseResponse(s.ReadToEnd());
}

class ExposureTest : public ::testing::Test {
 protected:
  void Start(HttpOptions options) {
    options.log = [](std::string_view) {};
    server_ = std::make_unique<TestServer>(std::move(options), handler_, feed_);
    ASSERT_OK(server_->start_status());
    port_ = server_->port();
    local_ = "127.0.0.1:" + std::to_string(port_);
  }

  FakeCommandHandler handler_;
  FakeEventFeed feed_;
  std::unique_ptr<TestServer> server_;
  std::uint16_t port_ = 0;
  std::string local_;
};

TEST_F(ExposureTest, TokenGuardsEveryV1RouteAndStream) {
  HttpOptions options;
  options.token = kToken;
  Start(std::move(options));
  int walked = 0;
  for (const RouteExample& e : RouteExamples()) {
    const std::string what = std::string(e.method) + " " + std::string(e.target);
    if (e.target.substr(0, 4) != "/v1/") continue;  // the UI, /healthz, /metrics: below
    ++walked;
    const std::vector<Headers> refused = {
        {},
        {{"Authorization", "Bearer wrong"}},
        {{"Authorization", std::string("Bearer ") + kToken + "x"}},
        {{"Authorization", std::string("Basic ") + kToken}}};
    for (const Headers& h : refused) {
      HttpResponse r = Send(port_, e.method, e.target, local_, h);
      EXPECT_EQ(r.status, 401) << what << " " << (h.empty() ? "" : h[0].second);
      EXPECT_EQ(ErrorCode(r), "unauthorized") << what;
      EXPECT_EQ(r.headers["www-authenticate"], "Bearer") << what;
    }
    // ?access_token= is honoured on the SSE streams only, and only when right.
    const std::string with_query = std::string(e.target) + "?access_token=wrong";
    EXPECT_EQ(Send(port_, e.method, with_query, local_).status, 401) << what;
    const std::string with_right = std::string(e.target) + "?access_token=" + kToken;
    EXPECT_EQ(Send(port_, e.method, with_right, local_).status == 401, !IsSseRoute(e.id)) << what;
  }
  EXPECT_GE(walked, 17);
  EXPECT_TRUE(handler_.requests().empty()) << "a refused request reached the handler";

  for (const RouteExample& e : RouteExamples()) {  // the right token passes everywhere
    HttpResponse r = Send(port_, e.method, e.target, local_,
                          {{"Authorization", std::string("Bearer ") + kToken}});
    EXPECT_NE(r.status, 401) << e.method << " " << e.target;
    EXPECT_NE(r.status, 0) << e.method << " " << e.target;
    if (e.target.substr(0, 4) != "/v1/") {  // and the UI, /healthz, /metrics need none
      EXPECT_NE(Send(port_, e.method, e.target, local_).status, 401) << e.target;
    }
  }
  EXPECT_FALSE(handler_.requests().empty());
}

TEST_F(ExposureTest, HostOutsideTheAllowListIsForbiddenOnEveryRoute) {
  HttpOptions options;
  options.token = kToken;
  options.allowed_hosts = DefaultAllowedHosts("127.0.0.1:7711");
  Start(std::move(options));
  const Headers auth = {{"Authorization", std::string("Bearer ") + kToken}};
  const std::string port = std::to_string(port_);
  for (const RouteExample& e : RouteExamples()) {
    const std::string what = std::string(e.method) + " " + std::string(e.target);
    for (const std::string& host :
         {std::string("evil.example"), "evil.example:" + port, "localhost.evil.example:" + port,
          std::string("10.0.0.1"), "127.0.0.1.nip.io:" + port}) {
      HttpResponse r = Send(port_, e.method, e.target, host, auth);
      EXPECT_EQ(r.status, 403) << what << " Host: " << host;
      EXPECT_EQ(ErrorCode(r), "unauthorized") << what;
      EXPECT_NE(r.body.find("allowed_hosts"), std::string::npos) << r.body;
    }
  }
  EXPECT_TRUE(handler_.requests().empty()) << "a refused request reached the handler";
  for (const std::string& host :
       {"127.0.0.1:" + port, "localhost:" + port, std::string("LocalHost"), "[::1]:" + port,
        std::string("127.0.0.1")}) {
    HttpResponse r = Send(port_, "GET", "/v1/workflows", host, auth);
    EXPECT_EQ(r.status, 200) << "Host: " << host << " " << r.raw;
  }
  // A request without Host (HTTP/1.0 tools) is not a browser's: it is let through.
  EXPECT_EQ(Send(port_, "GET", "/healthz", "").status, 200);
}

TEST_F(ExposureTest, ConfiguredHostsOnly) {
  HttpOptions options;
  options.allowed_hosts = {"forkline.example", "ops.example:8443"};
  Start(std::move(options));
  EXPECT_EQ(Send(port_, "GET", "/v1/runs", "forkline.example:7711").status, 200);
  EXPECT_EQ(Send(port_, "GET", "/v1/runs", "ops.example:8443").status, 200);
  EXPECT_EQ(Send(port_, "GET", "/v1/runs", "ops.example:8444").status, 403);
  EXPECT_EQ(Send(port_, "GET", "/v1/runs", local_).status, 403);
}

TEST_F(ExposureTest, BadAllowListIsRefusedAtStart) {
  HttpOptions options;
  options.allowed_hosts = {"bad host"};
  options.bind = "127.0.0.1:0";
  TestServer server(std::move(options), handler_, feed_, false);
  EXPECT_EQ(server.start_status().code(), Code::kBadRequest);
  EXPECT_NE(server.start_status().message().find("allowed_hosts"), std::string::npos);
}

// A client that waits for 100 Continue never sends a body over the limit: the 413
// comes from the headers alone.
TEST_F(ExposureTest, ExpectContinueOverLimitIsRefusedBeforeTheBody) {
  HttpOptions options;
  options.max_body_bytes = 4096;
  Start(std::move(options));
  TestSocket big(port_);
  ASSERT_TRUE(
      big.Send("POST /v1/runs HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: 100-continue\r\n"
               "Content-Type: application/json\r\nContent-Length: 1073741824\r\n\r\n"));
  HttpResponse r = ParseResponse(big.ReadToEnd());  // no body byte was sent
  EXPECT_EQ(r.status, 413) << r.raw;
  EXPECT_EQ(ErrorCode(r), "too_large");
  EXPECT_TRUE(handler_.requests().empty());

  TestSocket small(port_);
  const std::string body = R"({"kind":"quick","input":{}})";
  ASSERT_TRUE(
      small.Send("POST /v1/runs HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: 100-continue\r\n"
                 "Connection: close\r\nContent-Length: " +
                 std::to_string(body.size()) + "\r\n\r\n"));
  ASSERT_TRUE(small.ReadUntil("\r\n\r\n"));
  EXPECT_EQ(small.buffer().rfind("HTTP/1.1 100 Continue\r\n\r\n", 0), 0u) << small.buffer();
  small.buffer().clear();
  ASSERT_TRUE(small.Send(body));
  r = ParseResponse(small.ReadToEnd());
  EXPECT_EQ(r.status, 201) << r.raw;
  ASSERT_EQ(handler_.requests().size(), 1u);
  EXPECT_EQ(handler_.last().cmd, "run.create");
}

}  // namespace
}  // namespace forkline::testing
