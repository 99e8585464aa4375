// ZmqServer against a fake handler, over real sockets.

#include "daemon/zmq/zmq_server.h"

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <zmq.h>

#include "tests/testutil/status_matchers.h"
#include "tests/zmq/zmq_test_util.h"

namespace forkline {
namespace {

namespace json = boost::json;
using testing::FakeHandler;
using testing::TestClient;

class ZmqServerTest : public ::testing::Test {
 protected:
  void StartServer(ZmqOptions options = {}) {
    options.bind = "tcp://127.0.0.1:0";
    options.log = [this](std::string_view level, std::string_view msg) {
      std::lock_guard<std::mutex> lock(log_mu_);
      log_ += std::string(level) + ": " + std::string(msg) + "\n";
    };
    server_ = std::make_unique<ZmqServer>(std::move(options), handler_);
    ASSERT_OK(server_->Start());
  }
  void TearDown() override {
    handler_.release.Open();
    if (server_) server_->Stop();
    handler_.JoinAll();
  }
  std::string Log() {
    std::lock_guard<std::mutex> lock(log_mu_);
    return log_;
  }
  TestClient Client(zmq::socket_type type = zmq::socket_type::dealer) {
    return TestClient(context_, server_->endpoint(), type);
  }

  FakeHandler handler_;
  zmq::context_t context_;
  std::unique_ptr<ZmqServer> server_;
  std::mutex log_mu_;
  std::string log_;
};

std::string ErrorCode(const json::object& reply) {
  if (!reply.contains("error")) return "<no error>";
  return json::value_to<std::string>(reply.at("error").at("code"));
}
std::string ErrorMessage(const json::object& reply) {
  if (!reply.contains("error")) return "<no error>";
  return json::value_to<std::string>(reply.at("error").at("message"));
}

TEST_F(ZmqServerTest, DealerGetsReplyWithEchoedId) {
  StartServer();
  TestClient c = Client();
  json::object reply = c.Call(R"({"id":"a1","cmd":"echo","args":{"x":1},"key":"k1"})");
  ASSERT_EQ(reply.at("ok"), true) << json::serialize(reply);
  EXPECT_EQ(reply.at("id"), "a1");
  const json::value& result = reply.at("result");
  EXPECT_EQ(result.at("cmd"), "echo");
  EXPECT_EQ(result.at("args").at("x"), 1);
  EXPECT_EQ(result.at("key"), "k1");
  EXPECT_EQ(result.at("id"), "a1");
  EXPECT_EQ(result.at("origin"), "zmq");
}

TEST_F(ZmqServerTest, ReqKeepsDelimiterAndGetsReply) {
  StartServer();
  TestClient c = Client(zmq::socket_type::req);
  for (int i = 0; i < 3; ++i) {  // REQ enforces strict send/recv alternation
    json::object reply = c.Call(R"({"id":"r","cmd":"later"})");
    ASSERT_EQ(reply.at("ok"), true) << json::serialize(reply);
    EXPECT_EQ(reply.at("id"), "r");
  }
}

TEST_F(ZmqServerTest, DealerEmulatingReqGetsDelimiterBack) {
  StartServer();
  TestClient c = Client();
  c.SendFrames({"", R"({"cmd":"echo"})"});
  auto frames = c.Recv();
  ASSERT_TRUE(frames);
  ASSERT_EQ(frames->size(), 2u);
  EXPECT_EQ((*frames)[0], "");
}

TEST_F(ZmqServerTest, IdEchoedWhateverJsonItIs) {
  StartServer();
  TestClient c = Client();
  EXPECT_EQ(c.Call(R"({"id":42,"cmd":"echo"})").at("id"), 42);
  EXPECT_EQ(c.Call(R"({"id":{"a":[1]},"cmd":"echo"})").at("id"), json::parse(R"({"a":[1]})"));
  json::object reply = c.Call(R"({"cmd":"echo"})");
  ASSERT_TRUE(reply.contains("id"));
  EXPECT_TRUE(reply.at("id").is_null());
  EXPECT_EQ(c.Call(R"({"id":7,"cmd":"echo"})").at("result").at("id"), "7");
}

TEST_F(ZmqServerTest, MalformedRequestsGetTellingBadRequest) {
  StartServer();
  TestClient c = Client();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"not json", "not valid JSON"},
      {"{\"cmd\":\"echo\"", "not valid JSON"},
      {"\"just a string\"", "must be a JSON object, got a string"},
      {"[1,2]", "must be a JSON object, got an array"},
      {"{}", "no 'cmd'"},
      {R"({"cmd":5})", "'cmd' must be a string, got a number"},
      {R"({"cmd":""})", "'cmd' is empty"},
      {R"({"cmd":"echo","args":[]})", "'args' must be an object, got an array"},
      {R"({"cmd":"echo","args":"x"})", "'args' must be an object, got a string"},
      {R"({"cmd":"echo","key":1})", "'key' must be a string, got a number"},
      {R"({"cmd":"echo","token":true})", "'token' must be a string, got a boolean"},
      {"{\"cmd\":\"\xff\xfe\"}", "not valid JSON"},
  };
  for (const auto& [body, expected] : cases) {
    json::object reply = c.Call(body);
    EXPECT_EQ(reply.at("ok"), false) << body;
    EXPECT_EQ(ErrorCode(reply), "bad_request") << body;
    EXPECT_NE(ErrorMessage(reply).find(expected), std::string::npos)
        << body << " -> " << ErrorMessage(reply);
  }
  EXPECT_EQ(c.Call(R"({"cmd":"echo"})").at("ok"), true);  // still serving
}

