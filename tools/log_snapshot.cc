#include "tools/log_snapshot.h"

#include <algorithm>

#include <boost/json/parse.hpp>

#include "projections/event_types.h"
#include "projections/run_json.h"

namespace forkline::tools {

namespace json = boost::json;

Result<LogSnapshot> SnapshotFromStore(EventStore& store) {
  constexpr std::size_t kPage = 10000;
  // A live daemon may append while we read: everything is cut at the position that was
  // last when the read began, so the snapshot is one consistent point of the log.
  const std::uint64_t last = store.LastPosition();
  LogSnapshot log;
  for (std::uint64_t after = 0; after < last;) {
    auto page = store.ReadAll(after, kPage);
    if (!page.ok()) return page.status();
    if (page->empty()) break;
    for (const EventPtr& e : *page) {
      if (e->position <= last) log.global.push_back(e);
    }
    after = page->back()->position;
  }
  auto streams = store.ListStreams();
  if (!streams.ok()) return streams.status();
  for (StreamInfo& info : *streams) {
    const std::uint64_t before = info.parent ? info.parent->source_version : 0;
    auto events = store.ReadStream(info.run_id, before, std::numeric_limits<std::size_t>::max());
    if (!events.ok()) {
      log.unreadable[info.run_id] = events.status().message();
      log.streams[info.run_id] = std::move(info);
      continue;
    }
    EventList own;
    for (const EventPtr& e : *events) {
      if (e->position <= last) own.push_back(e);
    }
    if (own.empty() && !events->empty()) continue;  // created after the cut
    if (own.size() < events->size()) {              // appended to after the cut: its head then
      info.head_version = own.back()->version;
      info.head_hash = own.back()->hash;
    }
    log.own[info.run_id] = std::move(own);
    log.streams[info.run_id] = std::move(info);
  }
  return log;
}

std::optional<ForkLink> LinkFromForked(const Event& event) {
  if (event.type != events::kRunForked) return std::nullopt;
  boost::system::error_code ec;
  json::value v = json::parse(event.data, ec, {}, StoredJsonOptions());
  if (ec || !v.is_object()) return std::nullopt;
  const json::value* run = v.get_object().if_contains("source_run_id");
  const json::value* version = v.get_object().if_contains("source_version");
  if (run == nullptr || !run->is_string() || version == nullptr || !version->is_number()) {
    return std::nullopt;
  }
  auto n = version->to_number<std::uint64_t>(ec);
  if (ec) return std::nullopt;
  return ForkLink{std::string(run->get_string()), n};
}

LogSnapshot SnapshotFromEvents(const EventList& events) {
  LogSnapshot log;
  for (const EventPtr& e : events)
    log.own[e->run_id].push_back(e);
  for (auto& [run, list] : log.own) {
    std::stable_sort(list.begin(), list.end(),
                     [](const EventPtr& a, const EventPtr& b) { return a->version < b->version; });
    StreamInfo info;
    info.run_id = run;
    info.head_version = list.back()->version;
    info.head_hash = list.back()->hash;
    info.parent = LinkFromForked(*list.front());
    log.streams[run] = std::move(info);
  }
  log.global = events;
  std::stable_sort(log.global.begin(), log.global.end(),
                   [](const EventPtr& a, const EventPtr& b) { return a->position < b->position; });
  return log;
}

Result<EventList> HistoryOf(const LogSnapshot& log, std::string_view run_id, std::uint64_t until) {
  std::vector<std::pair<std::string, std::uint64_t>> chain;  // (run, last version), newest first
  std::string current(run_id);
  for (int depth = 0;; ++depth) {
    if (depth > 10000)
      return Status::Internal("the fork chain of " + std::string(run_id) + " loops");
    auto it = log.streams.find(current);
    if (it == log.streams.end()) {
      return Status::NotFound(depth == 0 ? "run " + current + " does not exist"
                                         : "fork source " + current + " is missing");
    }
    chain.emplace_back(current, until);
    if (!it->second.parent || it->second.parent->source_version == 0) break;
    until = std::min(until, it->second.parent->source_version);
    current = it->second.parent->source_run_id;
  }
  EventList out;
  for (auto c = chain.rbegin(); c != chain.rend(); ++c) {
    auto own = log.own.find(c->first);
    if (own == log.own.end()) continue;
    const std::uint64_t first = out.empty() ? 0 : out.back()->version;
    for (const EventPtr& e : own->second) {
      if (e->version > first && e->version <= c->second) out.push_back(e);
    }
  }
  return out;
}

}  // namespace forkline::tools
