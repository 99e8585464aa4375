#include "daemon/http/sse_hub.h"

#include <vector>

namespace forkline {

void SseHub::Attach(EventFeed& feed) {
  std::weak_ptr<SseHub> weak = weak_from_this();
  const std::uint64_t id = feed.Subscribe([weak](const FeedItemPtr& item) {
    if (auto hub = weak.lock()) hub->Publish(item);
  });
  std::lock_guard lock(mu_);
  feed_ = &feed;
  subscription_ = id;
}

void SseHub::Detach() {
  EventFeed* feed = nullptr;
  std::uint64_t id = 0;
  {
    std::lock_guard lock(mu_);
    std::swap(feed, feed_);
    std::swap(id, subscription_);
  }
  if (feed != nullptr) feed->Unsubscribe(id);  // outside the lock: it may wait for Publish
}

std::uint64_t SseHub::Add(std::weak_ptr<SseSink> sink, const SseRequest* request) {
  std::lock_guard lock(mu_);
  const std::uint64_t id = next_id_++;
  Entry entry{std::move(sink), request};
  if (request->global) {
    global_streams_.emplace(id, std::move(entry));
  } else {
    run_streams_[request->run_id].emplace(id, std::move(entry));
    run_of_.emplace(id, request->run_id);
  }
  return id;
}

void SseHub::Remove(std::uint64_t id) {
  std::lock_guard lock(mu_);
  if (global_streams_.erase(id) > 0) return;
  auto it = run_of_.find(id);
  if (it == run_of_.end()) return;
  auto table = run_streams_.find(it->second);
  if (table != run_streams_.end()) {
    table->second.erase(id);
    if (table->second.empty()) run_streams_.erase(table);
  }
  run_of_.erase(it);
}

std::size_t SseHub::size() const {
  std::lock_guard lock(mu_);
  return global_streams_.size() + run_of_.size();
}

void SseHub::Publish(const FeedItemPtr& item) {
  std::vector<Entry> run_targets;
  std::vector<Entry> global_targets;
  {
    std::lock_guard lock(mu_);
    auto table = run_streams_.find(item->run_id);
    if (table != run_streams_.end()) {
      run_targets.reserve(table->second.size());
      for (const auto& [id, entry] : table->second) run_targets.push_back(entry);
    }
    global_targets.reserve(global_streams_.size());
    for (const auto& [id, entry] : global_streams_) global_targets.push_back(entry);
  }
  // Encoded lazily, once per id kind; transient items have one frame for both.
  Frame run_frame;
  Frame global_frame;
  for (const Entry& e : run_targets) {
    auto sink = e.sink.lock();
    if (!sink || !e.request->Wants(*item)) continue;
    if (!run_frame) run_frame = EncodeFrame(*item, false);
    sink->Deliver(item, run_frame);
  }
  for (const Entry& e : global_targets) {
    auto sink = e.sink.lock();
    if (!sink || !e.request->Wants(*item)) continue;
    if (!global_frame) {
      global_frame = item->transient && run_frame ? run_frame : EncodeFrame(*item, true);
    }
    sink->Deliver(item, global_frame);
  }
}

}  // namespace forkline
