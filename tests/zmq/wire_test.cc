// The request/reply JSON of DESIGN §4, without sockets.

#include "daemon/zmq/wire.h"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "tests/testutil/status_matchers.h"

namespace forkline {
namespace {

namespace json = boost::json;

TEST(WireTest, ParsesEveryField) {
  Result<WireRequest> r = ParseWireRequest(
      R"({"id":"i","cmd":"run.get","args":{"run_id":"r_1"},"key":"k","token":"t"})", nullptr);
  ASSERT_OK(r);
  EXPECT_EQ(r->id, "i");
  EXPECT_EQ(r->cmd, "run.get");
  EXPECT_EQ(r->args.at("run_id"), "r_1");
  EXPECT_EQ(r->key, "k");
  EXPECT_EQ(r->token, "t");
}

TEST(WireTest, OnlyCmdIsRequiredAndNullsAreAbsent) {
  Result<WireRequest> r = ParseWireRequest(R"({"cmd":"x","args":null,"key":null})", nullptr);
  ASSERT_OK(r);
  EXPECT_TRUE(r->id.is_null());
  EXPECT_TRUE(r->args.empty());
  EXPECT_EQ(r->key, "");
}

TEST(WireTest, IdIsReportedEvenWhenTheRestIsWrong) {
  json::value id;
  Result<WireRequest> r = ParseWireRequest(R"({"id":[1],"cmd":{}})", &id);
  EXPECT_EQ(r.status().code(), Code::kBadRequest);
  EXPECT_EQ(id, json::parse("[1]"));
}

TEST(WireTest, EncodesBothReplyShapes) {
  EXPECT_EQ(json::parse(EncodeWireReply("a", json::object{{"n", 1}})),
            json::parse(R"({"id":"a","ok":true,"result":{"n":1}})"));
  EXPECT_EQ(json::parse(EncodeWireReply(nullptr, Status::NotFound("run r_x does not exist"))),
            json::parse(R"({"id":null,"ok":false,
                            "error":{"code":"not_found","message":"run r_x does not exist"}})"));
}

// Found by the zmq_request fuzz target: 1e400 parses as infinity and would be echoed
// back as `Infinity`, which is not JSON.
TEST(WireTest, NumbersBeyondADoubleAreRefused) {
  for (const char* body : {R"({"cmd":"run.create","args":{"input":{"n":[1, 1e400]}}})",
                           R"({"id":-1e999,"cmd":"run.get"})"}) {
    json::value id;
    auto r = ParseWireRequest(body, &id);
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_EQ(r.status().code(), Code::kBadRequest);
    EXPECT_NE(r.status().message().find("too large for a double"), std::string::npos);
    EXPECT_NO_THROW(json::parse(EncodeWireReply(id, r.status())));
  }
  auto r = ParseWireRequest(R"({"cmd":"x","args":{"a":{"b":[0, 2e308]}}})", nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("'args.a.b[1]'"), std::string::npos) << r.status().message();
  EXPECT_TRUE(ParseWireRequest(R"({"cmd":"x","args":{"a":1.5e308}})", nullptr).ok());
}

TEST(WireTest, IdForHandler) {
  EXPECT_EQ(IdForHandler(json::value("abc")), "abc");
  EXPECT_EQ(IdForHandler(json::value(12)), "12");
  EXPECT_EQ(IdForHandler(json::value()), "");
}

}  // namespace
}  // namespace forkline
