#include "daemon/executors/chat_stream.h"

#include <boost/json/parse.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "daemon/executors/http_stream_client.h"

namespace forkline {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::vector<std::string> FeedAll(SseParser& parser, const std::vector<std::string>& pieces) {
  std::vector<std::string> events;
  auto collect = [&](std::string_view data) {
    events.emplace_back(data);
    return Status::Ok();
  };
  for (const auto& p : pieces) {
    EXPECT_TRUE(parser.Feed(p, collect).ok());
  }
  EXPECT_TRUE(parser.Finish(collect).ok());
  return events;
}

TEST(SseParserTest, EventsSplitAnywhere) {
  const std::string stream =
      "data: one\n\n: keep-alive\n\ndata: two\r\n\r\nevent: x\ndata:three\n\n";
  for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
    SseParser parser(1024);
    EXPECT_THAT(FeedAll(parser, {stream.substr(0, cut), stream.substr(cut)}),
                ElementsAre("one", "two", "three"))
        << "cut at " << cut;
  }
}

TEST(SseParserTest, MultiLineDataAndUnterminatedLastEvent) {
  SseParser parser(1024);
  EXPECT_THAT(FeedAll(parser, {"data: a\ndata: b\n\ndata: last"}), ElementsAre("a\nb", "last"));
}

TEST(SseParserTest, OverlongEventIsRefused) {
  SseParser parser(16);
  Status s = parser.Feed("data: " + std::string(64, 'x') + "\n\n",
                         [](std::string_view) { return Status::Ok(); });
  EXPECT_EQ(s.code(), Code::kTooLarge);
}

TEST(ChatAccumulatorTest, FoldsChunks) {
  ChatAccumulator chat;
  std::string delta;
  ASSERT_TRUE(
      chat.Consume(R"({"model":"m1","choices":[{"delta":{"role":"assistant"}}]})", &delta).ok());
  EXPECT_EQ(delta, "");
  ASSERT_TRUE(chat.Consume(R"({"choices":[{"delta":{"content":"Hi"}}]})", &delta).ok());
  EXPECT_EQ(delta, "Hi");
  ASSERT_TRUE(
      chat.Consume(R"({"choices":[{"delta":{"content":null},"finish_reason":"stop"}]})", &delta)
          .ok());
  ASSERT_TRUE(
      chat.Consume(R"({"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":1}})", &delta)
          .ok());
  EXPECT_FALSE(chat.done());
  ASSERT_TRUE(chat.Consume("[DONE]", &delta).ok());
  EXPECT_TRUE(chat.done());
  EXPECT_EQ(chat.text(), "Hi");
  EXPECT_EQ(chat.model(), "m1");
  EXPECT_EQ(chat.finish_reason(), "stop");
  ASSERT_TRUE(chat.usage().has_value());
  EXPECT_EQ(chat.usage()->prompt_tokens, 3);
  EXPECT_EQ(chat.usage()->completion_tokens, 1);
}

TEST(ChatAccumulatorTest, MalformedChunksAndErrorEvents) {
  ChatAccumulator chat;
  std::string delta;
  for (const char* bad :
       {"{not json", "[1,2]", R"({"choices":{}})", R"({"choices":[{"delta":"x"}]})",
        R"({"choices":[{"delta":{"content":5}}]})"}) {
    Status s = chat.Consume(bad, &delta);
    EXPECT_EQ(s.code(), Code::kBadRequest) << bad;
    EXPECT_THAT(s.message(), HasSubstr("malformed chunk")) << bad;
  }
  Status s = chat.Consume(R"({"error":{"message":"overloaded"}})", &delta);
  EXPECT_EQ(s.code(), Code::kUnavailable);
  EXPECT_THAT(s.message(), HasSubstr("overloaded"));
}

TEST(ChatAccumulatorTest, WholeReply) {
  ChatAccumulator chat;
  ASSERT_TRUE(chat.ConsumeCompletion(
                      R"({"model":"m","choices":[{"message":{"role":"assistant","content":"All"},
                          "finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":2}})")
                  .ok());
  EXPECT_EQ(chat.text(), "All");
  EXPECT_TRUE(chat.done());
  EXPECT_EQ(chat.usage()->completion_tokens, 2);
}

TEST(ChatRequestTest, BuildsTheBodyAndPassesParamsThrough) {
  const auto params = boost::json::parse(
                          R"({"system":"Be brief","json":true,"temperature":0.2,"max_tokens":50,
                              "model":"ignored","stream":false})")
                          .as_object();
  const auto body = BuildChatRequest("m", "Be brief", "Hello", params, true);
  EXPECT_EQ(body.at("model"), "m");
  EXPECT_EQ(body.at("stream"), true);
  EXPECT_EQ(body.at("temperature"), 0.2);
  EXPECT_EQ(body.at("max_tokens"), 50);
  EXPECT_FALSE(body.contains("system"));
  EXPECT_FALSE(body.contains("json"));
  EXPECT_EQ(body.at("stream_options").at("include_usage"), true);
  const auto& messages = body.at("messages").as_array();
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[0].at("role"), "system");
  EXPECT_EQ(messages[1].at("content"), "Hello");
  EXPECT_EQ(BuildChatRequest("m", "", "Hi", {}, false).at("messages").as_array().size(), 1u);
}

TEST(ErrorMessageTest, TakesTheServersMessage) {
  EXPECT_EQ(ErrorMessageOf(R"({"error":{"message":"Invalid key","type":"auth"}})"), "Invalid key");
  EXPECT_EQ(ErrorMessageOf(R"({"detail":"Not found"})"), "Not found");
  EXPECT_EQ(ErrorMessageOf("plain text"), "plain text");
}

TEST(ParseEndpointTest, HttpAndHttps) {
  auto a = ParseEndpoint("https://api.openai.com/v1", "/chat/completions");
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(a->tls);
  EXPECT_EQ(a->host, "api.openai.com");
  EXPECT_EQ(a->port, "443");
  EXPECT_EQ(a->path, "/v1/chat/completions");
  auto b = ParseEndpoint("http://127.0.0.1:8080/", "/chat/completions");
  ASSERT_TRUE(b.ok());
  EXPECT_FALSE(b->tls);
  EXPECT_EQ(b->port, "8080");
  EXPECT_EQ(b->path, "/chat/completions");
  for (const char* bad : {"ftp://x/v1", "not a url", "http:///v1", "http://h/v1?x=1"}) {
    EXPECT_FALSE(ParseEndpoint(bad, "/c").ok()) << bad;
  }
}

}  // namespace
}  // namespace forkline
