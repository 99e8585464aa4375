#include "tests/reliability/ack_checker.h"

#include <vector>

namespace forkline::testing {

std::string AckChecker::Check(EventStore& store, const AckLedger& ledger, Scope scope) {
  lost_ = 0;
  const std::vector<AckedEvent> acked =
      scope == Scope::kFull ? ledger.All() : ledger.Since(ledger_checked_);
  std::map<std::string, std::vector<const AckedEvent*>> by_run;
  for (const auto& [run, mark] : runs_) by_run[run];  // marks are checked even with no news
  for (const auto& a : acked) by_run[a.run_id].push_back(&a);
  std::string problem;
  for (const auto& [run, run_acked] : by_run) {
    std::string p = CheckRun(store, run, run_acked, scope);
    if (problem.empty()) problem = std::move(p);
  }
  if (!problem.empty()) return problem;
  problem = CheckPositions(store, acked, scope);
  if (!problem.empty()) return problem;
  ledger_checked_ = scope == Scope::kFull ? acked.size() : ledger_checked_ + acked.size();
  return "";
}

std::string AckChecker::CheckRun(EventStore& store, const std::string& run,
                                 const std::vector<const AckedEvent*>& acked, Scope scope) {
  Mark& mark = runs_[run];
  const std::uint64_t after = scope == Scope::kFull || mark.version == 0 ? 0 : mark.version - 1;
  auto read = store.ReadStream(run, after, SIZE_MAX);
  if (!read.ok() && read.status().code() != Code::kNotFound) {
    return run + ": " + read.status().ToString();
  }
  const EventList tail = read.ok() ? *read : EventList{};
  events_read_ += tail.size();
  std::string problem;
  for (std::size_t i = 0; i < tail.size() && problem.empty(); ++i) {
    if (tail[i]->version != after + 1 + i) {
      problem = run + ": versions not contiguous at v" + std::to_string(after + 1 + i);
    } else if (i > 0 && tail[i]->prev_hash != tail[i - 1]->hash) {
      problem = run + ": hash chain broken at v" + std::to_string(tail[i]->version);
    } else if (i == 0 && after == 0 && !tail[i]->prev_hash.empty()) {
      problem = run + ": v1 has a prev_hash";
    }
  }
  if (problem.empty() && mark.version > 0) {
    const std::uint64_t i = mark.version - 1 - after;
    if (i >= tail.size() || tail[i]->hash != mark.hash) {
      problem = run + ": verified event v" + std::to_string(mark.version) + " lost or changed";
    }
  }
  for (const AckedEvent* a : acked) {
    ++entries_checked_;
    const bool found = a->version > after && a->version - 1 - after < tail.size() &&
                       tail[a->version - 1 - after]->hash == a->hash;
    if (found) continue;
    ++lost_;
    if (problem.empty()) problem = "acked event lost: " + run + " v" + std::to_string(a->version);
  }
  if (problem.empty() && !tail.empty()) mark = {tail.back()->version, tail.back()->hash};
  return problem;
}

std::string AckChecker::CheckPositions(EventStore& store, const std::vector<AckedEvent>& acked,
                                       Scope scope) {
  const std::uint64_t after =
      scope == Scope::kFull || position_.position == 0 ? 0 : position_.position - 1;
  auto read = store.ReadAll(after, SIZE_MAX);
  if (!read.ok()) return "ReadAll: " + read.status().ToString();
  const EventList& tail = *read;
  events_read_ += tail.size();
  for (std::size_t i = 0; i < tail.size(); ++i) {
    if (tail[i]->position != after + 1 + i) {
      return "positions not contiguous at " + std::to_string(after + 1 + i);
    }
  }
  if (position_.position > 0) {
    const std::uint64_t i = position_.position - 1 - after;
    if (i >= tail.size() || tail[i]->run_id != position_.run_id ||
        tail[i]->version != position_.version) {
      return "verified position " + std::to_string(position_.position) + " lost or changed";
    }
  }
  for (const auto& a : acked) {
    const std::uint64_t i = a.position - 1 - after;
    if (a.position <= after || i >= tail.size() || tail[i]->run_id != a.run_id ||
        tail[i]->version != a.version || tail[i]->hash != a.hash) {
      return "acked event " + a.run_id + " v" + std::to_string(a.version) + " not at position " +
             std::to_string(a.position);
    }
  }
  if (store.LastPosition() != after + tail.size()) return "LastPosition differs from ReadAll";
  if (!tail.empty()) position_ = {tail.back()->position, tail.back()->run_id, tail.back()->version};
  return "";
}

}  // namespace forkline::testing
