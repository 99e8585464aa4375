// curl as an independent client: the SSE framing and the API as another HTTP stack
// sees them. Skipped when curl is not installed (scripts/deps installs it).

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "tests/http/fake_command_handler.h"
#include "tests/http/fake_event_feed.h"
#include "tests/http/test_server.h"
#include "tests/testutil/status_matchers.h"

namespace forkline::testing {
namespace {

bool HaveCurl() { return std::system("command -v curl >/dev/null 2>&1") == 0; }

class Pipe {
 public:
  explicit Pipe(const std::string& command) : f_(::popen(command.c_str(), "r")) {}
  ~Pipe() {
    if (f_ != nullptr) ::pclose(f_);
  }
  std::string ReadAll() {
    std::string out;
    char buf[4096];
    std::size_t n = 0;
    while (f_ != nullptr && (n = std::fread(buf, 1, sizeof buf, f_)) > 0) out.append(buf, n);
    return out;
  }

 private:
  FILE* f_;
};

std::string Frame(const FeedItemPtr& item) {
  return "event: " + item->type + "\nid: " + std::to_string(item->version) +
         "\ndata: " + item->json + "\n\n";
}

TEST(CurlTest, SseStreamHistoryLiveAndResume) {
  if (!HaveCurl()) GTEST_SKIP() << "curl not installed";
  FakeCommandHandler handler;
  FakeEventFeed feed;
  auto a1 = feed.Append("r1", "run.created");
  auto a2 = feed.Append("r1", "run.completed", true);
  auto b1 = feed.Append("r2", "run.created");
  TestServer server({}, handler, feed);
  ASSERT_OK(server.start_status());
  const std::string base = "http://127.0.0.1:" + std::to_string(server.port());

  EXPECT_EQ(Pipe("curl -sN --max-time 60 '" + base + "/v1/runs/r1/events?until=terminal'")
                .ReadAll(),
            "retry: 1000\n\n" + Frame(a1) + Frame(a2));

  // Resume r2 after version 1 while its events are being appended: each exactly once,
  // whether curl sees them as history or live.
  Pipe live("curl -sN --max-time 60 -H 'Last-Event-ID: 1' '" + base +
            "/v1/runs/r2/events?until=terminal'");
  auto b2 = feed.Emit("r2", "step.completed");
  auto b3 = feed.Emit("r2", "run.completed", true);
  std::string out = live.ReadAll();
  // curl may have connected before or after the events: keepalives aside, same bytes.
  const std::string keepalive = ": keepalive\n\n";
  for (std::size_t k; (k = out.find(keepalive)) != std::string::npos;) out.erase(k, keepalive.size());
  EXPECT_EQ(out, "retry: 1000\n\n" + Frame(b2) + Frame(b3));
  (void)b1;
}

TEST(CurlTest, PostCreateWithIdempotencyKey) {
  if (!HaveCurl()) GTEST_SKIP() << "curl not installed";
  FakeCommandHandler handler;
  FakeEventFeed feed;
  TestServer server({}, handler, feed);
  ASSERT_OK(server.start_status());
  const std::string base = "http://127.0.0.1:" + std::to_string(server.port());
  const std::string out =
      Pipe("curl -s --max-time 60 -o /dev/null -w '%{http_code}' -X POST "
           "-H 'Idempotency-Key: abc' -H 'Content-Type: application/json' "
           "-d '{\"kind\":\"novel_to_script\",\"input\":{}}' '" + base + "/v1/runs'")
          .ReadAll();
  EXPECT_EQ(out, "201");
  EXPECT_EQ(handler.last().cmd, "run.create");
  EXPECT_EQ(handler.last().key, "abc");
  const std::string big =
      Pipe("head -c 20000000 /dev/zero | tr '\\0' ' ' | curl -s --max-time 60 -o /dev/null "
           "-w '%{http_code}' -X POST --data-binary @- '" + base + "/v1/runs'")
          .ReadAll();
  EXPECT_EQ(big, "413");
}

}  // namespace
}  // namespace forkline::testing
