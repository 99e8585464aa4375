#pragma once
// The SSE hub: one EventFeed listener fanning each item out to the SSE streams that
// want it. Each item is encoded at most twice (a run-stream frame with id = version, a
// global frame with id = position) and the same bytes go to every stream.
//
// Thread safety: every method may be called from any thread. The mutex guards only the
// subscriber tables; Publish copies the matching weak_ptrs under it, then delivers
// without it. The feed's listener only queues each item for the hub's own strand (on the
// HTTP io pool; nothing while no stream is open) and posts one fan-out when none is
// pending, so the feed's thread — the store's writer — never loops over the
// subscribers. A fan-out takes every item queued by then, in the feed's order, and hands
// each stream all of its items at once: the busier the hub, the more frames each stream
// gets per wake-up and per write (as a raw epoll loop that has fallen behind batches).
// Deliver() only queues for the session's strand, so a slow subscriber never slows the
// feed or the other subscribers.

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "daemon/api/feed.h"
#include "daemon/http/net.h"
#include "daemon/http/sse_stream.h"

namespace forkline {

// One item for one stream, with its encoding for that stream. `item` lives as long as
// the Deliver call.
struct SseDelivery {
  const FeedItem* item;
  Frame frame;
};

class SseSink {
 public:
  virtual ~SseSink() = default;
  // Called on the hub's strand with the items the sink's request Wants(), in the feed's
  // order (one call per fan-out); must not block (post and return).
  virtual void Deliver(std::span<const SseDelivery> batch) = 0;
};

class SseHub : public std::enable_shared_from_this<SseHub> {
 public:
  // A fan-out takes at most this many items (the rest go in the next one): one Deliver
  // never hands a stream more than this.
  static constexpr std::size_t kMaxItemsPerFanOut = 256;

  // Subscribes to `feed` (the hub must be held by a shared_ptr); items are fanned out
  // on a strand of `executor`. Call once.
  void Attach(EventFeed& feed, net::any_io_executor executor);
  // Unsubscribes; no item is delivered after Detach returns unless the hub's strand
  // was already delivering it.
  void Detach();

  // Registers a stream; `request` must outlive the registration. Returns its id.
  std::uint64_t Add(std::weak_ptr<SseSink> sink, const SseRequest* request);
  void Remove(std::uint64_t id);
  std::size_t size() const;

  // Delivers `items` (in feed order) to every registered stream that wants them, on the
  // calling thread: one Deliver per stream.
  void Publish(const FeedList& items);

 private:
  struct Entry {
    std::weak_ptr<SseSink> sink;
    const SseRequest* request = nullptr;
    bool filtered = false;  // wants a check beyond the table it is in (kind, types)
  };
  using Targets = std::shared_ptr<const std::vector<Entry>>;
  // The streams of one run (or the global ones), and a copy of them as a vector that
  // Publish shares instead of copying thousands of entries per item; rebuilt by the
  // first Publish after an Add or Remove.
  struct Table {
    std::map<std::uint64_t, Entry> entries;
    Targets targets;  // null: stale
    Targets Snapshot();
  };
  // Items [first, last) of `items` to `targets`; frames[k] is item k's encoding for this
  // kind of stream, made on first use (a transient item's is shared with `other`).
  static void Fanout(const std::vector<Entry>& targets, const FeedList& items, std::size_t first,
                     std::size_t last, bool global, std::vector<Frame>& frames,
                     std::vector<Frame>& other);

  // Items the feed's listener queued for the next fan-out.
  struct Inbox {
    std::mutex mu;
    FeedList items;
    bool posted = false;  // a fan-out is posted and has not taken the items yet
  };
  // On the strand: fans out what `inbox` holds, up to kMaxItemsPerFanOut.
  static void FanOutQueued(const std::weak_ptr<SseHub>& weak, const std::shared_ptr<Inbox>& inbox,
                           const net::strand<net::any_io_executor>& strand);

  mutable std::mutex mu_;  // guards everything below
  std::uint64_t next_id_ = 1;
  std::unordered_map<std::string, Table> run_streams_;  // by run id
  Table global_streams_;
  std::unordered_map<std::uint64_t, std::string> run_of_;  // run stream id -> run id
  EventFeed* feed_ = nullptr;
  std::uint64_t subscription_ = 0;
  std::optional<net::strand<net::any_io_executor>> strand_;  // set by Attach
  std::atomic<bool> attached_{false};
  // Streams registered (Add minus Remove); the feed's listener reads it to post nothing
  // while no stream is open. Shared with that listener.
  std::shared_ptr<std::atomic<std::size_t>> open_ = std::make_shared<std::atomic<std::size_t>>(0);
  std::shared_ptr<Inbox> inbox_ = std::make_shared<Inbox>();  // shared with that listener
};

}  // namespace forkline
