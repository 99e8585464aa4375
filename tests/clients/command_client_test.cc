// CommandClient against a real ZmqServer with the fake handler.

#include "clients/lib/command_client.h"

#include <gtest/gtest.h>
#include <zmq.h>

#include "daemon/zmq/zmq_server.h"
#include "tests/testutil/status_matchers.h"
#include "tests/zmq/zmq_test_util.h"

namespace forkline::client {
namespace {

namespace json = boost::json;
using forkline::testing::FakeHandler;

class CommandClientTest : public ::testing::Test {
 protected:
  void StartServer(ZmqOptions options = {}) {
    options.bind = "tcp://127.0.0.1:0";
    options.log = [](std::string_view, std::string_view) {};
    server_ = std::make_unique<ZmqServer>(std::move(options), handler_);
    ASSERT_OK(server_->Start());
  }
  void TearDown() override {
    handler_.release.Open();
    if (server_) server_->Stop();
    handler_.JoinAll();
  }
  CommandClientOptions ClientOptions() {
    CommandClientOptions o;
    o.endpoint = server_->endpoint();
    o.timeout = std::chrono::seconds(10);
    return o;
  }

  FakeHandler handler_;
  std::unique_ptr<ZmqServer> server_;
};

TEST_F(CommandClientTest, CallReturnsTheResult) {
  StartServer();
  CommandClient client(ClientOptions());
  Result<json::object> r = client.Call("echo", {{"run_id", "r_1"}}, "k1");
  ASSERT_OK(r);
  EXPECT_EQ(r->at("cmd"), "echo");
  EXPECT_EQ(r->at("args").at("run_id"), "r_1");
  EXPECT_EQ(r->at("key"), "k1");
  EXPECT_FALSE(client.transport_failed());
  ASSERT_OK(client.Call("later"));  // a reply from another thread
}

TEST_F(CommandClientTest, ErrorRepliesBecomeStatusCodes) {
  StartServer();
  CommandClient client(ClientOptions());
  Result<json::object> r =
      client.Call("fail", {{"code", "not_found"}, {"message", "run r_x does not exist"}});
  EXPECT_EQ(r.status().code(), Code::kNotFound);
  EXPECT_EQ(r.status().ToString(), "not_found: run r_x does not exist");
  EXPECT_FALSE(client.transport_failed());
  EXPECT_EQ(client.Call("fail", {{"code", "conflict"}}).status().code(), Code::kConflict);
  EXPECT_EQ(client.Call("no.such").status().code(), Code::kBadRequest);
}

TEST_F(CommandClientTest, TokenIsSent) {
  ZmqOptions options;
  options.token = "s3cret";
  StartServer(options);
  CommandClient without(ClientOptions());
  EXPECT_EQ(without.Call("echo").status().code(), Code::kUnauthorized);
  CommandClientOptions o = ClientOptions();
  o.token = "s3cret";
  CommandClient with(o);
  ASSERT_OK(with.Call("echo"));
}

TEST_F(CommandClientTest, NoServerIsATransportFailure) {
  StartServer();
  CommandClientOptions o = ClientOptions();
  server_->Stop();  // the port is closed now
  o.timeout = std::chrono::milliseconds(200);
  CommandClient client(o);
  Result<json::object> r = client.Call("echo");
  EXPECT_EQ(r.status().code(), Code::kUnavailable);
  EXPECT_TRUE(client.transport_failed());
  EXPECT_NE(r.status().message().find("no reply to echo"), std::string::npos);
}

TEST_F(CommandClientTest, LateReplyToATimedOutCallIsDiscarded) {
  StartServer();
  CommandClient client(ClientOptions());
  Result<json::object> slow = client.Call("block", {}, {}, std::chrono::milliseconds(100));
  EXPECT_EQ(slow.status().code(), Code::kUnavailable);
  EXPECT_TRUE(client.transport_failed());
  handler_.release.Open();
  handler_.JoinAll();  // the stale {released: true} reply is on its way
  Result<json::object> r = client.Call("echo", {{"n", 2}});
  ASSERT_OK(r);
  EXPECT_EQ(r->at("args").at("n"), 2);
}

TEST_F(CommandClientTest, CurveWithEphemeralClientKeys) {
  if (zmq_has("curve") == 0) GTEST_SKIP() << "libzmq without CURVE";
  char pub[41] = {};
  char sec[41] = {};
  ASSERT_EQ(zmq_curve_keypair(pub, sec), 0);
  ZmqOptions options;
  options.curve_server_secret_key = sec;
  StartServer(options);
  CommandClientOptions o = ClientOptions();
  o.curve_server_key = pub;
  CommandClient client(o);
  ASSERT_OK(client.Call("echo"));
}

TEST(CodeFromWireNameTest, KnownAndUnknown) {
  EXPECT_EQ(CodeFromWireName("too_large"), Code::kTooLarge);
  EXPECT_EQ(CodeFromWireName("unauthorized"), Code::kUnauthorized);
  EXPECT_EQ(CodeFromWireName("whatever"), Code::kInternal);
}

}  // namespace
}  // namespace forkline::client
