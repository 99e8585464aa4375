#include "daemon/executors/llm_executor.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <mutex>

#include <boost/json/parse.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/executors/fake_llm_server.h"
#include "tests/testutil/temp_dir.h"

namespace forkline {
namespace {

using std::chrono::milliseconds;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class LlmExecutorTest : public ::testing::Test {
 protected:
  LlmExecutorTest() {
    context_ = boost::json::parse(R"({
      "run_id": "r1", "kind": "novel_to_script_llm", "title": "Alice",
      "input": {"text": "Alice was beginning to get very tired.", "title": "Alice"},
      "step": {"index": 1, "name": "outline", "params": {}},
      "steps": {"ingest": {"words": 7}}
    })")
                   .as_object();
    step_.name = "outline";
    step_.executor = "llm";
    step_.prompt = "Outline {{input.title}} ({{steps.ingest.words}} words): {{input.text}}";
    options_.base_url = server_.base_url();
    options_.model = "default-model";
    options_.api_key = "sk-test-123";
    options_.timeout = milliseconds(10000);
    options_.max_attempts = 3;
    options_.backoff_initial = milliseconds(1);
    options_.backoff_max = milliseconds(5);
  }

  // Runs the step on this thread; `on_delta` sees each delta as it arrives.
  StepResult Run(const std::function<void(const std::string&)>& on_delta = nullptr) {
    LlmExecutor executor(options_);
    StepTask task{context_,
                  step_,
                  abort_,
                  [&](const StepProgress& p) {
                    std::lock_guard<std::mutex> lock(mu_);
                    if (!p.delta.empty()) deltas_.push_back(p.delta);
                    if (!p.message.empty()) messages_.push_back(p.message);
                    if (on_delta && !p.delta.empty()) on_delta(p.delta);
                  },
                  timeout_,
                  max_output_bytes_};
    return executor.Run(task);
  }

  FakeLlmServer server_;
  boost::json::object context_;
  StepDefinition step_;
  LlmOptions options_;
  std::atomic<bool> abort_{false};
  milliseconds timeout_{60000};
  std::size_t max_output_bytes_ = 1 << 20;
  std::mutex mu_;
  std::vector<std::string> deltas_;
  std::vector<std::string> messages_;
};

TEST_F(LlmExecutorTest, StreamsDeltasAndReturnsTheirConcatenation) {
  server_.Script(StreamReply({"INT. ", "RABBIT HOLE", " - DAY"}));
  StepResult r = Run();
  ASSERT_TRUE(r.ok) << r.error.code << ": " << r.error.message;
  EXPECT_THAT(deltas_, ElementsAre("INT. ", "RABBIT HOLE", " - DAY"));
  EXPECT_EQ(r.output.at("text"), "INT. RABBIT HOLE - DAY");
  EXPECT_EQ(r.output.at("model"), "fake-model");
  EXPECT_EQ(r.output.at("usage").at("prompt_tokens"), 12);
  EXPECT_EQ(r.output.at("usage").at("completion_tokens"), 3);
  EXPECT_TRUE(r.output.at("latency_ms").is_int64());
  EXPECT_EQ(r.output.at("attempts"), 1);
  EXPECT_FALSE(r.output.contains("json"));

  const auto requests = server_.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].target, "/v1/chat/completions");
  EXPECT_EQ(requests[0].headers.at("authorization"), "Bearer sk-test-123");
  EXPECT_EQ(requests[0].headers.at("content-type"), "application/json");
  const auto body = boost::json::parse(requests[0].body).as_object();
  EXPECT_EQ(body.at("model"), "default-model");
  EXPECT_EQ(body.at("stream"), true);
  const auto& messages = body.at("messages").as_array();
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].at("role"), "user");
  EXPECT_EQ(messages[0].at("content"),
            "Outline Alice (7 words): Alice was beginning to get very tired.");
}

