#include "clients/cli/log_source.h"

#include <stdlib.h>

#include <filesystem>
#include <set>

#include <boost/json.hpp>

#include "eventstore/rocksdb_event_store.h"

namespace forkline::cli {

namespace json = boost::json;

namespace {

// The secondary instances' own folders, removed when the program ends (after every
// store the commands opened has been closed).
class SecondaryFolders {
 public:
  ~SecondaryFolders() {
    std::error_code ec;
    for (const std::string& dir : dirs_)
      std::filesystem::remove_all(dir, ec);
  }
  std::string Make() {
    std::error_code ec;
    std::string tmpl = (std::filesystem::temp_directory_path(ec) / "forkline-cli-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) return "";
    dirs_.push_back(tmpl);
    return tmpl;
  }

 private:
  std::vector<std::string> dirs_;
};

}  // namespace

Result<std::unique_ptr<EventStore>> OpenStoreReadOnly(const std::string& dir, bool follow) {
  static SecondaryFolders folders;
  RocksDbStoreOptions options;
  options.path = dir;
  options.read_only = true;
  options.follow_primary = follow;
  options.secondary_path = folders.Make();
  return OpenRocksDbEventStore(options);
}

Result<std::unique_ptr<EventStore>> OpenStoreForWriting(const std::string& dir) {
  RocksDbStoreOptions options;
  options.path = dir;
  auto store = OpenRocksDbEventStore(options);
  if (!store.ok() && store.status().message().find("lock") != std::string::npos) {
    return Status::Unavailable(store.status().message() +
                               " (is forklined running on it? stop it first)");
  }
  return store;
}

Result<Event> EventFromJson(const json::object& o) {
  Event e;
  auto str = [&o](const char* key) {
    const json::value* v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->get_string()) : std::string();
  };
  auto num = [&o](const char* key) -> std::uint64_t {
    const json::value* v = o.if_contains(key);
    return v && v->is_uint64()  ? v->get_uint64()
           : v && v->is_int64() ? static_cast<std::uint64_t>(v->get_int64())
                                : 0;
  };
  e.run_id = str("run_id");
  e.version = num("version");
  e.position = num("position");
  e.type = str("type");
  e.at = str("at");
  e.command_id = str("command_id");
  e.key = str("key");
  e.prev_hash = str("prev_hash");
  e.hash = str("hash");
  const json::value* data = o.if_contains("data");
  if (e.run_id.empty() || e.version == 0 || data == nullptr || !data->is_object()) {
    return Status::Internal("the daemon sent an event without run_id, version or data");
  }
  e.data = json::serialize(*data);
  return e;
}

Result<std::vector<std::string>> RemoteLog::ListRuns() {
  std::vector<std::string> ids;
  json::object args{{"limit", 1000}};
  for (;;) {
    auto page = client_.Call("run.list", args);
    if (!page.ok()) return page.status();
    const json::value* runs = page->if_contains("runs");
    if (runs && runs->is_array()) {
      for (const json::value& r : runs->get_array()) {
        if (const json::value* id = r.is_object() ? r.get_object().if_contains("id") : nullptr;
            id && id->is_string()) {
          ids.emplace_back(id->get_string());
        }
      }
    }
    const json::value* next = page->if_contains("next");
    if (next == nullptr || !next->is_string()) return ids;
    args["after"] = *next;
  }
}

Result<EventList> RemoteLog::History(const std::string& run_id) {
  EventList out;
  std::uint64_t after = 0;
  for (;;) {
    auto page =
        client_.Call("run.events", {{"run_id", run_id}, {"after", after}, {"limit", 10000}});
    if (!page.ok()) return page.status();
    const json::value* events = page->if_contains("events");
    if (events == nullptr || !events->is_array())
      return Status::Internal("run.events sent no events");
    for (const json::value& v : events->get_array()) {
      if (!v.is_object()) return Status::Internal("run.events sent a non-object event");
      auto e = EventFromJson(v.get_object());
      if (!e.ok()) return e.status();
      after = e->version;
      out.push_back(std::make_shared<const Event>(std::move(e).value()));
    }
    const json::value* next = page->if_contains("next");
    if (next == nullptr || next->is_null() || events->get_array().empty()) return out;
  }
}

Result<json::object> RemoteLog::Run(const std::string& run_id) {
  auto r = client_.Call("run.get", {{"run_id", run_id}});
  if (!r.ok()) return r.status();
  const json::value* run = r->if_contains("run");
  if (run == nullptr || !run->is_object()) return Status::Internal("run.get sent no run");
  return run->get_object();
}

Result<tools::LogSnapshot> RemoteLog::Snapshot(const std::vector<std::string>& runs) {
  std::vector<std::string> todo = runs;
  if (todo.empty()) {
    auto all = ListRuns();
    if (!all.ok()) return all.status();
    todo = std::move(all).value();
  }
  std::set<std::string> done;
  EventList own;
  while (!todo.empty()) {
    const std::string run = std::move(todo.back());
    todo.pop_back();
    if (!done.insert(run).second) continue;
    auto history = History(run);
    if (!history.ok()) return history.status();
    for (const EventPtr& e : *history) {
      if (e->run_id == run) {
        own.push_back(e);
      } else if (!done.count(e->run_id)) {
        todo.push_back(e->run_id);  // a fork source: export it whole
      }
    }
  }
  return tools::SnapshotFromEvents(own);
}

}  // namespace forkline::cli
