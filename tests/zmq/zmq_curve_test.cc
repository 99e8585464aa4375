// CURVE encryption and the ZAP allow-list.

#include <gtest/gtest.h>
#include <atomic>
#include <zmq.h>

#include "daemon/zmq/zmq_server.h"
#include "tests/testutil/status_matchers.h"
#include "tests/zmq/zmq_test_util.h"

namespace forkline {
namespace {

namespace json = boost::json;
using testing::FakeHandler;
using testing::TestClient;

struct KeyPair {
  std::string public_key;
  std::string secret_key;
};

// Counts the requests that reach the handler, then lets FakeHandler answer them.
class CountingHandler : public CommandHandler {
 public:
  explicit CountingHandler(CommandHandler& next) : next_(next) {}
  void Handle(CommandRequest request, ReplyFn reply) override {
    ++count_;
    next_.Handle(std::move(request), std::move(reply));
  }
  int count() const { return count_.load(); }

 private:
  CommandHandler& next_;
  std::atomic<int> count_{0};
};

KeyPair NewKeyPair() {
  char pub[41] = {};
  char sec[41] = {};
  EXPECT_EQ(zmq_curve_keypair(pub, sec), 0);
  return {pub, sec};
}

class ZmqCurveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (zmq_has("curve") == 0) GTEST_SKIP() << "libzmq without CURVE";
  }
  void StartServer(std::vector<std::string> allowed) {
    ZmqOptions options;
    options.bind = "tcp://127.0.0.1:0";
    options.curve_server_secret_key = server_.secret_key;
    options.curve_server_public_key = server_.public_key;
    options.curve_allowed_client_keys = std::move(allowed);
    options.log = [](std::string_view, std::string_view) {};
    zmq_ = std::make_unique<ZmqServer>(std::move(options), counting_);
    ASSERT_OK(zmq_->Start());
  }
  TestClient CurveClient(const KeyPair& client) {
    return TestClient(context_, zmq_->endpoint(), zmq::socket_type::dealer,
                      TestClient::Curve{server_.public_key, client.public_key, client.secret_key});
  }

  KeyPair server_ = NewKeyPair();
  FakeHandler handler_;
  CountingHandler counting_{handler_};
  zmq::context_t context_;
  std::unique_ptr<ZmqServer> zmq_;
};

TEST_F(ZmqCurveTest, CurveClientWorksPlainClientGetsNothing) {
  StartServer({});
  TestClient curve = CurveClient(NewKeyPair());
  EXPECT_EQ(curve.Call(R"({"id":"c","cmd":"echo"})").at("ok"), true);

  TestClient plain(context_, zmq_->endpoint());
  plain.Send(R"({"cmd":"echo"})");
  EXPECT_FALSE(plain.Recv(std::chrono::milliseconds(500)));
}

TEST_F(ZmqCurveTest, AllowListAdmitsOnlyListedKeys) {
  const KeyPair allowed = NewKeyPair();
  StartServer({allowed.public_key});
  TestClient good = CurveClient(allowed);
  EXPECT_EQ(good.Call(R"({"cmd":"echo"})").at("ok"), true);

  TestClient stranger = CurveClient(NewKeyPair());
  stranger.Send(R"({"cmd":"echo"})");
  EXPECT_FALSE(stranger.Recv(std::chrono::milliseconds(500)));
  EXPECT_EQ(good.Call(R"({"cmd":"echo"})").at("ok"), true);  // still serving
}

// libzmq lets any CURVE key in when no ZAP handler answers: with an allow-list, a key
// off the list, a NULL-mechanism client and a client with the wrong server key must
// get 0 requests to the handler (counted there, not inferred from missing replies).
TEST_F(ZmqCurveTest, RefusedClientsReachNoHandler) {
  const KeyPair allowed = NewKeyPair();
  StartServer({allowed.public_key});
  TestClient stranger = CurveClient(NewKeyPair());
  TestClient plain(context_, zmq_->endpoint());
  TestClient wrong_server(context_, zmq_->endpoint(), zmq::socket_type::dealer,
                          TestClient::Curve{NewKeyPair().public_key, allowed.public_key,
                                            allowed.secret_key});
  for (int i = 0; i < 10; ++i) {
    for (TestClient* c : {&stranger, &plain, &wrong_server}) c->Send(R"({"cmd":"echo"})");
  }
  for (TestClient* c : {&stranger, &plain, &wrong_server}) {
    EXPECT_FALSE(c->Recv(std::chrono::milliseconds(500)));
  }
  TestClient good = CurveClient(allowed);
  EXPECT_EQ(good.Call(R"({"cmd":"echo"})").at("ok"), true);
  EXPECT_EQ(counting_.count(), 1);
}

TEST_F(ZmqCurveTest, BadKeysAreRefusedAtStart) {
  ZmqOptions options;
  options.bind = "tcp://127.0.0.1:0";
  options.log = [](std::string_view, std::string_view) {};
  options.curve_server_secret_key = "too short";
  ZmqServer bad_secret(options, handler_);
  Status s = bad_secret.Start();
  EXPECT_EQ(s.code(), Code::kBadRequest);
  EXPECT_NE(s.message().find("curve_server_secret_key"), std::string::npos) << s.ToString();

  options.curve_server_secret_key = server_.secret_key;
  options.curve_server_public_key = NewKeyPair().public_key;
  ZmqServer mismatch(options, handler_);
  EXPECT_EQ(mismatch.Start().code(), Code::kBadRequest);

  options.curve_server_public_key.clear();
  options.curve_allowed_client_keys = {"not-a-key"};
  ZmqServer bad_allowed(options, handler_);
  EXPECT_EQ(bad_allowed.Start().code(), Code::kBadRequest);

  ZmqOptions no_curve;
  no_curve.bind = "tcp://127.0.0.1:0";
  no_curve.log = options.log;
  no_curve.curve_allowed_client_keys = {NewKeyPair().public_key};
  ZmqServer list_without_curve(no_curve, handler_);
  EXPECT_EQ(list_without_curve.Start().code(), Code::kBadRequest);
}

}  // namespace
}  // namespace forkline
