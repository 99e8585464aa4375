// SSE streams over a real socket: framing, history then live without gap or duplicate,
// resumption, ?until=terminal, global filters, progress frames, slow subscribers and
// keepalive comments.

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <vector>

#include "tests/http/fake_command_handler.h"
#include "tests/http/fake_event_feed.h"
#include "tests/http/test_client.h"
#include "tests/http/test_server.h"
#include "tests/testutil/status_matchers.h"

namespace forkline::testing {
namespace {

class SseTest : public ::testing::Test {
 protected:
  void Start(HttpOptions options = {}) {
    server_ = std::make_unique<TestServer>(std::move(options), handler_, feed_);
    ASSERT_OK(server_->start_status());
    port_ = server_->port();
  }
  // Opens a stream and reads the head and the retry line.
  std::unique_ptr<SseClient> Open(const std::string& target, const Headers& headers = {},
                                  int rcvbuf = 0) {
    auto c = std::make_unique<SseClient>(port_, target, headers, rcvbuf);
    auto head = c->ReadHead();
    EXPECT_EQ(head.status, 200) << head.raw;
    EXPECT_EQ(head.headers["content-type"], "text/event-stream");
    auto retry = c->Next();
    EXPECT_TRUE(retry && retry->raw == "retry: 1000\n\n");
    return c;
  }
  // The ids of the next n events.
  static std::vector<std::string> Ids(SseClient& c, std::size_t n) {
    std::vector<std::string> ids;
    for (std::size_t i = 0; i < n; ++i) {
      auto m = c.NextEvent();
      if (!m) break;
      ids.push_back(m->id.value_or("<none>"));
    }
    return ids;
  }
  static std::vector<std::string> Range(int from, int to) {
    std::vector<std::string> ids;
    for (int i = from; i <= to; ++i) ids.push_back(std::to_string(i));
    return ids;
  }

  FakeCommandHandler handler_;
  FakeEventFeed feed_;
  std::unique_ptr<TestServer> server_;
  std::uint16_t port_ = 0;
};

TEST_F(SseTest, ExactFramingHistoryThenLive) {
  feed_.Append("r1", "run.created");
  feed_.Append("r2", "run.created");
  feed_.Append("r1", "step.started");
  Start();
  auto c = Open("/v1/runs/r1/events");
  auto m = c->Next();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->raw,
            "event: run.created\nid: 1\n"
            "data: {\"run_id\":\"r1\",\"type\":\"run.created\",\"version\":1,\"position\":1}\n\n");
  m = c->Next();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->event, "step.started");
  EXPECT_EQ(m->id, "2");
  feed_.Emit("r2", "step.started");  // another run: not on this stream
  feed_.Emit("r1", "step.completed");
  m = c->NextEvent();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->event, "step.completed");
  EXPECT_EQ(m->id, "3");
  EXPECT_EQ(m->data, R"({"run_id":"r1","type":"step.completed","version":3,"position":5})");
}

TEST_F(SseTest, UnknownRunIs404BeforeStreaming) {
  Start();
  auto r = Request(port_, "GET", "/v1/runs/nope/events");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.headers["content-type"], "application/json");
  EXPECT_NE(r.body.find("\"not_found\""), std::string::npos) << r.body;
  EXPECT_EQ(Request(port_, "GET", "/v1/runs/r1/events?after=x").status, 400);
  EXPECT_EQ(Request(port_, "GET", "/v1/events?until=forever").status, 400);
}

// Events published while the stream reads history (inside the read, before and after
// its snapshot) arrive once each, in order.
class SseCatchUpTest : public SseTest, public ::testing::WithParamInterface<bool> {};

TEST_P(SseCatchUpTest, PublishedDuringCatchUpNoGapNoDuplicate) {
  for (int i = 0; i < 5; ++i) feed_.Append("r1", "step.started");
  feed_.snapshot_after_hook = GetParam();
  std::atomic<int> emitted{0};
  feed_.read_hook = [&] {
    for (int i = 0; i < 2 && emitted < 6; ++i, ++emitted) feed_.Emit("r1", "step.progressed");
  };
  HttpOptions options;
  options.sse_page_size = 2;
  Start(options);
  auto c = Open("/v1/runs/r1/events");
  EXPECT_EQ(Ids(*c, 11), Range(1, 11));
  feed_.read_hook = nullptr;
  feed_.Emit("r1", "step.completed");
  EXPECT_EQ(Ids(*c, 1), Range(12, 12));
}

