#pragma once
// An in-memory EventFeed for HTTP tests. Append() stores a durable item (version per
// run, position global, both assigned); Publish() calls the live listeners in order;
// Emit() does both, like the engine (durable first, then published). A read hook runs
// inside ReadRun/ReadGlobal so a test can publish "during catch-up" deterministically.
// Thread-safe; listeners are called outside the lock.

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "daemon/api/feed.h"

namespace forkline::testing {

class FakeEventFeed : public EventFeed {
 public:
  // Runs inside every read, before (snapshot_after_hook = true) or after the snapshot.
  std::function<void()> read_hook;
  bool snapshot_after_hook = true;
  // Extra bytes in every appended item's JSON (a "pad" field), for buffer-filling tests.
  std::size_t pad_bytes = 0;

  FeedItemPtr Append(const std::string& run_id, const std::string& type,
                     bool terminal = false, const std::string& kind = "k") {
    std::lock_guard lock(mu_);
    auto item = std::make_shared<FeedItem>();
    item->run_id = run_id;
    item->kind = kind;
    item->type = type;
    item->terminal = terminal;
    item->version = runs_[run_id].size() + 1;
    item->position = global_.size() + 1;
    item->json = R"({"run_id":")" + run_id + R"(","type":")" + type + R"(","version":)" +
                 std::to_string(item->version) + R"(,"position":)" +
                 std::to_string(item->position) +
                 (pad_bytes > 0 ? R"(,"pad":")" + std::string(pad_bytes, 'x') + "\"" : "") + "}";
    runs_[run_id].push_back(item);
    global_.push_back(item);
    return item;
  }
  FeedItemPtr Progress(const std::string& run_id, const std::string& message,
                       const std::string& kind = "k") {
    auto item = std::make_shared<FeedItem>();
    item->run_id = run_id;
    item->kind = kind;
    item->type = "step.progress";
    item->transient = true;
    item->json = R"({"run_id":")" + run_id + R"(","message":")" + message + R"("})";
    return item;
  }
  void Publish(const FeedItemPtr& item) {
    std::vector<Listener> listeners;
    {
      std::lock_guard lock(mu_);
      for (auto& [id, l] : listeners_) listeners.push_back(l);
    }
    for (auto& l : listeners) l(item);
  }
  FeedItemPtr Emit(const std::string& run_id, const std::string& type, bool terminal = false,
                   const std::string& kind = "k") {
    auto item = Append(run_id, type, terminal, kind);
    Publish(item);
    return item;
  }
  std::size_t listener_count() const {
    std::lock_guard lock(mu_);
    return listeners_.size();
  }

  Result<FeedList> ReadRun(std::string_view run_id, std::uint64_t after,
                           std::size_t limit) override {
    FeedList snapshot;
    if (!snapshot_after_hook) snapshot = SnapshotRun(run_id, after, limit);
    if (read_hook) read_hook();
    if (snapshot_after_hook) snapshot = SnapshotRun(run_id, after, limit);
    std::lock_guard lock(mu_);
    if (runs_.count(std::string(run_id)) == 0) {
      return Status::NotFound("run " + std::string(run_id) + " does not exist");
    }
    return snapshot;
  }
  Result<FeedList> ReadGlobal(std::uint64_t after, std::size_t limit) override {
    FeedList snapshot;
    if (!snapshot_after_hook) snapshot = SnapshotGlobal(after, limit);
    if (read_hook) read_hook();
    if (snapshot_after_hook) snapshot = SnapshotGlobal(after, limit);
    return snapshot;
  }
  std::uint64_t Subscribe(Listener listener) override {
    std::lock_guard lock(mu_);
    listeners_.emplace(next_id_, std::move(listener));
    return next_id_++;
  }
  void Unsubscribe(std::uint64_t id) override {
    std::lock_guard lock(mu_);
    listeners_.erase(id);
  }

 private:
  FeedList SnapshotRun(std::string_view run_id, std::uint64_t after, std::size_t limit) {
    std::lock_guard lock(mu_);
    FeedList out;
    auto it = runs_.find(std::string(run_id));
    if (it == runs_.end()) return out;
    for (std::size_t i = after; i < it->second.size() && out.size() < limit; ++i) {
      out.push_back(it->second[i]);
    }
    return out;
  }
  FeedList SnapshotGlobal(std::uint64_t after, std::size_t limit) {
    std::lock_guard lock(mu_);
    FeedList out;
    for (std::size_t i = after; i < global_.size() && out.size() < limit; ++i) {
      out.push_back(global_[i]);
    }
    return out;
  }

  mutable std::mutex mu_;
  std::map<std::string, std::vector<FeedItemPtr>> runs_;
  std::vector<FeedItemPtr> global_;
  std::map<std::uint64_t, Listener> listeners_;
  std::uint64_t next_id_ = 1;
};

}  // namespace forkline::testing