TEST_F(ZmqServerTest, ErrorReplyEchoesIdWhenBodyWasAnObject) {
  StartServer();
  TestClient c = Client();
  json::object reply = c.Call(R"({"id":"x9","cmd":3})");
  EXPECT_EQ(reply.at("id"), "x9");
  EXPECT_EQ(ErrorCode(reply), "bad_request");
}

TEST_F(ZmqServerTest, WrongFrameCountsGetBadRequest) {
  StartServer();
  TestClient c = Client();
  c.SendFrames({R"({"cmd":"echo"})", R"({"cmd":"echo"})"});
  json::object reply = c.RecvJson();
  EXPECT_EQ(ErrorCode(reply), "bad_request");
  EXPECT_NE(ErrorMessage(reply).find("got 2"), std::string::npos) << ErrorMessage(reply);

  c.SendFrames({""});  // a lone delimiter: no request at all
  reply = c.RecvJson();
  EXPECT_EQ(ErrorCode(reply), "bad_request");
  EXPECT_NE(ErrorMessage(reply).find("no request frame"), std::string::npos);

  std::vector<std::string> many(40, "x");
  c.SendFrames(many);
  reply = c.RecvJson();
  EXPECT_EQ(ErrorCode(reply), "bad_request");
  EXPECT_NE(ErrorMessage(reply).find("40"), std::string::npos) << ErrorMessage(reply);
}

TEST_F(ZmqServerTest, UnknownCommandIsTheHandlersBusiness) {
  StartServer();
  TestClient c = Client();
  json::object reply = c.Call(R"({"cmd":"no.such"})");
  EXPECT_EQ(ErrorCode(reply), "bad_request");
  EXPECT_EQ(ErrorMessage(reply), "unknown command 'no.such'");
}

TEST_F(ZmqServerTest, HandlerErrorsMapToWireCodes) {
  StartServer();
  TestClient c = Client();
  json::object reply = c.Call(
      R"({"id":"f","cmd":"fail","args":{"code":"not_found","message":"run r_x does not exist"}})");
  EXPECT_EQ(reply.at("ok"), false);
  EXPECT_EQ(reply.at("id"), "f");
  EXPECT_EQ(ErrorCode(reply), "not_found");
  EXPECT_EQ(ErrorMessage(reply), "run r_x does not exist");
  EXPECT_FALSE(reply.contains("result"));
}

TEST_F(ZmqServerTest, HandlerThatThrowsGetsInternal) {
  StartServer();
  TestClient c = Client();
  json::object reply = c.Call(R"({"cmd":"throw"})");
  EXPECT_EQ(ErrorCode(reply), "internal");
  EXPECT_NE(ErrorMessage(reply).find("boom"), std::string::npos);
  EXPECT_EQ(c.Call(R"({"cmd":"echo"})").at("ok"), true);
}

TEST_F(ZmqServerTest, SecondReplyIsIgnoredAndLogged) {
  StartServer();
  TestClient c = Client();
  EXPECT_EQ(c.Call(R"({"cmd":"twice"})").at("ok"), true);
  EXPECT_FALSE(c.Recv(std::chrono::milliseconds(200)));
  EXPECT_NE(Log().find("replied twice"), std::string::npos);
}