INSTANTIATE_TEST_SUITE_P(SnapshotBeforeAndAfter, SseCatchUpTest, ::testing::Bool());

TEST_F(SseTest, LiveOverflowDuringCatchUpLosesNothing) {
  for (int i = 0; i < 4; ++i) feed_.Append("r1", "step.started");
  std::atomic<int> reads{0};
  feed_.read_hook = [&] {
    if (reads++ < 3) {
      for (int i = 0; i < 5; ++i) feed_.Emit("r1", "step.progressed");
    }
  };
  HttpOptions options;
  options.sse_page_size = 2;
  options.sse_queue_limit = 2;  // the 5 queued live items overflow: dropped, read again
  Start(options);
  auto c = Open("/v1/runs/r1/events");
  EXPECT_EQ(Ids(*c, 19), Range(1, 19));
}

TEST_F(SseTest, LastEventIdAndAfterResume) {
  for (int i = 0; i < 5; ++i) feed_.Append("r1", "step.started");
  Start();
  auto c = Open("/v1/runs/r1/events", {{"Last-Event-ID", "3"}});
  EXPECT_EQ(Ids(*c, 2), Range(4, 5));
  c = Open("/v1/runs/r1/events?after=2");
  EXPECT_EQ(Ids(*c, 3), Range(3, 5));
  c = Open("/v1/runs/r1/events?after=1", {{"Last-Event-ID", "4"}});  // the header wins
  EXPECT_EQ(Ids(*c, 1), Range(5, 5));
  feed_.Emit("r1", "step.completed");
  EXPECT_EQ(Ids(*c, 1), Range(6, 6));
}

TEST_F(SseTest, UntilTerminalClosesAfterTerminalHistory) {
  feed_.Append("r1", "run.created");
  feed_.Append("r1", "run.completed", /*terminal=*/true);
  Start();
  auto c = Open("/v1/runs/r1/events?until=terminal");
  EXPECT_EQ(Ids(*c, 2), Range(1, 2));
  EXPECT_FALSE(c->Next());
  EXPECT_TRUE(c->socket().closed_by_peer());
}

// The terminal event is the last of a full history page: the next read finds nothing
// more and the stream must end there. (It stayed open: nothing was left to write, so
// nothing ever looked at the draining stream again.)
TEST_F(SseTest, UntilTerminalClosesWhenTheTerminalEventEndsAFullPage) {
  feed_.Append("r1", "run.created");
  feed_.Append("r1", "step.started");
  feed_.Append("r1", "run.completed", /*terminal=*/true);
  HttpOptions options;
  options.sse_page_size = 3;
  Start(options);
  auto c = Open("/v1/runs/r1/events?until=terminal");
  EXPECT_EQ(Ids(*c, 3), Range(1, 3));
  EXPECT_FALSE(c->Next());
  EXPECT_TRUE(c->socket().closed_by_peer());
}

// A burst of live events far beyond sse_queue_limit reaches a stream whose socket takes
// all of it (buffers big enough for the whole burst, so the client need not read during
// it): the client gets them all, in order, and the stream is not cut off as slow by the
// size of one fan-out's batch.
TEST_F(SseTest, AStreamThatKeepsUpOutlivesABurstBeyondTheQueueLimit) {
  feed_.Append("r1", "run.created");
  HttpOptions options;
  options.sse_queue_limit = 64;
  options.sse_send_buffer_bytes = 1 << 20;
  Start(options);
  auto c = Open("/v1/runs/r1/events", {}, /*rcvbuf=*/1 << 20);
  ASSERT_EQ(Ids(*c, 1), Range(1, 1));
  constexpr int kBurst = 1000;
  for (int i = 0; i < kBurst; ++i) feed_.Emit("r1", "step.progressed");
  EXPECT_EQ(Ids(*c, kBurst), Range(2, kBurst + 1));
  auto metrics = Request(port_, "GET", "/metrics");
  EXPECT_EQ(metrics.body.find("forkline_sse_disconnects_total{reason=\"slow\"}"), std::string::npos)
      << metrics.body;
}

