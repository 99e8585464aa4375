#include "tools/export_import.h"

#include <algorithm>
#include <future>
#include <map>
#include <set>

#include "eventstore/canonical.h"
#include "tools/event_line.h"

namespace forkline::tools {
namespace {

std::string Where(const Event& e) {
  return "run " + e.run_id + " version " + std::to_string(e.version);
}

// The hash of `run`'s event at `version`, from the file's events or from the store.
Result<std::string> HashAt(const LogSnapshot& file, EventStore& target, const std::string& run,
                           std::uint64_t version) {
  if (file.streams.count(run)) {
    auto history = HistoryOf(file, run, version);
    if (history.ok() && !history->empty() && history->back()->version == version) {
      return history->back()->hash;
    }
    if (!history.ok()) return history.status();
    return Status::BadRequest("run " + run + " has no version " + std::to_string(version) +
                              " in the file");
  }
  auto events = target.ReadStream(run, version - 1, 1);
  if (!events.ok()) {
    return Status::BadRequest("fork source " + run + " is neither in the file nor in the store");
  }
  if (events->empty())
    return Status::BadRequest("fork source " + run + " has no version " + std::to_string(version));
  return events->front()->hash;
}

Status VerifyStream(const LogSnapshot& file, EventStore& target, const std::string& run,
                    const EventList& events) {
  const Event& first = *events.front();
  std::optional<ForkLink> link = LinkFromForked(first);
  std::string prev;
  std::uint64_t expect = 1;
  if (link) {
    if (link->source_run_id == run || link->source_version == 0) {
      return Status::BadRequest(Where(first) + ": a bad fork link");
    }
    auto h = HashAt(file, target, link->source_run_id, link->source_version);
    if (!h.ok()) return Status::BadRequest(Where(first) + ": " + h.status().message());
    prev = *h;
    expect = link->source_version + 1;
  } else if (first.type == "run.forked") {
    return Status::BadRequest(Where(first) +
                              ": run.forked without source_run_id and source_version");
  }
  for (const EventPtr& e : events) {
    if (e->version != expect) {
      return Status::BadRequest("run " + run + ": version " + std::to_string(e->version) +
                                " where " + std::to_string(expect) + " was expected");
    }
    if (EventHash(*e) != e->hash) {
      return Status::BadRequest(Where(*e) + ": the hash does not match the event's content");
    }
    if (e->prev_hash != prev) {
      return Status::BadRequest(Where(*e) + ": prev_hash does not link to the event before it");
    }
    prev = e->hash;
    ++expect;
  }
  return Status::Ok();
}

}  // namespace

Result<EventList> SelectForExport(const LogSnapshot& log, const std::vector<std::string>& runs) {
  std::set<std::string> wanted;
  std::vector<std::string> todo = runs;
  if (runs.empty()) {
    for (const auto& [run, info] : log.streams)
      todo.push_back(run);
  }
  while (!todo.empty()) {
    std::string run = std::move(todo.back());
    todo.pop_back();
    if (!wanted.insert(run).second) continue;
    auto it = log.streams.find(run);
    if (it == log.streams.end()) return Status::NotFound("run " + run + " does not exist");
    if (auto bad = log.unreadable.find(run); bad != log.unreadable.end()) {
      return Status::Internal("run " + run + " cannot be read: " + bad->second);
    }
    if (it->second.parent) todo.push_back(it->second.parent->source_run_id);
  }
  EventList out;
  for (const std::string& run : wanted) {
    auto own = log.own.find(run);
    if (own != log.own.end()) out.insert(out.end(), own->second.begin(), own->second.end());
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const EventPtr& a, const EventPtr& b) { return a->position < b->position; });
  return out;
}

Result<EventList> ReadEventLines(std::istream& in) {
  EventList out;
  std::string line;
  for (std::size_t n = 1; std::getline(in, line); ++n) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto e = ParseEventLine(line);
    if (!e.ok())
      return Status::BadRequest("line " + std::to_string(n) + ": " + e.status().message());
    out.push_back(std::make_shared<const Event>(std::move(e).value()));
  }
  if (in.bad()) return Status::Unavailable("reading the input failed");
  return out;
}

Status VerifyImport(const EventList& events, EventStore& target) {
  if (events.empty()) return Status::BadRequest("nothing to import");
  const LogSnapshot file = SnapshotFromEvents(events);
  for (const auto& [run, own] : file.own) {
    if (target.GetStream(run).ok()) {
      return Status::Conflict("run " + run + " already exists in the target store");
    }
    FL_RETURN_IF_ERROR(VerifyStream(file, target, run, own));
  }
  // Appends go in file order: a fork's first event must come after its source's event.
  std::map<std::string, std::uint64_t> seen;  // run -> last version written so far
  for (const EventPtr& e : events) {
    if (std::optional<ForkLink> link = LinkFromForked(*e);
        link && file.streams.count(link->source_run_id) &&
        seen[link->source_run_id] < link->source_version) {
      return Status::BadRequest(Where(*e) + ": the fork comes before its source's version " +
                                std::to_string(link->source_version) + " in the file");
    }
    std::uint64_t& last = seen[e->run_id];
    if (last != 0 && e->version != last + 1) {
      return Status::BadRequest(Where(*e) + ": out of order in the file");
    }
    last = e->version;
  }
  return Status::Ok();
}

Result<ImportSummary> ImportEvents(const EventList& events, EventStore& target) {
  FL_RETURN_IF_ERROR(VerifyImport(events, target));
  // One append per run of consecutive events of the same stream, all queued at once:
  // the store's single writer keeps their order, so positions follow the file.
  std::vector<std::future<Result<AppendResult>>> pending;
  std::vector<std::size_t> first_index;
  std::set<std::string> runs;
  for (std::size_t i = 0; i < events.size();) {
    const Event& head = *events[i];
    AppendRequest req;
    req.run_id = head.run_id;
    req.expected_version = head.version - 1;
    if (std::optional<ForkLink> link = LinkFromForked(head); link && !runs.count(head.run_id)) {
      req.fork_from = link;
    }
    runs.insert(head.run_id);
    first_index.push_back(i);
    for (; i < events.size() && events[i]->run_id == head.run_id; ++i) {
      const Event& e = *events[i];
      req.events.push_back(NewEvent{e.type, e.at, e.command_id, e.key, e.data});
    }
    auto promise = std::make_shared<std::promise<Result<AppendResult>>>();
    pending.push_back(promise->get_future());
    target.AppendAsync(std::move(req),
                       [promise](Result<AppendResult> r) { promise->set_value(std::move(r)); });
  }
  Status first_error;
  for (std::size_t k = 0; k < pending.size(); ++k) {
    Result<AppendResult> r = pending[k].get();
    if (!r.ok()) {
      if (first_error.ok()) first_error = r.status();
      continue;
    }
    for (std::size_t j = 0; j < r->events.size(); ++j) {
      const Event& want = *events[first_index[k] + j];
      if (r->events[j]->hash != want.hash && first_error.ok()) {
        first_error = Status::Internal(Where(want) + ": the store computed another hash");
      }
    }
  }
  if (!first_error.ok()) {
    return Status(first_error.code(), "import stopped part way: " + first_error.message());
  }
  return ImportSummary{runs.size(), events.size()};
}

}  // namespace forkline::tools
