#include "tests/engine/run_checks.h"

#include <boost/json.hpp>

#include "daemon/engine/decider.h"
#include "eventstore/canonical.h"

namespace forkline::testing {
namespace json = boost::json;

namespace {

std::string Where(const Event& e) { return e.run_id + "/" + std::to_string(e.version); }

// RunToJson leaves these out; a projection must still agree on them.
json::object Hidden(const RunState& s) {
  // The retry policy's counts per step (decider.h WillRetry).
  json::array counts;
  for (const StepRecord& r : s.steps) {
    counts.push_back(json::array{r.repeatable, r.failures, r.interruptions});
  }
  return {{"autorun_on_resume", s.autorun_on_resume},
          {"in_flight", s.in_flight ? json::value(*s.in_flight) : json::value()},
          {"head_hash", s.head_hash},
          {"last_error_code", s.last_error_code},
          {"step_counts", std::move(counts)}};
}

std::string Diff(const std::string& what, const json::value& live, const json::value& folded) {
  if (live == folded) return "";
  return what + " differs from the fold of the log:\n  live:   " + json::serialize(live) +
         "\n  folded: " + json::serialize(folded);
}

Result<RunState> FoldUntil(const EventList& history, std::uint64_t version, Payloads payloads) {
  if (version > history.size()) {
    return Status::Internal("the live state is at version " + std::to_string(version) +
                            " but the log has " + std::to_string(history.size()) + " events");
  }
  EventList prefix(history.begin(), history.begin() + static_cast<std::ptrdiff_t>(version));
  return Fold(prefix, payloads);
}

std::string Dump(const EventList& history) {
  std::string out;
  for (const EventPtr& e : history) out += "\n    " + Where(*e) + " " + e->type + " " + e->data;
  return out;
}

std::string CheckHistoryWithoutDump(const StreamInfo& info, const EventList& history) {
  const std::string& run = info.run_id;
  if (history.size() > info.head_version) {
    return run + ": the stream's head is " + std::to_string(info.head_version) + " but " +
           std::to_string(history.size()) + " events were read";
  }
  std::string prev;
  std::map<std::uint64_t, std::uint64_t> completed;  // step index -> version
  bool own = false;
  for (std::size_t i = 0; i < history.size(); ++i) {
    const Event& e = *history[i];
    if (e.version != i + 1) return run + ": event " + std::to_string(i) + " has version " +
                                   std::to_string(e.version) + " (versions not contiguous)";
    if (e.prev_hash != prev) return run + ": " + Where(e) + " does not chain to the event before";
    if (e.hash != EventHash(e)) return run + ": " + Where(e) + " has a hash that does not verify";
    prev = e.hash;
    if (e.run_id == run) {
      if (!own && info.parent) {
        if (e.type != events::kRunForked || e.version != info.parent->source_version + 1) {
          return run + ": its first own event " + Where(e) + " is " + e.type +
                 ", not run.forked after source version " +
                 std::to_string(info.parent->source_version);
        }
      }
      own = true;
    } else if (own) {
      return run + ": " + Where(e) + " of another run follows the run's own events";
    }
    if (e.type == events::kStepCompleted) {
      const json::value d = json::parse(e.data);
      const auto index = d.at("index").to_number<std::uint64_t>();
      if (auto [it, inserted] = completed.emplace(index, e.version); !inserted) {
        return run + ": step " + std::to_string(index) + " completed twice, at versions " +
               std::to_string(it->second) + " and " + std::to_string(e.version);
      }
    }
  }
  if (history.size() == info.head_version && !history.empty() && info.head_hash != prev) {
    return run + ": the stream's head hash is not its last event's";
  }
  return "";
}

}  // namespace

std::string CheckHistory(const StreamInfo& info, const EventList& history) {
  std::string problem = CheckHistoryWithoutDump(info, history);
  if (!problem.empty()) problem += "; the history:" + Dump(history);
  return problem;
}

std::string CheckProjection(const RunState& live, const EventList& history, Payloads payloads) {
  auto folded = FoldUntil(history, live.version, payloads);
  if (!folded.ok()) return live.id + ": " + folded.status().ToString();
  std::string d = Diff(live.id + " (projection)", RunToJson(live, RunDetail::kFull),
                       RunToJson(*folded, RunDetail::kFull));
  if (d.empty()) d = Diff(live.id + " (hidden fields)", Hidden(live), Hidden(*folded));
  return d;
}

std::string CheckRunJson(const json::object& live, const EventList& history, RunDetail detail) {
  const std::string id = live.contains("id") ? std::string(live.at("id").as_string()) : "?";
  if (!live.contains("version")) return id + ": the run JSON has no version";
  auto folded = FoldUntil(history, live.at("version").to_number<std::uint64_t>(),
                          detail == RunDetail::kFull ? Payloads::kKeep : Payloads::kDrop);
  if (!folded.ok()) return id + ": " + folded.status().ToString();
  return Diff(id + (detail == RunDetail::kFull ? " (run.get)" : " (run.list)"), live,
              RunToJson(*folded, detail));
}

bool MovingByItself(const RunState& s, const EventList& history) {
  if (s.in_flight) return true;
  const bool movable = s.status == RunStatus::kQueued || s.status == RunStatus::kRunning;
  if (s.autorun && movable && s.cursor < s.total_steps()) return true;
  if (history.empty() || history.back()->type != events::kStepFailed) return false;
  return RetryDue(s);
}

std::string EventLedger::Record(const EventList& history) {
  for (const EventPtr& e : history) {
    std::string canonical = CanonicalJson(*e, CanonicalForm::kFull);
    auto [it, inserted] = canonical_.emplace(std::make_pair(e->run_id, e->version), canonical);
    if (!inserted && it->second != canonical) {
      return Where(*e) + " changed:\n  was: " + it->second + "\n  now: " + canonical;
    }
  }
  return "";
}

std::vector<std::string> OwnEvents(const std::string& run_id, const EventList& history) {
  std::vector<std::string> out;
  for (const EventPtr& e : history) {
    if (e->run_id == run_id) out.push_back(CanonicalJson(*e, CanonicalForm::kFull));
  }
  return out;
}

}  // namespace forkline::testing
