// text/event-stream parsing by the WHATWG rules.

#include "clients/lib/sse_parser.h"

#include <vector>

#include <gtest/gtest.h>

namespace forkline::client {
namespace {

struct Collected {
  std::vector<SseEvent> events;
  std::vector<std::string> comments;
  SseParser parser{[this](const SseEvent& e) { events.push_back(e); },
                   [this](std::string_view c) { comments.emplace_back(c); }};
};

TEST(SseParserTest, FieldsAndMultiLineData) {
  Collected c;
  c.parser.Feed("event: step.completed\nid: 7\ndata: {\"a\":1}\ndata: second\n\n");
  ASSERT_EQ(c.events.size(), 1u);
  EXPECT_EQ(c.events[0].type, "step.completed");
  EXPECT_EQ(c.events[0].data, "{\"a\":1}\nsecond");
  EXPECT_EQ(c.events[0].id, "7");
  EXPECT_EQ(c.parser.last_event_id(), "7");
}

TEST(SseParserTest, AllLineEndingsAndSplitsAcrossFeeds) {
  Collected c;
  const std::string stream = "data: a\r\n\r\ndata: b\r\rdata: c\n\n";
  for (char ch : stream)
    c.parser.Feed(std::string(1, ch));  // worst-case chunking
  ASSERT_EQ(c.events.size(), 3u);
  EXPECT_EQ(c.events[0].data, "a");
  EXPECT_EQ(c.events[1].data, "b");
  EXPECT_EQ(c.events[2].data, "c");
}

TEST(SseParserTest, CommentsRetryAndDefaults) {
  Collected c;
  c.parser.Feed(
      "\xEF\xBB\xBF: keepalive\nretry: 1500\nretry: x1\n\ndata\n\ndata:no-space\ndata:  two\n\n");
  ASSERT_EQ(c.comments.size(), 1u);
  EXPECT_EQ(c.comments[0], " keepalive");
  EXPECT_EQ(c.parser.retry_ms(), 1500u);
  ASSERT_EQ(c.events.size(), 2u);
  EXPECT_EQ(c.events[0].type, "message");
  EXPECT_EQ(c.events[0].data, "");
  EXPECT_FALSE(c.events[0].id.has_value());
  EXPECT_EQ(c.events[1].data, "no-space\n two");
}

TEST(SseParserTest, IdPersistsAndEventsWithoutDataAreNotDispatched) {
  Collected c;
  c.parser.Feed("id: 3\nevent: nothing\n\nevent: step.progress\ndata: p\n\n");
  ASSERT_EQ(c.events.size(), 1u);
  EXPECT_EQ(c.events[0].type, "step.progress");
  EXPECT_FALSE(c.events[0].id.has_value());  // transient: no id of its own
  EXPECT_EQ(c.events[0].last_event_id, "3");
  std::string with_nul = "id: bad";
  with_nul += '\0';
  c.parser.Feed(with_nul + "id\ndata: x\n\n");
  EXPECT_EQ(c.parser.last_event_id(), "3");  // ids with NUL are ignored
  c.parser.Feed("unknown: field\nid\ndata: y\n\n");
  EXPECT_EQ(c.parser.last_event_id(), "");  // an empty id resets it
}

TEST(SseParserTest, ResetDropsAnUnfinishedEvent) {
  Collected c;
  c.parser.Feed("id: 1\ndata: done\n\nid: 2\ndata: half");
  c.parser.Reset();
  c.parser.Feed("data: next\n\n");
  ASSERT_EQ(c.events.size(), 2u);
  EXPECT_EQ(c.events[1].data, "next");
  // Event 2 was never dispatched, so a reconnect must ask for it again.
  EXPECT_EQ(c.parser.last_event_id(), "1");
}

}  // namespace
}  // namespace forkline::client
