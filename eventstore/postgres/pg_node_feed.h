#pragma once
// Cross-node live delivery for the PostgreSQL store: hands the store's listeners every
// event of the schema, whichever node appended it, once each, in position order.
// Woken by LISTEN/NOTIFY (every commit notifies ChannelFor(schema), pg_common.h) and, as a
// fallback, once a second; every wake-up reads by position from the last event published, so a lost
// notification only delays delivery. Thread-safe.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "eventstore/event.h"
#include "eventstore/postgres_event_store.h"

namespace forkline::pg {

class NodeFeed {
 public:
  using ReadAllFn = std::function<Result<EventList>(std::uint64_t after, std::size_t limit)>;
  using LastPositionFn = std::function<Result<std::uint64_t>()>;
  using PublishFn = std::function<void(const EventList&)>;

  // Publishes events after `start` (the last position when the store opened) and starts
  // the listening thread.
  NodeFeed(const PostgresStoreOptions& options, std::uint64_t start, ReadAllFn read_all,
           LastPositionFn last_position, PublishFn publish);
  ~NodeFeed();  // stops the thread at once
  NodeFeed(const NodeFeed&) = delete;
  NodeFeed& operator=(const NodeFeed&) = delete;

  // For the writer, after a commit of `own` (non-empty, contiguous positions): publishes
  // every event up to own's last one (other nodes' events before them read from the
  // database, `own` from memory) before returning. A failed read of those earlier events
  // is tried again for up to kOwnCatchUpFor (the server may be restarting); false when it
  // still fails: `own` is then not published yet (the feed's loop delivers it later).
  bool PublishThrough(const EventList& own);

  static constexpr std::chrono::seconds kOwnCatchUpFor{10};

 private:
  // REQUIRES: mu_ held. Publishes up to `upto`; true when it got there. Without `own` it
  // stops at the first failed read (the next wake-up goes on from there).
  bool CatchUpLocked(std::uint64_t upto, const EventList* own);
  void Loop();
  bool Stopping();

  const PostgresStoreOptions options_;
  const ReadAllFn read_all_;
  const LastPositionFn last_position_;
  const PublishFn publish_;
  // Guards last_published_ and serialises publication; held across the catch-up read on
  // purpose: the order of delivery is what it protects.
  std::mutex mu_;
  std::uint64_t last_published_;
  std::mutex stop_mu_;  // guards stopping_
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  const int wake_fd_;  // an eventfd: written once by the destructor to end the wait
  std::thread thread_;
};

}  // namespace forkline::pg