TEST_F(LlmExecutorTest, StepModelSystemPromptAndParams) {
  step_.model = "step-model";
  step_.params =
      boost::json::parse(R"({"system": "You adapt {{title}}.", "temperature": 0.2})").as_object();
  options_.api_key = "";
  server_.Script(StreamReply({"ok"}));
  StepResult r = Run();
  ASSERT_TRUE(r.ok) << r.error.message;
  const auto requests = server_.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].headers.count("authorization"), 0u);
  const auto body = boost::json::parse(requests[0].body).as_object();
  EXPECT_EQ(body.at("model"), "step-model");
  EXPECT_EQ(body.at("temperature"), 0.2);
  EXPECT_FALSE(body.contains("system"));
  const auto& messages = body.at("messages").as_array();
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[0].at("role"), "system");
  EXPECT_EQ(messages[0].at("content"), "You adapt Alice.");
  EXPECT_EQ(messages[1].at("role"), "user");
}

TEST_F(LlmExecutorTest, ItemComesFromTheContext) {
  step_.prompt = "Draft episode {{item.index}}: {{item.title}}";
  context_["item"] = boost::json::object{{"index", 2}, {"title", "Pool of Tears"}};
  server_.Script(StreamReply({"x"}));
  ASSERT_TRUE(Run().ok);
  const auto body = boost::json::parse(server_.requests().at(0).body).as_object();
  EXPECT_EQ(body.at("messages").at(0).at("content"), "Draft episode 2: Pool of Tears");
}

TEST_F(LlmExecutorTest, RetriesA429ThenSucceeds) {
  FakeReply busy = StatusReply(429, R"({"error":{"message":"Rate limit reached"}})");
  busy.headers.emplace_back("Retry-After", "0");
  server_.Script(busy);
  server_.Script(StreamReply({"after ", "retry"}));
  StepResult r = Run();
  ASSERT_TRUE(r.ok) << r.error.message;
  EXPECT_EQ(r.output.at("text"), "after retry");
  EXPECT_EQ(r.output.at("attempts"), 2);
  EXPECT_EQ(server_.requests().size(), 2u);
  ASSERT_EQ(messages_.size(), 1u);
  EXPECT_THAT(messages_[0], HasSubstr("Rate limit reached"));
}

TEST_F(LlmExecutorTest, ThreeServerErrorsAreARetryableFailure) {
  for (int i = 0; i < 3; ++i) {
    server_.Script(StatusReply(500, R"({"error":{"message":"boom"}})"));
  }
  server_.Script(StreamReply({"never asked for"}));
  StepResult r = Run();
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.code, "llm_unavailable");
  EXPECT_TRUE(r.error.retryable);
  EXPECT_THAT(r.error.message, HasSubstr("HTTP 500: boom"));
  EXPECT_EQ(server_.requests().size(), 3u);
}

TEST_F(LlmExecutorTest, OtherClientErrorsFailAtOnce) {
  server_.Script(StatusReply(401, R"({"error":{"message":"Incorrect API key provided"}})"));
  StepResult r = Run();
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.code, "llm_error");
  EXPECT_FALSE(r.error.retryable);
  EXPECT_THAT(r.error.message, HasSubstr("HTTP 401: Incorrect API key provided"));
  EXPECT_THAT(r.error.message, ::testing::Not(HasSubstr("sk-test-123")));
  EXPECT_EQ(server_.requests().size(), 1u);
}

TEST_F(LlmExecutorTest, AStallTimesOut) {
  options_.timeout = milliseconds(1000);
  FakeReply stall = StreamReply({"first"});
  stall.writes.resize(1);
  stall.end = FakeReply::End::kHold;
  server_.Script(stall);
  StepResult r = Run();
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.code, "timeout");
  EXPECT_TRUE(r.error.retryable);
  EXPECT_THAT(deltas_, ElementsAre("first"));
}

TEST_F(LlmExecutorTest, TheStepTimeoutBoundsTheWholeRun) {
  timeout_ = milliseconds(500);
  FakeReply stall = StreamReply({"first"});
  stall.writes.resize(1);
  stall.end = FakeReply::End::kHold;
  server_.Script(stall);
  StepResult r = Run();
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.code, "timeout");
  EXPECT_TRUE(r.error.retryable);
}

