#include "tools/audit.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include <boost/json.hpp>

#include "eventstore/canonical.h"
#include "projections/event_types.h"
#include "projections/fold.h"
#include "projections/run_json.h"

namespace forkline::tools {
namespace {

namespace json = boost::json;

class Auditor {
 public:
  Auditor(const LogSnapshot& log, AuditReport& report) : log_(log), report_(report) {}

  void Run() {
    report_.runs = log_.streams.size();
    for (const auto& [run, info] : log_.streams) {
      if (auto bad = log_.unreadable.find(run); bad != log_.unreadable.end()) {
        Add(run, 0, "read", bad->second);
        continue;
      }
      auto own = log_.own.find(run);
      const EventList empty;
      const EventList& events = own == log_.own.end() ? empty : own->second;
      report_.events += events.size();
      CheckVersions(info, events);
      CheckHashes(info, events);
      CheckFork(info, events);
      CheckHistory(info);
    }
    CheckPositions();
  }

 private:
  void Add(const std::string& run, std::uint64_t version, const char* check, std::string message) {
    report_.findings.push_back({run, version, check, std::move(message)});
  }

  static std::uint64_t OwnFirst(const StreamInfo& info) {
    return info.parent ? info.parent->source_version + 1 : 1;
  }

  void CheckVersions(const StreamInfo& info, const EventList& events) {
    std::uint64_t expect = OwnFirst(info);
    for (const EventPtr& e : events) {
      if (e->run_id != info.run_id) {
        Add(info.run_id, e->version, "versions", "the stream holds an event of run " + e->run_id);
      }
      if (e->version != expect) {
        Add(info.run_id, e->version, "versions",
            "version " + std::to_string(e->version) + " where " + std::to_string(expect) +
                " was expected");
        expect = e->version;
      }
      ++expect;
    }
    if (events.empty()) {
      Add(info.run_id, 0, "versions", "the stream has no events of its own");
    } else if (events.back()->version != info.head_version) {
      Add(info.run_id, 0, "versions",
          "the stream's head is version " + std::to_string(info.head_version) +
              " but its last event is version " + std::to_string(events.back()->version));
    }
  }

  // The hash the first own event must chain to: the source's event at the fork point.
  std::optional<std::string> ForkPointHash(const StreamInfo& info) {
    if (!info.parent || info.parent->source_version == 0) return std::string();
    auto history = HistoryOf(log_, info.parent->source_run_id, info.parent->source_version);
    if (!history.ok() || history->empty() ||
        history->back()->version != info.parent->source_version) {
      return std::nullopt;
    }
    return history->back()->hash;
  }

  void CheckHashes(const StreamInfo& info, const EventList& events) {
    std::optional<std::string> prev = ForkPointHash(info);
    for (const EventPtr& e : events) {
      if (EventHash(*e) != e->hash) {
        Add(info.run_id, e->version, "hash",
            e->type + ": the stored hash does not match the event's content (changed or corrupt)");
      }
      if (prev && e->prev_hash != *prev) {
        Add(info.run_id, e->version, "chain",
            e->type + ": prev_hash is not the hash of the event before it");
      }
      prev = e->hash;
    }
    if (!events.empty() && info.head_hash != events.back()->hash) {
      Add(info.run_id, 0, "chain", "the stream's head hash is not its last event's hash");
    }
  }

  void CheckFork(const StreamInfo& info, const EventList& events) {
    if (!info.parent) {
      if (!events.empty() && events.front()->type != events::kRunCreated) {
        Add(info.run_id, events.front()->version, "fork",
            "the first event is " + events.front()->type + ", not run.created");
      }
      return;
    }
    const ForkLink& link = *info.parent;
    auto src = log_.streams.find(link.source_run_id);
    if (src == log_.streams.end()) {
      Add(info.run_id, 0, "fork", "fork source " + link.source_run_id + " does not exist");
      return;
    }
    if (link.source_version == 0 || link.source_version > src->second.head_version) {
      Add(info.run_id, 0, "fork",
          "fork source " + link.source_run_id + " has no version " +
              std::to_string(link.source_version));
      return;
    }
    if (events.empty()) return;
    const Event& first = *events.front();
    std::optional<ForkLink> named = LinkFromForked(first);
    if (!named || !(*named == link)) {
      Add(info.run_id, first.version, "fork",
          "the first own event is not a run.forked naming " + link.source_run_id + " v" +
              std::to_string(link.source_version));
    }
    if (std::optional<std::string> h = ForkPointHash(info); !h || first.prev_hash != *h) {
      Add(info.run_id, first.version, "fork",
          "the fork does not chain to " + link.source_run_id + " v" +
              std::to_string(link.source_version) + " (prefix not shared)");
    }
  }

