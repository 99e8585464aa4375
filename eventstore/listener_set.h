#pragma once
// ListenerSet: callbacks registered by id, called without holding the set's lock.
// Copy-on-write: Snapshot() is one shared_ptr copy under the lock, so publishing on a hot
// path never copies the callbacks. Thread-safe.

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>

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
    std::lock_guard lock(mu_);
    auto copy = std::make_shared<Map>(*listeners_);
    copy->erase(id);
    listeners_ = std::move(copy);
  }

  // The listeners as they are now; call them after the lock is released.
  std::shared_ptr<const Map> Snapshot() const {
    std::lock_guard lock(mu_);
    return listeners_;
  }

 private:
  mutable std::mutex mu_;  // guards listeners_, next_id_
  std::shared_ptr<const Map> listeners_ = std::make_shared<const Map>();
  std::uint64_t next_id_ = 0;
};

}  // namespace forkline