TEST_F(SseTest, UntilTerminalClosesAfterLiveTerminal) {
  feed_.Append("r1", "run.created");
  feed_.Append("r1", "run.failed", /*terminal=*/true);
  feed_.Append("r1", "run.retried");  // failed, then retried: not the end
  Start();
  auto c = Open("/v1/runs/r1/events?until=terminal");
  EXPECT_EQ(Ids(*c, 3), Range(1, 3));
  feed_.Emit("r1", "step.completed");
  feed_.Emit("r1", "run.completed", /*terminal=*/true);
  feed_.Emit("r1", "run.forked");  // after the end: never sent
  EXPECT_EQ(Ids(*c, 2), Range(4, 5));
  EXPECT_FALSE(c->Next());
  EXPECT_TRUE(c->socket().closed_by_peer());
}

TEST_F(SseTest, GlobalStreamFiltersAndResumes) {
  feed_.Append("r1", "run.created", false, "a");
  feed_.Append("r1", "step.completed", false, "a");
  feed_.Append("r2", "run.created", false, "b");
  feed_.Append("r2", "step.completed", false, "b");
  feed_.Append("r2", "run.completed", true, "b");
  Start();
  auto all = Open("/v1/events");
  EXPECT_EQ(Ids(*all, 5), Range(1, 5));
  auto by_run = Open("/v1/events?run=r2");
  EXPECT_EQ(Ids(*by_run, 3), Range(3, 5));
  auto by_kind = Open("/v1/events?kind=a");
  EXPECT_EQ(Ids(*by_kind, 2), Range(1, 2));
  auto by_type = Open("/v1/events?types=step.completed,run.completed");
  EXPECT_EQ(Ids(*by_type, 3), (std::vector<std::string>{"2", "4", "5"}));
  auto resumed = Open("/v1/events", {{"Last-Event-ID", "3"}});
  EXPECT_EQ(Ids(*resumed, 2), Range(4, 5));

  feed_.Emit("r1", "run.paused", false, "a");      // position 6
  feed_.Emit("r2", "step.completed", false, "b");  // position 7
  EXPECT_EQ(Ids(*all, 2), Range(6, 7));
  EXPECT_EQ(Ids(*by_run, 1), Range(7, 7));
  EXPECT_EQ(Ids(*by_kind, 1), Range(6, 6));
  EXPECT_EQ(Ids(*by_type, 1), Range(7, 7));
  EXPECT_EQ(Ids(*resumed, 2), Range(6, 7));
}

TEST_F(SseTest, ProgressFramesHaveNoId) {
  feed_.Append("r1", "run.created");
  Start();
  auto run = Open("/v1/runs/r1/events");
  auto global = Open("/v1/events");
  EXPECT_EQ(Ids(*run, 1), Range(1, 1));
  EXPECT_EQ(Ids(*global, 1), Range(1, 1));
  feed_.Publish(feed_.Progress("r1", "half way"));
  const std::string expected =
      "event: step.progress\ndata: {\"run_id\":\"r1\",\"message\":\"half way\"}\n\n";
  auto m = run->NextEvent();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->raw, expected);
  m = global->NextEvent();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->raw, expected);
}

TEST_F(SseTest, AccessTokenQueryForStreams) {
  feed_.Append("r1", "run.created");
  HttpOptions options;
  options.token = "t0k";
  Start(options);
  EXPECT_EQ(Request(port_, "GET", "/v1/runs/r1/events").status, 401);
  EXPECT_EQ(Request(port_, "GET", "/v1/events?access_token=bad").status, 401);
  auto c = Open("/v1/runs/r1/events?access_token=t0k");
  EXPECT_EQ(Ids(*c, 1), Range(1, 1));
  auto d = Open("/v1/events", {{"Authorization", "Bearer t0k"}});
  EXPECT_EQ(Ids(*d, 1), Range(1, 1));
}

