// The JSON API over a real socket: every route to the right command, status codes,
// error bodies, token, Idempotency-Key, limits and garbage input.

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <thread>

#include "tests/http/fake_command_handler.h"
#include "tests/http/fake_event_feed.h"
#include "tests/http/test_client.h"
#include "tests/http/test_server.h"
#include "tests/testutil/status_matchers.h"

namespace forkline::testing {
namespace {

namespace json = boost::json;

json::object Body(const HttpResponse& r) {
  boost::system::error_code ec;
  json::value v = json::parse(r.body, ec);
  return !ec && v.is_object() ? v.as_object() : json::object();
}

std::string ErrorCode(const HttpResponse& r) {
  auto body = Body(r);
  const json::value* e = body.if_contains("error");
  if (e == nullptr || !e->is_object()) return "<no error body: " + r.body + ">";
  return std::string(e->as_object().at("code").as_string());
}

class HttpApiTest : public ::testing::Test {
 protected:
  void Start(HttpOptions options = {}) {
    server_ = std::make_unique<TestServer>(std::move(options), handler_, feed_);
    ASSERT_OK(server_->start_status());
    port_ = server_->port();
  }
  HttpResponse Call(const std::string& method, const std::string& target,
                    const std::string& body = "", const Headers& headers = {}) {
    return Request(port_, method, target, body, headers);
  }

  FakeCommandHandler handler_;
  FakeEventFeed feed_;
  std::unique_ptr<TestServer> server_;
  std::uint16_t port_ = 0;
};

TEST_F(HttpApiTest, QueryRoutesSendTheirCommands) {
  Start();
  auto r = Call("GET", "/v1/workflows");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers["content-type"], "application/json");
  EXPECT_EQ(Body(r).at("cmd"), "workflows.list");
  EXPECT_EQ(handler_.last().origin, "http");

  r = Call("GET", "/v1/runs?status=running&kind=novel_to_script&limit=5&after=r_9");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(handler_.last().cmd, "run.list");
  EXPECT_EQ(json::value(handler_.last().args),
            json::parse(R"({"status":"running","kind":"novel_to_script","limit":5,"after":"r_9"})"));

  r = Call("GET", "/v1/runs/r%201");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(handler_.last().cmd, "run.get");
  EXPECT_EQ(handler_.last().args.at("run_id"), "r 1");

  r = Call("GET", "/v1/runs/r1/lineage");
  EXPECT_EQ(handler_.last().cmd, "run.lineage");
  EXPECT_EQ(handler_.last().args.at("run_id"), "r1");
}

TEST_F(HttpApiTest, BadQueryIsBadRequest) {
  Start();
  auto r = Call("GET", "/v1/runs?limit=ten");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(ErrorCode(r), "bad_request");
  EXPECT_NE(r.body.find("limit"), std::string::npos) << r.body;
  EXPECT_TRUE(handler_.requests().empty());
}

TEST_F(HttpApiTest, CreateIs201WithBodyArgs) {
  Start();
  auto r = Call("POST", "/v1/runs", R"({"kind":"novel_to_script","input":{"text":"x"}})",
                {{"Content-Type", "application/json"}, {"Idempotency-Key", "k-1"}});
  EXPECT_EQ(r.status, 201);
  const CommandRequest req = handler_.last();
  EXPECT_EQ(req.cmd, "run.create");
  EXPECT_EQ(req.key, "k-1");
  EXPECT_EQ(json::value(req.args), json::parse(R"({"kind":"novel_to_script","input":{"text":"x"}})"));
}

TEST_F(HttpApiTest, RunActionsTakeBodyAndPathRunId) {
  Start();
  for (std::string action : {"next", "pause", "resume", "cancel", "retry", "fork"}) {
    auto r = Call("POST", "/v1/runs/r7/" + action);
    EXPECT_EQ(r.status, 200) << action << ": " << r.raw;
    EXPECT_EQ(handler_.last().cmd, "run." + action);
    EXPECT_EQ(json::value(handler_.last().args), json::parse(R"({"run_id":"r7"})"));
  }
  auto r = Call("POST", "/v1/runs/r7/fork", R"({"at":2,"run_id":"other","title":"B"})");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(json::value(handler_.last().args),
            json::parse(R"({"at":2,"run_id":"r7","title":"B"})"));
  r = Call("POST", "/v1/runs/r7/pause", R"({"abort_step":true})", {{"Idempotency-Key", "p"}});
  EXPECT_EQ(handler_.last().args.at("abort_step"), true);
  EXPECT_EQ(handler_.last().key, "p");
}

TEST_F(HttpApiTest, AutorunNeedsEnabledBool) {
  Start();
  auto r = Call("PUT", "/v1/runs/r1/autorun", R"({"enabled":true})");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(handler_.last().cmd, "run.autorun");
  EXPECT_EQ(json::value(handler_.last().args), json::parse(R"({"enabled":true,"run_id":"r1"})"));
  r = Call("PUT", "/v1/runs/r1/autorun", R"({"enabled":"yes"})");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("enabled"), std::string::npos);
  r = Call("POST", "/v1/runs/r1/autorun", R"({"enabled":true})");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.headers["allow"], "PUT");
}

