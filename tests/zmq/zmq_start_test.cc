// Start/Stop: endpoints, bind errors, restart.

#include <gtest/gtest.h>

#include "daemon/zmq/zmq_server.h"
#include "tests/testutil/status_matchers.h"
#include "tests/zmq/zmq_test_util.h"

namespace forkline {
namespace {

using testing::FakeHandler;
using testing::TestClient;

ZmqOptions Quiet(std::string bind) {
  ZmqOptions options;
  options.bind = std::move(bind);
  options.log = [](std::string_view, std::string_view) {};
  return options;
}

TEST(ZmqStartTest, EphemeralPortIsReported) {
  FakeHandler handler;
  ZmqServer server(Quiet("tcp://127.0.0.1:0"), handler);
  EXPECT_EQ(server.endpoint(), "");
  ASSERT_OK(server.Start());
  EXPECT_EQ(server.endpoint().rfind("tcp://127.0.0.1:", 0), 0u) << server.endpoint();
  EXPECT_NE(server.endpoint(), "tcp://127.0.0.1:0");
  zmq::context_t context;
  TestClient c(context, server.endpoint());
  EXPECT_EQ(c.Call(R"({"cmd":"echo"})").at("ok"), true);
}

TEST(ZmqStartTest, WildcardBindWorks) {
  FakeHandler handler;
  ZmqServer server(Quiet("tcp://*:0"), handler);
  ASSERT_OK(server.Start());
  const std::string port = server.endpoint().substr(server.endpoint().rfind(':') + 1);
  zmq::context_t context;
  TestClient c(context, "tcp://127.0.0.1:" + port);
  EXPECT_EQ(c.Call(R"({"cmd":"echo"})").at("ok"), true);
}

TEST(ZmqStartTest, PortInUseIsAClearError) {
  FakeHandler handler;
  ZmqServer first(Quiet("tcp://127.0.0.1:0"), handler);
  ASSERT_OK(first.Start());
  ZmqServer second(Quiet(first.endpoint()), handler);
  Status s = second.Start();
  EXPECT_EQ(s.code(), Code::kUnavailable);
  EXPECT_NE(s.message().find("cannot bind " + first.endpoint()), std::string::npos) << s.ToString();
  EXPECT_NE(s.message().find("in use"), std::string::npos) << s.ToString();
}

TEST(ZmqStartTest, MalformedEndpointIsBadRequest) {
  FakeHandler handler;
  ZmqServer server(Quiet("tcp://nonsense"), handler);
  Status s = server.Start();
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("tcp://nonsense"), std::string::npos) << s.ToString();
}

TEST(ZmqStartTest, StopIsIdempotentAndStartAgainWorks) {
  FakeHandler handler;
  ZmqServer server(Quiet("tcp://127.0.0.1:0"), handler);
  server.Stop();
  ASSERT_OK(server.Start());
  EXPECT_FALSE(server.Start().ok());
  server.Stop();
  server.Stop();
  ASSERT_OK(server.Start());
  zmq::context_t context;
  TestClient c(context, server.endpoint());
  EXPECT_EQ(c.Call(R"({"cmd":"echo"})").at("ok"), true);
}

}  // namespace
}  // namespace forkline