TEST_F(LlmExecutorTest, AMalformedChunkFailsClearly) {
  FakeReply reply = StreamReply({"good"});
  reply.writes.insert(reply.writes.begin() + 1, "data: {this is not json\n\n");
  server_.Script(reply);
  StepResult r = Run();
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.code, "bad_output");
  EXPECT_THAT(r.error.message, HasSubstr("malformed chunk"));
  EXPECT_THAT(r.error.message, HasSubstr("{this is not json"));
}

TEST_F(LlmExecutorTest, AConnectionClosedMidStreamIsRetried) {
  FakeReply cut = StreamReply({"partial"});
  cut.writes.resize(1);
  cut.end = FakeReply::End::kClose;
  server_.Script(cut);
  server_.Script(StreamReply({"whole"}));
  StepResult r = Run();
  ASSERT_TRUE(r.ok) << r.error.message;
  EXPECT_EQ(r.output.at("text"), "whole");
  EXPECT_EQ(server_.requests().size(), 2u);
}

TEST_F(LlmExecutorTest, ConnectionsClosedEveryTimeFailRetryably) {
  for (bool chunked : {true, false, true}) {
    FakeReply cut = StreamReply({"partial"});
    cut.writes.resize(1);
    cut.chunked = chunked;
    cut.end = FakeReply::End::kClose;
    server_.Script(cut);
  }
  StepResult r = Run();
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.code, "llm_unavailable");
  EXPECT_TRUE(r.error.retryable);
  EXPECT_EQ(server_.requests().size(), 3u);
}

TEST_F(LlmExecutorTest, AStreamWithoutLengthEndsWithTheConnection) {
  FakeReply reply = StreamReply({"a", "b"});
  reply.chunked = false;
  server_.Script(reply);
  StepResult r = Run();
  ASSERT_TRUE(r.ok) << r.error.message;
  EXPECT_EQ(r.output.at("text"), "ab");
}

TEST_F(LlmExecutorTest, AbortWhileStreamingReturnsAborted) {
  FakeReply reply = StreamReply({"first"});
  reply.writes.resize(1);
  reply.end = FakeReply::End::kHold;
  server_.Script(reply);
  options_.timeout = milliseconds(600000);  // only the abort can end this
  timeout_ = milliseconds(0);
  StepResult r = Run([&](const std::string&) { abort_ = true; });
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.code, "aborted");
  EXPECT_EQ(server_.requests().size(), 1u);
}

TEST_F(LlmExecutorTest, ConnectionRefusedIsRetriedThenUnavailable) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);  // nothing listens on that port now
  options_.base_url = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/v1";
  StepResult r = Run();
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.code, "llm_unavailable");
  EXPECT_TRUE(r.error.retryable);
  EXPECT_THAT(r.error.message, HasSubstr("cannot connect"));
  EXPECT_EQ(messages_.size(), 2u);
}

TEST_F(LlmExecutorTest, JsonModeParsesTheText) {
  step_.params = boost::json::parse(R"({"json": true})").as_object();
  server_.Script(StreamReply({"```json\n{\"episodes\": [", "{\"title\": \"One\"}]}", "\n```"}));
  StepResult r = Run();
  ASSERT_TRUE(r.ok) << r.error.message;
  EXPECT_EQ(r.output.at("json").at("episodes").at(0).at("title"), "One");
  EXPECT_TRUE(r.output.at("text").is_string());
}

TEST_F(LlmExecutorTest, JsonModeFromResponseFormat) {
  step_.params = boost::json::parse(R"({"response_format": {"type": "json_object"}})").as_object();
  server_.Script(StreamReply({"[1, 2]"}));
  StepResult r = Run();
  ASSERT_TRUE(r.ok) << r.error.message;
  EXPECT_EQ(r.output.at("json"), boost::json::parse("[1,2]"));
  const auto body = boost::json::parse(server_.requests().at(0).body).as_object();
  EXPECT_EQ(body.at("response_format").at("type"), "json_object");
}