TEST_F(HttpApiTest, BadJsonBodiesNameTheProblem) {
  Start();
  auto r = Call("POST", "/v1/runs", R"({"kind": )");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(ErrorCode(r), "bad_request");
  EXPECT_NE(r.body.find("not valid JSON"), std::string::npos) << r.body;
  r = Call("POST", "/v1/runs", "[1,2]");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("must be a JSON object"), std::string::npos) << r.body;
  // Read as infinity by the parser, it could only be written back as `Infinity`.
  r = Call("POST", "/v1/runs", R"({"kind": "k", "input": {"n": [1, 1e400]}})");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("too large for a double at 'input.n[1]'"), std::string::npos) << r.body;
  EXPECT_TRUE(handler_.requests().empty());
}

TEST_F(HttpApiTest, CommandErrorsMapToStatusCodes) {
  Start();
  const std::pair<Status, int> cases[] = {
      {Status::BadRequest("b"), 400}, {Status::Unauthorized("u"), 401},
      {Status::NotFound("run r1 does not exist"), 404}, {Status::Conflict("c"), 409},
      {Status::TooLarge("t"), 413}, {Status::Unavailable("v"), 503}, {Status::Internal("i"), 500}};
  for (const auto& [status, code] : cases) {
    handler_.SetReply("run.get", status);
    auto r = Call("GET", "/v1/runs/r1");
    EXPECT_EQ(r.status, code);
    EXPECT_EQ(json::parse(r.body), json::parse(R"({"error":{"code":")" +
                                               std::string(CodeName(status.code())) +
                                               R"(","message":")" + status.message() + "\"}}"));
  }
}

TEST_F(HttpApiTest, UnknownRoutesAndWrongMethods) {
  Start();
  auto r = Call("GET", "/v1/nothing");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(ErrorCode(r), "not_found");
  r = Call("GET", "/v1/runs/r1/explode");
  EXPECT_EQ(r.status, 404);
  r = Call("DELETE", "/v1/runs/r1");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.headers["allow"], "GET");
  r = Call("GET", "/v1/runs/r1/next");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.headers["allow"], "POST");
  r = Call("PATCH", "/v1/runs");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.headers["allow"], "GET,POST");
  EXPECT_TRUE(handler_.requests().empty());
}

TEST_F(HttpApiTest, StepOutput) {
  Start();
  handler_.SetReply("run.get", json::parse(R"({"run":{"id":"r1","steps":[
      {"index":0,"status":"completed","output":{"words":12}},
      {"index":1,"status":"pending"}]}})").as_object());
  auto r = Call("GET", "/v1/runs/r1/steps/0/output");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body), json::parse(R"({"words":12})"));
  EXPECT_EQ(handler_.last().cmd, "run.get");
  r = Call("GET", "/v1/runs/r1/steps/1/output");
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(r.body.find("pending"), std::string::npos);
  r = Call("GET", "/v1/runs/r1/steps/9/output");
  EXPECT_EQ(r.status, 404);
  r = Call("GET", "/v1/runs/r1/steps/x/output");
  EXPECT_EQ(r.status, 400);
}

TEST_F(HttpApiTest, TokenGuardsV1Only) {
  HttpOptions options;
  options.token = "s3cret";
  Start(options);
  auto r = Call("GET", "/v1/workflows");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(ErrorCode(r), "unauthorized");
  EXPECT_EQ(r.headers["www-authenticate"], "Bearer");
  EXPECT_EQ(Call("GET", "/v1/workflows", "", {{"Authorization", "Bearer nope"}}).status, 401);
  EXPECT_EQ(Call("GET", "/v1/workflows", "", {{"Authorization", "Bearer s3cret"}}).status, 200);
  EXPECT_EQ(Call("GET", "/v1/workflows?access_token=s3cret").status, 401);  // SSE only
  EXPECT_EQ(Call("GET", "/healthz").status, 200);
  EXPECT_EQ(Call("GET", "/metrics").status, 200);
  EXPECT_EQ(handler_.requests().size(), 2u);  // one workflows.list, one system.health
}

