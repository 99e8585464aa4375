#pragma once
// ListenerSet: callbacks registered by id, called without holding the set's lock.
// Copy-on-write: a publish takes one shared_ptr copy under the lock, so publishing on a
// hot path never copies the callbacks. Remove returns only once no publish is still
// calling the removed listener (unless called from inside a publish), so its owner may
// then be destroyed. Thread-safe.

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

namespace forkline {

template <typename Fn>
class ListenerSet {
 public:
  using Map = std::map<std::uint64_t, Fn>;

  std::uint64_t Add(Fn fn) {
    std::lock_guard lock(mu_);
    auto copy = std::make_shared<Map>(*listeners_);
    (*copy)[++next_id_] = std::move(fn);
    listeners_ = std::move(copy);
    return next_id_;
  }

  void Remove(std::uint64_t id) {
    std::weak_ptr<const Map> old;
    {
      std::lock_guard lock(mu_);
      old = listeners_;
      auto copy = std::make_shared<Map>(*listeners_);
      copy->erase(id);
      listeners_ = std::move(copy);
    }
    if (publishing_depth_ > 0) return;  // our own publish holds the old set
    while (!old.expired()) std::this_thread::yield();
  }

  // Calls every listener with `args`, outside the lock.
  template <typename... Args>
  void Publish(const Args&... args) const {
    std::shared_ptr<const Map> snapshot;
    {
      std::lock_guard lock(mu_);
      snapshot = listeners_;
    }
    ++publishing_depth_;
    for (const auto& [id, fn] : *snapshot) fn(args...);
    --publishing_depth_;
  }

 private:
  static inline thread_local int publishing_depth_ = 0;
  mutable std::mutex mu_;  // guards listeners_, next_id_
  std::shared_ptr<const Map> listeners_ = std::make_shared<const Map>();
  std::uint64_t next_id_ = 0;
};

}  // namespace forkline