TEST_F(LlmExecutorTest, JsonModeWithProseIsBadOutput) {
  step_.params = boost::json::parse(R"({"json": true})").as_object();
  server_.Script(StreamReply({"Sure! Here are the episodes."}));
  StepResult r = Run();
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.code, "bad_output");
  EXPECT_TRUE(r.error.retryable);
}

TEST_F(LlmExecutorTest, AServerThatIgnoresStreamingStillWorks) {
  server_.Script(StatusReply(200, R"({"model":"m2","choices":[{"message":{"content":"whole"},
                                      "finish_reason":"stop"}]})"));
  StepResult r = Run();
  ASSERT_TRUE(r.ok) << r.error.message;
  EXPECT_EQ(r.output.at("text"), "whole");
  EXPECT_EQ(r.output.at("model"), "m2");
}

TEST_F(LlmExecutorTest, TooMuchTextIsRefused) {
  max_output_bytes_ = 8;
  server_.Script(StreamReply({"12345", "67890", "more"}));
  StepResult r = Run();
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.code, "output_too_large");
}

TEST_F(LlmExecutorTest, AnErrorEventMidStreamIsRetried) {
  FakeReply failing = StreamReply({"par"});
  failing.writes.resize(1);
  failing.writes.push_back("data: {\"error\":{\"message\":\"overloaded\"}}\n\n");
  server_.Script(failing);
  server_.Script(StreamReply({"fine"}));
  StepResult r = Run();
  ASSERT_TRUE(r.ok) << r.error.message;
  EXPECT_EQ(r.output.at("text"), "fine");
}

TEST_F(LlmExecutorTest, PromptAndConfigErrors) {
  step_.prompt = "{{steps.missing.text}}";
  StepResult r = Run();
  EXPECT_EQ(r.error.code, "bad_prompt");
  EXPECT_THAT(r.error.message, HasSubstr("steps.missing.text"));
  step_.prompt = "";
  EXPECT_EQ(Run().error.code, "bad_definition");
  step_.prompt = "hi";
  options_.base_url = "ftp://example.com";
  EXPECT_FALSE(LlmExecutor(options_).CheckOptions().ok());
  EXPECT_EQ(Run().error.code, "llm_error");
  EXPECT_TRUE(server_.requests().empty());
}

TEST_F(LlmExecutorTest, StreamsOverHttps) {
  testing::TempDir dir;
  FakeLlmServer tls_server(FakeLlmServer::Tls{dir.Sub("cert.pem")});
  tls_server.Script(StreamReply({"secure ", "stream"}));
  options_.base_url = tls_server.base_url();
  options_.ca_file = dir.Sub("cert.pem");
  StepResult r = Run();
  ASSERT_TRUE(r.ok) << r.error.code << ": " << r.error.message;
  EXPECT_EQ(r.output.at("text"), "secure stream");
  EXPECT_THAT(deltas_, ElementsAre("secure ", "stream"));
  ASSERT_EQ(tls_server.requests().size(), 1u);
  EXPECT_EQ(tls_server.requests()[0].headers.at("authorization"), "Bearer sk-test-123");
}

TEST_F(LlmExecutorTest, AnUntrustedCertificateIsRefused) {
  testing::TempDir dir;
  FakeLlmServer tls_server(FakeLlmServer::Tls{dir.Sub("cert.pem")});
  tls_server.Script(StreamReply({"never"}));
  options_.base_url = tls_server.base_url();  // no ca_file: the system CAs do not know it
  StepResult r = Run();
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.code, "llm_error");
  EXPECT_FALSE(r.error.retryable);
  EXPECT_THAT(r.error.message, HasSubstr("TLS handshake"));
  EXPECT_TRUE(tls_server.requests().empty());
}

}  // namespace
}  // namespace forkline
