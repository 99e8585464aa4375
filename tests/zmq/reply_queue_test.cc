// ReplyQueue: every reply pushed reaches the socket thread, which sleeps in poll() on the
// queue's eventfd; only the first reply of a non-empty spell signals it.
#include "daemon/zmq/reply_queue.h"

#include <poll.h>

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace forkline {
namespace {

bool Readable(int fd, int timeout_ms) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, timeout_ms) == 1 && (p.revents & POLLIN) != 0;
}

OutgoingReply Reply(const std::string& body) { return {{"id"}, body}; }

TEST(ReplyQueueTest, SignalsOnceForRepliesQueuedBeforeTheDrain) {
  auto queue = ReplyQueue::Create();
  ASSERT_TRUE(queue.ok()) << queue.status().ToString();
  ReplyQueue& q = **queue;
  EXPECT_FALSE(Readable(q.fd(), 0));
  ASSERT_TRUE(q.Push(Reply("a")));
  ASSERT_TRUE(q.Push(Reply("b")));
  EXPECT_TRUE(Readable(q.fd(), 0));
  auto taken = q.TakeAll();
  ASSERT_EQ(taken.size(), 2u);
  EXPECT_EQ(taken[0].body, "a");
  EXPECT_EQ(taken[1].body, "b");
  EXPECT_FALSE(Readable(q.fd(), 0));  // drained: nothing pending, no signal left
  ASSERT_TRUE(q.Push(Reply("c")));    // the first of a new spell signals again
  EXPECT_TRUE(Readable(q.fd(), 0));
  taken = q.TakeAll();
  ASSERT_EQ(taken.size(), 1u);
  EXPECT_EQ(taken[0].body, "c");
}

TEST(ReplyQueueTest, AConsumerSleepingOnTheFdGetsEveryReplyOfManyProducers) {
  auto queue = ReplyQueue::Create();
  ASSERT_TRUE(queue.ok()) << queue.status().ToString();
  ReplyQueue& q = **queue;
  constexpr int kProducers = 4;
  constexpr int kEach = 20000;
  std::vector<std::thread> producers;
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back([&q, p] {
      for (int i = 0; i < kEach; ++i) ASSERT_TRUE(q.Push(Reply(std::to_string(p))));
    });
  }
  int received = 0;
  // Like the socket thread: sleep until signalled, then drain. A lost signal leaves
  // replies queued with no wake-up: the 10 s poll gives up and the count falls short.
  while (received < kProducers * kEach && Readable(q.fd(), 10000)) {
    received += static_cast<int>(q.TakeAll().size());
  }
  for (auto& t : producers) t.join();
  EXPECT_EQ(received, kProducers * kEach);
}

TEST(ReplyQueueTest, RefusesRepliesOnceClosed) {
  auto queue = ReplyQueue::Create();
  ASSERT_TRUE(queue.ok()) << queue.status().ToString();
  (*queue)->Close();
  EXPECT_FALSE((*queue)->Push(Reply("late")));
  EXPECT_TRUE((*queue)->TakeAll().empty());
}

}  // namespace
}  // namespace forkline
