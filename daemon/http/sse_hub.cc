#include "daemon/http/sse_hub.h"

#include <utility>
#include <vector>

namespace forkline {

void SseHub::Attach(EventFeed& feed, net::any_io_executor executor) {
  strand_.emplace(net::make_strand(std::move(executor)));
  attached_ = true;
  std::weak_ptr<SseHub> weak = weak_from_this();
  auto strand = *strand_;
  // On the feed's thread: the item is queued and a fan-out posted unless one is pending,
  // while any stream is open (nothing at all while none is); the loop over subscribers
  // runs on the strand. A stream that opens after the check below read 0 subscribed
  // before reading its history (SseSession), and the item was durable before the feed
  // saw it: that history read returns it. The two fences (here and in Add) order "count,
  // then read" against "write, then count".
  const std::uint64_t id = feed.Subscribe([weak, strand, open = open_,
                                           inbox = inbox_](const FeedItemPtr& item) {
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (open->load(std::memory_order_relaxed) == 0) return;
    {
      std::lock_guard lock(inbox->mu);
      inbox->items.push_back(item);
      if (std::exchange(inbox->posted, true)) return;
    }
    net::post(strand, [weak, inbox, strand] { FanOutQueued(weak, inbox, strand); });
  });
  std::lock_guard lock(mu_);
  feed_ = &feed;
  subscription_ = id;
}

void SseHub::FanOutQueued(const std::weak_ptr<SseHub>& weak, const std::shared_ptr<Inbox>& inbox,
                          const net::strand<net::any_io_executor>& strand) {
  FeedList items;
  bool more = false;
  {
    std::lock_guard lock(inbox->mu);
    if (inbox->items.size() <= kMaxItemsPerFanOut) {
      items.swap(inbox->items);
      inbox->posted = false;
    } else {
      const auto end = inbox->items.begin() + static_cast<std::ptrdiff_t>(kMaxItemsPerFanOut);
      items.assign(inbox->items.begin(), end);
      inbox->items.erase(inbox->items.begin(), end);
      more = true;
    }
  }
  auto hub = weak.lock();
  if (hub && hub->attached_.load()) hub->Publish(items);
  // The rest after the sessions' strands have had their turn.
  if (more) net::post(strand, [weak, inbox, strand] { FanOutQueued(weak, inbox, strand); });
}

void SseHub::Detach() {
  EventFeed* feed = nullptr;
  std::uint64_t id = 0;
  {
    std::lock_guard lock(mu_);
    std::swap(feed, feed_);
    std::swap(id, subscription_);
  }
  attached_ = false;  // items still queued on the strand are dropped
  if (feed != nullptr) feed->Unsubscribe(id);  // outside the lock: it may wait for Publish
}

std::uint64_t SseHub::Add(std::weak_ptr<SseSink> sink, const SseRequest* request) {
  std::lock_guard lock(mu_);
  const std::uint64_t id = next_id_++;
  const bool filtered = !request->kind.empty() || !request->types.empty() ||
                        (request->global && !request->run_id.empty());
  Entry entry{std::move(sink), request, filtered};
  Table& table = request->global ? global_streams_ : run_streams_[request->run_id];
  table.entries.emplace(id, std::move(entry));
  table.targets = nullptr;
  if (!request->global) run_of_.emplace(id, request->run_id);
  open_->fetch_add(1, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_seq_cst);
  return id;
}

void SseHub::Remove(std::uint64_t id) {
  std::lock_guard lock(mu_);
  if (global_streams_.entries.erase(id) > 0) {
    global_streams_.targets = nullptr;
    open_->fetch_sub(1, std::memory_order_relaxed);
    return;
  }
  auto it = run_of_.find(id);
  if (it == run_of_.end()) return;
  auto table = run_streams_.find(it->second);
  if (table != run_streams_.end()) {
    table->second.entries.erase(id);
    table->second.targets = nullptr;
    if (table->second.entries.empty()) run_streams_.erase(table);
  }
  run_of_.erase(it);
  open_->fetch_sub(1, std::memory_order_relaxed);
}

std::size_t SseHub::size() const {
  std::lock_guard lock(mu_);
  return global_streams_.entries.size() + run_of_.size();
}

SseHub::Targets SseHub::Table::Snapshot() {
  if (!targets) {
    auto v = std::make_shared<std::vector<Entry>>();
    v->reserve(entries.size());
    for (const auto& [id, entry] : entries) v->push_back(entry);
    targets = std::move(v);
  }
  return targets;
}

void SseHub::Fanout(const std::vector<Entry>& targets, const FeedList& items, std::size_t first,
                    std::size_t last, bool global, std::vector<Frame>& frames,
                    std::vector<Frame>& other) {
  auto delivery = [&](std::size_t k) {
    if (!frames[k]) {
      const FeedItem& item = *items[k];
      // A transient item has no id: the same bytes serve both kinds of stream.
      frames[k] = item.transient && other[k] ? other[k] : EncodeFrame(item, global);
      if (item.transient) other[k] = frames[k];
    }
    return SseDelivery{items[k].get(), frames[k]};
  };
  std::vector<SseDelivery> all;   // what every unfiltered stream gets, built once
  std::vector<SseDelivery> some;  // a filtered stream's share
  for (const Entry& e : targets) {
    auto sink = e.sink.lock();
    if (!sink) continue;
    if (!e.filtered) {
      if (all.empty()) {
        for (std::size_t k = first; k < last; ++k) all.push_back(delivery(k));
      }
      sink->Deliver(all);
      continue;
    }
    some.clear();
    for (std::size_t k = first; k < last; ++k) {
      if (e.request->Wants(*items[k])) some.push_back(delivery(k));
    }
    if (!some.empty()) sink->Deliver(some);
  }
}

void SseHub::Publish(const FeedList& items) {
  // Encoded lazily, once per item and id kind.
  std::vector<Frame> run_frames(items.size());
  std::vector<Frame> global_frames(items.size());
  // Run streams: each run's consecutive items go out together.
  for (std::size_t first = 0; first < items.size();) {
    std::size_t last = first + 1;
    while (last < items.size() && items[last]->run_id == items[first]->run_id) ++last;
    Targets targets;
    {
      std::lock_guard lock(mu_);
      auto table = run_streams_.find(items[first]->run_id);
      if (table != run_streams_.end()) targets = table->second.Snapshot();
    }
    if (targets) Fanout(*targets, items, first, last, false, run_frames, global_frames);
    first = last;
  }
  Targets global_targets;
  {
    std::lock_guard lock(mu_);
    if (!global_streams_.entries.empty()) global_targets = global_streams_.Snapshot();
  }
  if (global_targets) {
    Fanout(*global_targets, items, 0, items.size(), true, global_frames, run_frames);
  }
}

}  // namespace forkline