TEST_F(SseTest, SlowSubscriberIsCutOffFastOneGetsEverything) {
  feed_.Append("r1", "run.created");
  feed_.pad_bytes = 2000;
  HttpOptions options;
  options.sse_queue_limit = 64;
  options.sse_send_buffer_bytes = 4096;
  Start(options);
  auto fast = Open("/v1/runs/r1/events");
  auto slow = Open("/v1/runs/r1/events", {}, /*rcvbuf=*/4096);
  EXPECT_EQ(Ids(*fast, 1), Range(1, 1));
  EXPECT_EQ(Ids(*slow, 1), Range(1, 1));
  // The slow client reads nothing more. Batches smaller than the queue limit, each
  // read in full by the fast client before the next: ~6 MB, far beyond any buffer.
  constexpr int kBatches = 200, kBatch = 16;
  int next = 2;
  for (int b = 0; b < kBatches; ++b) {
    for (int i = 0; i < kBatch; ++i) feed_.Emit("r1", "step.progressed");
    ASSERT_EQ(Ids(*fast, kBatch), Range(next, next + kBatch - 1)) << "batch " << b;
    next += kBatch;
  }
  // Now the slow client reads: what was in the buffers, then the end of the stream.
  std::size_t received = 0;
  while (auto m = slow->NextEvent()) ++received;
  EXPECT_TRUE(slow->socket().closed_by_peer());
  EXPECT_LT(received, static_cast<std::size_t>(kBatches * kBatch));
  auto metrics = Request(port_, "GET", "/metrics");
  EXPECT_NE(metrics.body.find("forkline_sse_disconnects_total{reason=\"slow\"}"),
            std::string::npos);
}

// Frames many times larger than both socket buffers go out in many partial writes (the
// stream waits for the socket between them); a client that reads slowly, but keeps up
// within the queue limit, gets every frame whole, in order, byte for byte.
TEST_F(SseTest, FramesLargerThanTheSocketBuffersArriveWhole) {
  feed_.Append("r1", "run.created");
  feed_.pad_bytes = 200000;
  HttpOptions options;
  options.sse_send_buffer_bytes = 4096;
  Start(options);
  auto c = Open("/v1/runs/r1/events", {}, /*rcvbuf=*/4096);
  ASSERT_EQ(Ids(*c, 1), Range(1, 1));
  constexpr int kEvents = 12;
  for (int i = 0; i < kEvents; ++i) feed_.Emit("r1", "step.progressed");
  const std::string pad(feed_.pad_bytes, 'x');
  for (int v = 2; v <= kEvents + 1; ++v) {
    auto m = c->NextEvent();
    ASSERT_TRUE(m) << "stream ended before version " << v;
    EXPECT_EQ(m->id, std::to_string(v));
    EXPECT_EQ(m->event, "step.progressed");
    EXPECT_NE(m->data.find(pad), std::string::npos) << "version " << v << " arrived cut";
    EXPECT_EQ(m->data.find("\"version\":" + std::to_string(v)), m->data.find("\"version\""))
        << m->data.substr(0, 120);
  }
}

TEST_F(SseTest, KeepaliveCommentWhenIdle) {
  feed_.Append("r1", "run.created");
  HttpOptions options;
  options.sse_keepalive_s = 1;
  Start(options);
  auto c = Open("/v1/runs/r1/events");
  EXPECT_EQ(Ids(*c, 1), Range(1, 1));
  auto m = c->Next();  // nothing else happens: the next block is the comment
  ASSERT_TRUE(m);
  EXPECT_EQ(m->raw, ": keepalive\n\n");
}

TEST_F(SseTest, StopClosesStreams) {
  feed_.Append("r1", "run.created");
  Start();
  auto c = Open("/v1/runs/r1/events");
  EXPECT_EQ(Ids(*c, 1), Range(1, 1));
  server_->server().Stop();
  EXPECT_FALSE(c->NextEvent());
  EXPECT_TRUE(c->socket().closed_by_peer());
  EXPECT_EQ(feed_.listener_count(), 0u);
}

}  // namespace
}  // namespace forkline::testing
