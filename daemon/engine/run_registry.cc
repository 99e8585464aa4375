#include "daemon/engine/run_registry.h"

namespace forkline {

std::shared_ptr<RunEntry> RunRegistry::Find(std::string_view id) const {
  std::lock_guard lock(mu_);
  auto it = entries_.find(std::string(id));
  return it == entries_.end() ? nullptr : it->second;
}

void RunRegistry::Insert(const std::shared_ptr<RunEntry>& entry) {
  std::lock_guard lock(mu_);
  entries_.emplace(entry->id, entry);
}

void RunRegistry::Erase(std::string_view id) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(std::string(id));
  if (it != entries_.end() && !order_index_.contains(it->first)) entries_.erase(it);
}

void RunRegistry::MarkDurable(const std::shared_ptr<RunEntry>& entry, std::uint64_t position,
                              const std::optional<ParentLink>& parent) {
  std::lock_guard lock(mu_);
  if (order_index_.contains(entry->id)) return;
  entries_.emplace(entry->id, entry);
  order_index_[entry->id] = order_.size();
  order_.push_back(entry);
  if (parent) children_[parent->run_id].push_back(entry->id);
  std::lock_guard entry_lock(entry->mu);
  entry->created_position = position;
}

std::optional<RunRegistry::Page> RunRegistry::List(std::optional<RunStatus> status, const std::string& kind,
                                    const std::string& after, std::size_t limit) const {
  std::vector<std::shared_ptr<RunEntry>> order;
  std::size_t start = 0;
  {
    std::lock_guard lock(mu_);
    order = order_;
    start = order.size();
    if (!after.empty()) {
      auto it = order_index_.find(after);
      if (it == order_index_.end()) return std::nullopt;
      start = it->second;
    }
  }
  Page page;
  for (std::size_t i = start; i-- > 0;) {
    RunState s = order[i]->Snapshot();
    if (status && s.status != *status) continue;
    if (!kind.empty() && s.kind != kind) continue;
    if (page.runs.size() == limit) {
      page.next = page.runs.back().id;
      break;
    }
    page.runs.push_back(std::move(s));
  }
  return page;
}

std::vector<std::string> RunRegistry::Children(const std::string& id) const {
  std::lock_guard lock(mu_);
  auto it = children_.find(id);
  return it == children_.end() ? std::vector<std::string>{} : it->second;
}

std::vector<std::shared_ptr<RunEntry>> RunRegistry::All() const {
  std::lock_guard lock(mu_);
  return order_;
}

std::size_t RunRegistry::Count() const {
  std::lock_guard lock(mu_);
  return order_.size();
}

void RunRegistry::KeepFull(const std::shared_ptr<RunEntry>& entry) {
  std::shared_ptr<RunEntry> evicted;
  {
    std::lock_guard lock(cache_mu_);
    auto it = full_pos_.find(entry.get());
    if (it != full_pos_.end()) {
      full_lru_.splice(full_lru_.begin(), full_lru_, it->second);
      return;
    }
    full_lru_.push_front(entry);
    full_pos_.emplace(entry.get(), full_lru_.begin());
    if (full_lru_.size() <= full_kept_) return;
    evicted = std::move(full_lru_.back());
    full_lru_.pop_back();
    full_pos_.erase(evicted.get());
  }
  // A later fold of this run reads its input and outputs from the store again.
  std::lock_guard entry_lock(evicted->mu);
  evicted->full_cache = nullptr;
}

void RunRegistry::ShareDefinition(RunState& state) {
  const auto& own = state.definition.shared();
  if (!own) return;
  std::lock_guard lock(cache_mu_);
  auto& known = definitions_[state.kind];
  for (const auto& d : known) {
    if (d == own) return;
    if (*d == *own) return state.definition.Share(d);
  }
  known.push_back(own);
}

}  // namespace forkline
