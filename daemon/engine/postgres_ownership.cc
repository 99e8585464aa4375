#include "daemon/engine/postgres_ownership.h"

#include <algorithm>
#include <cstdio>
#include <pthread.h>
#include <vector>

namespace forkline {

PostgresOwnership::PostgresOwnership(std::unique_ptr<PostgresLeases> leases,
                                     PostgresOwnershipOptions options)
    : leases_(std::move(leases)), options_(std::move(options)) {}

PostgresOwnership::~PostgresOwnership() { Stop(); }

Result<std::uint64_t> PostgresOwnership::Acquire(const std::string& run_id) {
  return Take(run_id, std::nullopt);
}

Result<std::uint64_t> PostgresOwnership::Claim(const std::string& run_id,
                                               std::uint64_t head_version) {
  return Take(run_id, head_version);
}

Result<std::uint64_t> PostgresOwnership::Take(const std::string& run_id,
                                              std::optional<std::uint64_t> head_version) {
  {
    std::lock_guard lock(mu_);
    const auto now = std::chrono::steady_clock::now();
    auto it = held_.find(run_id);
    if (it != held_.end() && now < it->second.valid_until) {
      it->second.last_acquire = now;  // no round trip: the lease is kept, not taken again
      return it->second.token;
    }
    if (cut_off_) return Status::Unavailable("the shared store cannot be reached (testing)");
  }
  if (!StoreHealthy()) {
    return Status::Unavailable("this node's store cannot append; another node may drive run " +
                               run_id);
  }
  const auto sent = std::chrono::steady_clock::now();
  auto token = head_version ? leases_->Claim(run_id, options_.node_id, options_.ttl, *head_version)
                            : leases_->Acquire(run_id, options_.node_id, options_.ttl);
  if (!token.ok()) {
    std::fprintf(stderr, "forklined: warn: lease for run %s: %s\n", run_id.c_str(),
                 token.status().ToString().c_str());
    return Status::Unavailable("the lease for run " + run_id + " cannot be taken: " +
                               token.status().message());
  }
  if (!token->has_value()) {
    return Status::Conflict(head_version ? "run " + run_id + " has moved on or is driven by another node"
                                         : "run " + run_id + " is driven by another node");
  }
  std::lock_guard lock(mu_);
  held_[run_id] = HeldLease{**token, sent + options_.ttl - Margin(), std::chrono::steady_clock::now()};
  return **token;
}

bool PostgresOwnership::Confirm(const std::string& run_id) {
  std::uint64_t token = 0;
  {
    std::lock_guard lock(mu_);
    auto it = held_.find(run_id);
    if (it == held_.end()) return false;
    token = it->second.token;
  }
  auto lease = leases_->Get(run_id);
  if (!lease.ok() && lease.status().code() != Code::kNotFound) return true;  // cannot tell
  if (lease.ok() && lease->node_id == options_.node_id && lease->token == token) return true;
  std::lock_guard lock(mu_);
  auto it = held_.find(run_id);
  if (it != held_.end() && it->second.token == token) held_.erase(it);
  return false;
}

bool PostgresOwnership::Idle(const std::string& run_id) {
  std::lock_guard lock(mu_);
  auto it = held_.find(run_id);
  return it == held_.end() ||
         std::chrono::steady_clock::now() - it->second.last_acquire >= ScanInterval();
}

std::optional<std::uint64_t> PostgresOwnership::Held(const std::string& run_id) {
  std::lock_guard lock(mu_);
  auto it = held_.find(run_id);
  if (it == held_.end() || std::chrono::steady_clock::now() >= it->second.valid_until) {
    return std::nullopt;
  }
  return it->second.token;
}

void PostgresOwnership::Release(const std::string& run_id) {
  std::uint64_t token = 0;
  {
    std::lock_guard lock(mu_);
    auto it = held_.find(run_id);
    if (it == held_.end()) return;
    token = it->second.token;
    held_.erase(it);
  }
  // When this fails the lease simply expires.
  (void)leases_->Release(run_id, token);
}

std::optional<Ownership::KeyUse> PostgresOwnership::FindKey(const std::string& key) {
  auto use = leases_->FindKey(key);
  if (!use.ok() || !use->has_value()) return std::nullopt;
  const PostgresLeases::KeyUse& u = **use;
  return KeyUse{u.run_id, u.version, u.command_id, u.at};
}

void PostgresOwnership::Start(LostFn lost) {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  lost_ = std::move(lost);
  stopping_ = false;
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "fl-leases");
    RenewLoop();
  });
}

void PostgresOwnership::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void PostgresOwnership::CutOffForTesting(bool cut_off) {
  std::lock_guard lock(mu_);
  cut_off_ = cut_off;
}

bool PostgresOwnership::StoreHealthy() const {
  return !options_.store_healthy || options_.store_healthy();
}

void PostgresOwnership::RenewLoop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    cv_.wait_for(lock, ScanInterval(), [this] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    RenewOnce();
    lock.lock();
  }
}

// One renewal of every lease held; then gives up those taken over or past their time.
void PostgresOwnership::RenewOnce() {
  std::vector<std::pair<std::string, std::uint64_t>> held;
  bool suspended = false;
  {
    std::lock_guard lock(mu_);
    suspended = cut_off_;
    for (const auto& [run, lease] : held_) held.emplace_back(run, lease.token);
  }
  if (!suspended && !held.empty() && !StoreHealthy()) {
    // Not renewed: the leases run out by this node's clock and other nodes take over.
    std::fprintf(stderr, "forklined: warn: the store cannot append: %zu run lease(s) not renewed\n",
                 held.size());
    suspended = true;
  }
  const auto sent = std::chrono::steady_clock::now();
  std::optional<std::vector<std::string>> renewed;
  if (!suspended && !held.empty()) {
    auto r = leases_->Renew(held, options_.node_id, options_.ttl);
    if (r.ok()) {
      renewed = std::move(r).value();
    } else {
      std::fprintf(stderr, "forklined: warn: renewing leases: %s\n", r.status().ToString().c_str());
    }
  }
  std::vector<std::string> lost;
  {
    std::lock_guard lock(mu_);
    const auto now = std::chrono::steady_clock::now();
    if (renewed) {
      for (const std::string& run : *renewed) {
        auto it = held_.find(run);
        if (it != held_.end()) it->second.valid_until = sent + options_.ttl - Margin();
      }
    }
    for (const auto& [run, token] : held) {
      auto it = held_.find(run);
      if (it == held_.end() || it->second.token != token) continue;  // released meanwhile
      const bool taken = renewed && std::find(renewed->begin(), renewed->end(), run) == renewed->end();
      if (taken || now >= it->second.valid_until) {
        held_.erase(it);
        lost.push_back(run);
      }
    }
  }
  for (const std::string& run : lost) {
    if (lost_) lost_(run);
  }
}

}  // namespace forkline
