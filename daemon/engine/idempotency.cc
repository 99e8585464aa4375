#include "daemon/engine/idempotency.h"

#include <boost/json/serialize.hpp>

#include "eventstore/canonical.h"

namespace forkline {
namespace json = boost::json;

namespace {

// Serialises with object keys sorted, so the fingerprint ignores key order.
void Canonical(const json::value& v, std::string& out) {
  if (!v.is_object()) {
    if (v.is_array()) {
      out += '[';
      bool first = true;
      for (const auto& item : v.get_array()) {
        if (!first) out += ',';
        first = false;
        Canonical(item, out);
      }
      out += ']';
      return;
    }
    out += json::serialize(v);
    return;
  }
  std::map<std::string_view, const json::value*> sorted;
  for (const auto& [k, val] : v.get_object()) sorted.emplace(k, &val);
  out += '{';
  bool first = true;
  for (const auto& [k, val] : sorted) {
    if (!first) out += ',';
    first = false;
    AppendJsonString(out, k);
    out += ':';
    Canonical(*val, out);
  }
  out += '}';
}

}  // namespace

std::string CommandId(const std::string& cmd, const json::object& args) {
  std::string text = cmd + "\n";
  Canonical(args, text);
  return cmd + "#" + Sha256Hex(text).substr(0, 16);
}

IdempotencyIndex::Outcome IdempotencyIndex::Begin(
    const std::string& key, const std::string& command_id, const ReplyFn& reply,
    std::optional<CommandReply>* replay,
    std::optional<std::pair<std::string, std::uint64_t>>* from_log) {
  std::lock_guard lock(mu_);
  Prune(std::chrono::system_clock::now());
  auto [it, inserted] = entries_.try_emplace(key);
  Entry& e = it->second;
  if (inserted) {
    e.command_id = command_id;
    e.at = std::chrono::system_clock::now();
    return Outcome::kFirst;
  }
  if (e.command_id != command_id) return Outcome::kConflict;
  if (e.reply) {
    *replay = e.reply;
    return Outcome::kAnswered;
  }
  if (!e.run_id.empty()) {
    *from_log = std::make_pair(e.run_id, e.version);
    return Outcome::kAnswered;
  }
  e.waiters.push_back(reply);
  return Outcome::kWaiting;
}

void IdempotencyIndex::Finish(const std::string& key, const CommandReply& reply) {
  std::vector<ReplyFn> waiters;
  {
    std::lock_guard lock(mu_);
    auto it = entries_.find(key);
    if (it == entries_.end()) return;
    waiters = std::move(it->second.waiters);
    if (reply.ok()) {
      it->second.reply = reply;
    } else {
      entries_.erase(it);
    }
  }
  for (const ReplyFn& w : waiters) w(reply);
}

void IdempotencyIndex::Recover(const std::string& key, const std::string& command_id,
                               const std::string& run_id, std::uint64_t version,
                               std::chrono::system_clock::time_point at) {
  std::lock_guard lock(mu_);
  Entry& e = entries_[key];
  e.command_id = command_id;
  e.run_id = run_id;
  e.version = std::max(e.version, version);
  e.at = at;
}

void IdempotencyIndex::Observe(const std::string& key, const std::string& command_id,
                               const std::string& run_id, std::uint64_t version,
                               std::chrono::system_clock::time_point at) {
  std::lock_guard lock(mu_);
  auto [it, inserted] = entries_.try_emplace(key);
  Entry& e = it->second;
  if (!inserted && e.run_id.empty()) return;  // a command of ours
  e.command_id = command_id;
  e.run_id = run_id;
  e.version = std::max(e.version, version);
  e.at = at;
}

void IdempotencyIndex::Prune(std::chrono::system_clock::time_point now) {
  if (now - last_prune_ < std::chrono::minutes(1)) return;
  last_prune_ = now;
  for (auto it = entries_.begin(); it != entries_.end();) {
    const bool done = it->second.reply || !it->second.run_id.empty();
    if (done && now - it->second.at > retention_) {
      it = entries_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace forkline