TEST_F(ZmqServerTest, TooLargeIsAnsweredAndServerKeepsServing) {
  ZmqOptions options;
  options.max_message_bytes = 1000;
  StartServer(options);
  TestClient c = Client();
  const std::string big =
      R"({"id":"big","cmd":"echo","args":{"pad":")" + std::string(5000, 'a') + "\"}}";
  json::object reply = c.Call(big);
  EXPECT_EQ(ErrorCode(reply), "too_large") << json::serialize(reply);
  EXPECT_NE(ErrorMessage(reply).find("limit is 1000"), std::string::npos);
  EXPECT_EQ(c.Call(R"({"cmd":"echo"})").at("ok"), true);
}

TEST_F(ZmqServerTest, TokenIsRequiredWhenConfigured) {
  ZmqOptions options;
  options.token = "s3cret";
  StartServer(options);
  TestClient c = Client();
  EXPECT_EQ(ErrorCode(c.Call(R"({"id":1,"cmd":"echo"})")), "unauthorized");
  EXPECT_EQ(ErrorCode(c.Call(R"({"cmd":"echo","token":"s3cre"})")), "unauthorized");
  EXPECT_EQ(ErrorCode(c.Call(R"({"cmd":"echo","token":"s3cret!"})")), "unauthorized");
  json::object reply = c.Call(R"({"id":1,"cmd":"no.such","token":"wrong"})");
  EXPECT_EQ(ErrorCode(reply), "unauthorized");
  EXPECT_EQ(reply.at("id"), 1);
  EXPECT_EQ(c.Call(R"({"cmd":"echo","token":"s3cret"})").at("ok"), true);
}

// Client A's command blocks in the handler; client B is answered meanwhile. The order is
// forced by the gate, not by timing: A's reply cannot exist before release is opened.
TEST_F(ZmqServerTest, SlowReplyDoesNotDelayOtherClients) {
  StartServer();
  TestClient a = Client();
  TestClient b = Client();
  a.Send(R"({"id":"A","cmd":"block"})");
  handler_.blocked.Wait();
  json::object b_reply = b.Call(R"({"id":"B","cmd":"echo"})");
  EXPECT_EQ(b_reply.at("id"), "B");
  EXPECT_EQ(b_reply.at("ok"), true);
  EXPECT_FALSE(a.Recv(std::chrono::milliseconds(0)));  // A is still waiting
  handler_.release.Open();
  json::object a_reply = a.RecvJson();
  EXPECT_EQ(a_reply.at("id"), "A");
  EXPECT_EQ(a_reply.at("result").at("released"), true);
}

TEST_F(ZmqServerTest, FiftyConcurrentClientsEachGetExactlyTheirReplies) {
  StartServer();
  constexpr int kClients = 50;
  constexpr int kRequests = 40;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      TestClient c = Client();
      // Pipelined: all requests out first, then all replies in, in any order.
      for (int j = 0; j < kRequests; ++j) {
        const char* cmd = j % 2 == 0 ? "echo" : "later";
        c.Send("{\"id\":\"c" + std::to_string(i) + "-" + std::to_string(j) + "\",\"cmd\":\"" + cmd +
               "\"}");
      }
      std::set<std::string> seen;
      for (int j = 0; j < kRequests; ++j) {
        json::object reply = c.RecvJson();
        if (!reply.contains("id") || !reply.at("id").is_string()) {
          ++failures;
          return;
        }
        const std::string id(reply.at("id").get_string());
        const std::string prefix = "c" + std::to_string(i) + "-";
        if (id.rfind(prefix, 0) != 0 || !seen.insert(id).second) ++failures;
      }
      if (seen.size() != kRequests) ++failures;
      if (c.Recv(std::chrono::milliseconds(0))) ++failures;  // nothing extra
    });
  }
  for (std::thread& t : threads)
    t.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST_F(ZmqServerTest, VanishedClientDoesNotStopTheServer) {
  StartServer();
  {
    TestClient a = Client();
    a.Send(R"({"cmd":"block"})");
    handler_.blocked.Wait();
    a.Close();
  }
  // The reply to the vanished client is refused (EHOSTUNREACH, logged) or dropped by
  // libzmq, depending on whether its I/O thread has seen the disconnect yet; either way
  // the server goes on serving.
  handler_.release.Open();
  handler_.JoinAll();
  TestClient b = Client();
  EXPECT_EQ(b.Call(R"({"cmd":"echo"})").at("ok"), true);
}

TEST_F(ZmqServerTest, ReplyAfterStopIsDroppedSafely) {
  StartServer();
  TestClient a = Client();
  a.Send(R"({"cmd":"block"})");
  handler_.blocked.Wait();
  server_->Stop();
  handler_.release.Open();
  handler_.JoinAll();
  EXPECT_NE(Log().find("after shutdown"), std::string::npos) << Log();
  server_.reset();
}

}  // namespace
}  // namespace forkline