  // Step order over the whole history, findings only for the run's own events.
  void CheckHistory(const StreamInfo& info) {
    auto history = HistoryOf(log_, info.run_id);
    if (!history.ok()) return;  // reported by the fork check
    const std::uint64_t own_first = OwnFirst(info);
    std::map<std::pair<std::int64_t, std::int64_t>, int> state;  // 1 started, 2 ended
    for (const EventPtr& e : *history) {
      const bool started = e->type == events::kStepStarted;
      const bool ended = e->type == events::kStepCompleted || e->type == events::kStepFailed ||
                         e->type == events::kStepAborted;
      if (!started && !ended) continue;
      boost::system::error_code ec;
      json::value d = json::parse(e->data, ec, {}, StoredJsonOptions());
      const json::object* o = ec ? nullptr : d.if_object();
      const json::value* index = o ? o->if_contains("index") : nullptr;
      const json::value* attempt = o ? o->if_contains("attempt") : nullptr;
      const bool own = e->version >= own_first;
      if (index == nullptr || attempt == nullptr || !index->is_number() || !attempt->is_number()) {
        if (own) Add(info.run_id, e->version, "steps", e->type + " without index and attempt");
        continue;
      }
      const auto key =
          std::make_pair(index->to_number<std::int64_t>(ec), attempt->to_number<std::int64_t>(ec));
      int& s = state[key];
      const std::string what = e->type + " of step " + std::to_string(key.first) + " attempt " +
                               std::to_string(key.second);
      if (started && s != 0 && own) Add(info.run_id, e->version, "steps", what + " started twice");
      if (ended && s == 0 && own)
        Add(info.run_id, e->version, "steps", what + " was never started");
      if (ended && s == 2 && own) Add(info.run_id, e->version, "steps", what + " ended twice");
      s = started ? std::max(s, 1) : 2;
    }
    auto folded = Fold(*history, Payloads::kDrop);
    if (!folded.ok()) Add(info.run_id, 0, "fold", folded.status().message());
  }

  void CheckPositions() {
    std::vector<const Event*> stored;
    for (const auto& [run, events] : log_.own) {
      for (const EventPtr& e : events)
        stored.push_back(e.get());
    }
    std::sort(stored.begin(), stored.end(),
              [](const Event* a, const Event* b) { return a->position < b->position; });
    std::uint64_t expect = 1;
    for (const Event* e : stored) {
      if (e->position < expect) {
        Add(e->run_id, e->version, "positions",
            "position " + std::to_string(e->position) + " is used twice");
      } else if (e->position > expect) {
        Add(e->run_id, e->version, "positions",
            "positions " + std::to_string(expect) + ".." + std::to_string(e->position - 1) +
                " are missing before this event");
      }
      expect = std::max(expect, e->position + 1);
    }
    std::map<std::pair<std::string, std::uint64_t>, const Event*> by_key;
    for (const Event* e : stored)
      by_key[{e->run_id, e->version}] = e;
    std::size_t matched = 0;
    for (const EventPtr& g : log_.global) {
      auto it = by_key.find({g->run_id, g->version});
      if (it == by_key.end() || it->second->hash != g->hash ||
          it->second->position != g->position) {
        Add(g->run_id, g->version, "positions",
            "the global order's event at position " + std::to_string(g->position) +
                " is not the stream's event");
      } else {
        ++matched;
      }
    }
    if (matched != stored.size() && log_.unreadable.empty()) {
      Add("", 0, "positions",
          std::to_string(stored.size() - std::min(matched, stored.size())) +
              " stored events are missing from the global order");
    }
  }

  const LogSnapshot& log_;
  AuditReport& report_;
};

// The first path where two JSON values differ, e.g. "steps[2].output.fountain".
std::string FirstDifference(const json::value& a, const json::value& b, const std::string& path) {
  if (a.is_object() && b.is_object()) {
    for (const auto& [k, v] : a.get_object()) {
      const json::value* other = b.get_object().if_contains(k);
      if (other == nullptr) return path + "." + std::string(k) + " (only in the fold)";
      if (*other != v) return FirstDifference(v, *other, path + "." + std::string(k));
    }
    for (const auto& [k, v] : b.get_object()) {
      if (!a.get_object().contains(k)) return path + "." + std::string(k) + " (only served)";
    }
  }
  if (a.is_array() && b.is_array() && a.get_array().size() == b.get_array().size()) {
    for (std::size_t i = 0; i < a.get_array().size(); ++i) {
      if (a.get_array()[i] != b.get_array()[i]) {
        return FirstDifference(a.get_array()[i], b.get_array()[i],
                               path + "[" + std::to_string(i) + "]");
      }
    }
  }
  return path + ": fold " + json::serialize(a).substr(0, 80) + ", served " +
         json::serialize(b).substr(0, 80);
}

}  // namespace

AuditReport AuditLog(const LogSnapshot& log) {
  AuditReport report;
  Auditor(log, report).Run();
  return report;
}

void CompareServed(const EventList& history, const std::string& run_id, const json::object& served,
                   AuditReport& report) {
  ++report.compared;
  auto state = Fold(history, Payloads::kKeep);
  if (!state.ok()) {
    report.findings.push_back({run_id, 0, "fold", state.status().message()});
    return;
  }
  const json::value folded = RunToJson(*state, RunDetail::kFull);
  if (folded != json::value(served)) {
    report.findings.push_back({run_id, state->version, "projection",
                               "the daemon serves another state than the fold of the log: " +
                                   FirstDifference(folded, served, "run")});
  }
}

std::string ReportText(const AuditReport& report) {
  std::string out = "audited " + std::to_string(report.runs) + " runs, " +
                    std::to_string(report.events) + " events";
  if (report.compared > 0)
    out += ", " + std::to_string(report.compared) + " compared with the daemon";
  out +=
      report.clean() ? ": clean\n" : ": " + std::to_string(report.findings.size()) + " problems\n";
  for (const Finding& f : report.findings) {
    out += "  " + (f.run_id.empty() ? std::string("store") : f.run_id);
    if (f.version > 0) out += " v" + std::to_string(f.version);
    out += "  " + f.check + ": " + f.message + "\n";
  }
  return out;
}

json::object ReportJson(const AuditReport& report) {
  json::array findings;
  for (const Finding& f : report.findings) {
    findings.push_back(json::object{
        {"run_id", f.run_id}, {"version", f.version}, {"check", f.check}, {"message", f.message}});
  }
  return {{"clean", report.clean()},
          {"runs", report.runs},
          {"events", report.events},
          {"compared", report.compared},
          {"findings", std::move(findings)}};
}

}  // namespace forkline::tools
