// SseHub: the feed's thread only posts; the fan-out runs on the hub's strand, in the
// feed's order, and stops at Detach.
#include "daemon/http/sse_hub.h"

#include <memory>
#include <mutex>
#include <span>
#include <vector>

#include <gtest/gtest.h>

#include "tests/http/fake_event_feed.h"

namespace forkline {
namespace {

class RecordingSink : public SseSink {
 public:
  void Deliver(std::span<const SseDelivery> batch) override {
    std::lock_guard lock(mu);
    ++calls;
    for (const SseDelivery& d : batch) {
      versions.push_back(d.item->version);
      frames.push_back(d.frame);
    }
  }
  std::mutex mu;
  int calls = 0;
  std::vector<std::uint64_t> versions;
  std::vector<Frame> frames;
};

class SseHubTest : public ::testing::Test {
 protected:
  void SetUp() override {
    hub->Attach(feed, ioc.get_executor());
    request.run_id = "r1";
    for (auto& sink : sinks) {
      sink = std::make_shared<RecordingSink>();
      hub->Add(sink, &request);
    }
  }
  void TearDown() override { hub->Detach(); }

  testing::FakeEventFeed feed;
  net::io_context ioc;
  std::shared_ptr<SseHub> hub = std::make_shared<SseHub>();
  SseRequest request;
  std::shared_ptr<RecordingSink> sinks[3];
};

TEST_F(SseHubTest, FeedThreadOnlyPostsFanOutRunsOnTheStrandInOrder) {
  for (int i = 0; i < 50; ++i)
    feed.Emit("r1", "run.paused");
  feed.Emit("r2", "run.paused");  // another run: no sink wants it
  // Nothing runs the io_context yet: the feed's calls returned without delivering.
  for (auto& sink : sinks)
    EXPECT_TRUE(sink->versions.empty());
  ioc.run();
  std::vector<std::uint64_t> want;
  for (std::uint64_t v = 1; v <= 50; ++v)
    want.push_back(v);
  for (auto& sink : sinks)
    EXPECT_EQ(sink->versions, want);
  // One encoding per item, the same bytes for every sink.
  for (std::size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(sinks[0]->frames[i], sinks[1]->frames[i]);
    EXPECT_EQ(sinks[0]->frames[i], sinks[2]->frames[i]);
  }
}

// Items the feed emits while a fan-out is pending go out with it: one post for all of
// them, one Deliver per stream (so a busy hub hands each session many frames at once),
// each run's items to that run's streams only, in order.
TEST_F(SseHubTest, ItemsQueuedBeforeAFanOutGoOutTogether) {
  SseRequest other;
  other.run_id = "r2";
  auto r2_sink = std::make_shared<RecordingSink>();
  hub->Add(r2_sink, &other);
  for (int i = 0; i < 10; ++i) feed.Emit("r1", "run.paused");
  for (int i = 0; i < 3; ++i) feed.Emit("r2", "run.paused");
  for (int i = 0; i < 5; ++i) feed.Emit("r1", "run.resumed");
  EXPECT_EQ(ioc.run(), 1u) << "one fan-out for the 18 items";
  std::vector<std::uint64_t> want;
  for (std::uint64_t v = 1; v <= 15; ++v) want.push_back(v);
  for (auto& sink : sinks) {
    EXPECT_EQ(sink->versions, want);
    EXPECT_EQ(sink->calls, 2) << "r1's two runs of items, around r2's";
  }
  EXPECT_EQ(r2_sink->versions, (std::vector<std::uint64_t>{1, 2, 3}));
  EXPECT_EQ(r2_sink->calls, 1);

  feed.Emit("r1", "run.paused");  // after the fan-out: a new one
  ioc.restart();
  EXPECT_EQ(ioc.run(), 1u);
  EXPECT_EQ(sinks[0]->versions.back(), 16u);
}

TEST_F(SseHubTest, ItemsStillQueuedAtDetachAreNotDelivered) {
  feed.Emit("r1", "run.paused");
  hub->Detach();
  feed.Emit("r1", "run.resumed");  // unsubscribed: not even posted
  ioc.run();
  for (auto& sink : sinks)
    EXPECT_TRUE(sink->versions.empty());
  EXPECT_EQ(feed.listener_count(), 0u);
}

TEST(SseHubIdleTest, PostsNothingWhileNoStreamIsOpen) {
  testing::FakeEventFeed feed;
  net::io_context ioc;
  auto hub = std::make_shared<SseHub>();
  hub->Attach(feed, ioc.get_executor());
  auto run_items = [&ioc] {
    ioc.restart();
    return ioc.poll();
  };
  feed.Emit("r1", "run.paused");
  EXPECT_EQ(run_items(), 0u);  // no stream: the feed's thread posted nothing

  auto sink = std::make_shared<RecordingSink>();
  SseRequest request;
  request.run_id = "r1";
  const std::uint64_t id = hub->Add(sink, &request);
  feed.Emit("r1", "run.resumed");
  EXPECT_GT(run_items(), 0u);
  EXPECT_EQ(sink->versions, std::vector<std::uint64_t>{2});

  hub->Remove(id);
  feed.Emit("r1", "run.paused");
  EXPECT_EQ(run_items(), 0u);
  EXPECT_EQ(sink->versions, std::vector<std::uint64_t>{2});
  hub->Detach();
}

}  // namespace
}  // namespace forkline
