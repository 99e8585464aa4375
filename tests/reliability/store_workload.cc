#include "tests/reliability/store_workload.h"

#include <future>
#include <map>
#include <thread>

namespace forkline::testing {

void AckLedger::Add(const AppendResult& result) {
  std::lock_guard lock(mu_);
  for (const auto& e : result.events) acked_.push_back({e->run_id, e->version, e->position, e->hash});
}

std::vector<AckedEvent> AckLedger::All() const {
  std::lock_guard lock(mu_);
  return acked_;
}

std::vector<AckedEvent> AckLedger::Since(std::size_t from) const {
  std::lock_guard lock(mu_);
  if (from >= acked_.size()) return {};
  return std::vector<AckedEvent>(acked_.begin() + static_cast<std::ptrdiff_t>(from), acked_.end());
}

std::size_t AckLedger::size() const {
  std::lock_guard lock(mu_);
  return acked_.size();
}

namespace {

NewEvent MakeEvent(const std::string& run, std::size_t n) {
  return NewEvent{"test.appended", "2026-01-01T00:00:00.000Z", "c-" + run + "-" + std::to_string(n),
                  "", "{\"n\":" + std::to_string(n) + ",\"pad\":\"" + std::string(n % 200, 'p') + "\"}"};
}

}  // namespace

WorkloadResult RunAppenders(EventStore& store, const std::string& prefix, int threads,
                            std::size_t max_appends, AckLedger& ledger,
                            const std::function<void()>& on_ack,
                            const std::function<bool()>& failed) {
  std::mutex mu;
  WorkloadResult total;
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      const std::string run = prefix + std::to_string(t);
      auto head = store.GetStream(run);
      std::uint64_t version = head.ok() ? head->head_version : 0;
      for (std::size_t n = 0; n < max_appends; ++n) {
        AppendRequest req{run, version, std::nullopt, {MakeEvent(run, n)}};
        if (n % 3 == 0) req.events.push_back(MakeEvent(run, n + 100000));
        const bool sent_after_failure = failed && failed();
        std::promise<Status> done;
        store.AppendAsync(std::move(req), [&](Result<AppendResult> r) {
          if (r.ok()) {
            if (on_ack) on_ack();
            ledger.Add(*r);
            version = r->events.back()->version;
          }
          done.set_value(r.ok() ? Status::Ok() : r.status());
        });
        const Status s = done.get_future().get();
        std::lock_guard lock(mu);
        if (!s.ok()) {
          if (total.first_refusal.ok()) total.first_refusal = s;
          ++total.refused_appends;
          return;
        }
        ++total.acked_appends;
        if (sent_after_failure) ++total.acked_after_failure;
      }
    });
  }
  for (auto& th : pool) th.join();
  return total;
}

std::string CheckAcked(EventStore& store, const std::vector<AckedEvent>& acked,
                       std::size_t* lost) {
  // One read of each run's whole history: versions contiguous, hash chain intact, and
  // every acknowledged (version, hash) in it.
  std::map<std::string, std::vector<const AckedEvent*>> by_run;
  for (const auto& a : acked) by_run[a.run_id].push_back(&a);
  std::string problem;
  std::size_t missing = 0;
  for (const auto& [run, events_acked] : by_run) {
    auto events = store.ReadStream(run, 0, SIZE_MAX);
    if (!events.ok() && events.status().code() != Code::kNotFound) {
      return run + ": " + events.status().ToString();
    }
    const EventList history = events.ok() ? *events : EventList{};
    for (std::size_t i = 0; i < history.size(); ++i) {
      if (history[i]->version != i + 1) return run + ": versions not contiguous";
      if (i > 0 && history[i]->prev_hash != history[i - 1]->hash) return run + ": hash chain broken";
    }
    for (const AckedEvent* a : events_acked) {
      if (a->version <= history.size() && history[a->version - 1]->hash == a->hash) continue;
      ++missing;
      if (problem.empty()) problem = "acked event lost: " + run + " v" + std::to_string(a->version);
    }
  }
  if (lost != nullptr) *lost = missing;
  if (!problem.empty()) return problem;
  auto all = store.ReadAll(0, SIZE_MAX);
  if (!all.ok()) return "ReadAll: " + all.status().ToString();
  for (std::size_t i = 0; i < all->size(); ++i) {
    if ((*all)[i]->position != i + 1) return "positions not contiguous at " + std::to_string(i + 1);
  }
  if (store.LastPosition() != all->size()) return "LastPosition differs from ReadAll";
  return "";
}

}  // namespace forkline::testing