TEST_F(HttpApiTest, HealthzAndMetrics) {
  Start();
  handler_.SetReply("system.health", json::parse(R"({"ok":true,"version":"0.1.0"})").as_object());
  auto r = Call("GET", "/healthz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(Body(r).at("ok"), true);
  handler_.SetReply("system.health", Status::Unavailable("store down"));
  EXPECT_EQ(Call("GET", "/healthz").status, 503);
  // A store that latched a failed write answers health with ok: false and its reason.
  handler_.SetReply("system.health",
                    json::parse(R"({"ok":false,"error":"write failed: disk full"})").as_object());
  r = Call("GET", "/healthz");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(Body(r).at("error"), "write failed: disk full");

  r = Call("GET", "/metrics");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(r.body.find("# TYPE forkline_commands_total counter"), std::string::npos);
  EXPECT_NE(r.body.find("# TYPE forkline_sse_subscribers gauge"), std::string::npos);
}

TEST_F(HttpApiTest, ReplyFromAnotherThreadLater) {
  Start();
  handler_.Defer("run.next");
  HttpResponse response;
  std::thread client([&] { response = Call("POST", "/v1/runs/r1/next"); });
  ReplyFn reply = handler_.TakeDeferred();
  ASSERT_TRUE(reply);
  // Meanwhile the server answers other requests.
  EXPECT_EQ(Call("GET", "/v1/runs/r2").status, 200);
  std::thread replier([reply] { reply(json::parse(R"({"step":{"index":0}})").as_object()); });
  replier.join();
  client.join();
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(json::parse(response.body), json::parse(R"({"step":{"index":0}})"));
}

TEST_F(HttpApiTest, KeepAliveServesSeveralRequests) {
  Start();
  TestSocket s(port_);
  ASSERT_TRUE(s.Send("GET /v1/runs/a HTTP/1.1\r\nHost: x\r\n\r\n"
                     "GET /v1/runs/b HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(s.ReadUntil("\"b\""));
  auto requests = handler_.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].args.at("run_id"), "a");
  EXPECT_EQ(requests[1].args.at("run_id"), "b");
}

TEST_F(HttpApiTest, BodyTooLargeIs413AndServerKeepsServing) {
  HttpOptions options;
  options.max_body_bytes = 1024;
  Start(options);
  auto r = Call("POST", "/v1/runs", std::string(4096, ' '));
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(ErrorCode(r), "too_large");
  EXPECT_TRUE(handler_.requests().empty());
  EXPECT_EQ(Call("GET", "/v1/workflows").status, 200);
}

TEST_F(HttpApiTest, GarbageAndOversizedHeadersKeepServerAlive) {
  HttpOptions options;
  options.max_header_bytes = 2048;
  Start(options);
  {
    TestSocket s(port_);
    ASSERT_TRUE(s.Send("THIS IS NOT HTTP\r\n\r\n"));
    EXPECT_EQ(ParseResponse(s.ReadToEnd()).status, 400);
  }
  {
    TestSocket s(port_);
    ASSERT_TRUE(s.Send(std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11)));
    s.ShutdownSend();
    s.ReadToEnd();  // whatever it answers, it closes
  }
  {
    TestSocket s(port_);
    ASSERT_TRUE(s.Send("GET /v1/workflows HTTP/1.1\r\nHost: x\r\nX-Big: " +
                       std::string(4096, 'a') + "\r\n\r\n"));
    EXPECT_EQ(ParseResponse(s.ReadToEnd()).status, 431);
  }
  {
    TestSocket s(port_);
    ASSERT_TRUE(s.Send("GET /v1/runs/" + std::string(8192, 'r') + " HTTP/1.1\r\n\r\n"));
    EXPECT_EQ(ParseResponse(s.ReadToEnd()).status, 431);
  }
  {
    TestSocket s(port_);  // truncated request, then the client goes away
    ASSERT_TRUE(s.Send("POST /v1/runs HTTP/1.1\r\nContent-Length: 100\r\n\r\n{\"ki"));
  }
  EXPECT_EQ(Call("GET", "/v1/workflows").status, 200);
}

TEST_F(HttpApiTest, IdleConnectionIsClosed) {
  HttpOptions options;
  options.idle_timeout_s = 1;
  Start(options);
  TestSocket s(port_);
  ASSERT_TRUE(s.Send("GET /v1/wor"));  // half a request, then silence
  EXPECT_EQ(s.ReadToEnd(), "");      // closed by the server (hang guard: 30 s)
}

TEST_F(HttpApiTest, BindErrorNamesTheAddress) {
  Start();
  HttpOptions options;
  options.bind = "127.0.0.1:" + std::to_string(port_);
  TestServer second(options, handler_, feed_, /*ephemeral=*/false);
  EXPECT_EQ(second.start_status().code(), Code::kUnavailable);
  EXPECT_EQ(second.start_status().message(), "cannot bind " + options.bind + ": address in use");
  options.bind = "nowhere:80";
  TestServer third(options, handler_, feed_, /*ephemeral=*/false);
  EXPECT_EQ(third.start_status().code(), Code::kBadRequest);
}

}  // namespace
}  // namespace forkline::testing
