// The PostgreSQL store's cross-node feed (eventstore/postgres/pg_node_feed.h): a writer's
// own events are published only after every event stored before them, also when reading
// those fails for a while (the server restarting, the backend terminated). Before, a
// failed read returned at once with the writer's events unpublished, and its appenders
// were answered from projections that did not have them yet (a run.create answered with
// an empty run; daemon_postgres_torture_test, seed 617392499).
#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

#include <gtest/gtest.h>

#include "eventstore/postgres/pg_node_feed.h"
#include "tests/eventstore/pg_test_server.h"

namespace forkline::testing {
namespace {

EventPtr At(std::uint64_t position) {
  auto e = std::make_shared<Event>();
  e->run_id = "r" + std::to_string(position);
  e->version = 1;
  e->position = position;
  e->type = "run.created";
  return e;
}

struct Recorder {
  std::mutex mu;
  std::vector<std::uint64_t> positions;
  void operator()(const EventList& events) {
    std::lock_guard lock(mu);
    for (const EventPtr& e : events) positions.push_back(e->position);
  }
};

// Other nodes stored positions 1 and 2; this writer stored 3. The first reads of 1..2 fail.
std::unique_ptr<pg::NodeFeed> Feed(Recorder& recorder, std::shared_ptr<std::atomic<int>> failures) {
  const EventList earlier = {At(1), At(2)};
  return std::make_unique<pg::NodeFeed>(
      FreshPgOptions(), /*start=*/0,
      [earlier, failures](std::uint64_t after, std::size_t limit) -> Result<EventList> {
        if (failures->fetch_sub(1) > 0) return Status::Unavailable("the server is restarting");
        EventList page;
        for (const EventPtr& e : earlier) {
          if (e->position > after && page.size() < limit) page.push_back(e);
        }
        return page;
      },
      []() -> Result<std::uint64_t> { return std::uint64_t{0}; },  // the loop finds nothing new
      [&recorder](const EventList& events) { recorder(events); });
}

TEST(PgNodeFeed, OwnEventsWaitUntilTheEarlierOnesCanBeRead) {
  Recorder recorder;
  auto failures = std::make_shared<std::atomic<int>>(3);
  auto feed = Feed(recorder, failures);
  EXPECT_TRUE(feed->PublishThrough({At(3)}));
  std::lock_guard lock(recorder.mu);
  EXPECT_EQ(recorder.positions, (std::vector<std::uint64_t>{1, 2, 3}));
}

TEST(PgNodeFeed, OwnEventsStayUnpublishedWhileTheEarlierOnesCannotBeRead) {
  Recorder recorder;
  auto failures = std::make_shared<std::atomic<int>>(1 << 30);
  auto feed = Feed(recorder, failures);
  EXPECT_FALSE(feed->PublishThrough({At(3)}));  // after kOwnCatchUpFor
  std::lock_guard lock(recorder.mu);
  EXPECT_TRUE(recorder.positions.empty()) << "never out of position order";
}

}  // namespace
}  // namespace forkline::testing
