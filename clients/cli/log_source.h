#pragma once
// Where the audit tools (audit, replay, export, diff) read the log from: a store folder
// (`--data DIR`, opened as a read-only RocksDB secondary, so a live daemon keeps
// running) or a daemon over ZeroMQ (`run.list`, `run.events`, `run.get`).
// Thread safety: none; one per command.

#include <memory>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "clients/lib/command_client.h"
#include "eventstore/event_store.h"
#include "tools/log_snapshot.h"

namespace forkline::cli {

// Opens the store at `dir` read-only (secondary). `follow`: every read catches up with a
// live daemon's latest writes; otherwise the store reads as it was when opened (one
// consistent point, and far cheaper for whole-store reads). kNotFound when no store is there.
Result<std::unique_ptr<EventStore>> OpenStoreReadOnly(const std::string& dir, bool follow = false);
// Opens the store at `dir` for writing; kUnavailable with a hint when a daemon holds it.
Result<std::unique_ptr<EventStore>> OpenStoreForWriting(const std::string& dir);

// An event as the API sends it (the canonical JSON object) -> Event. `data` is
// re-serialised, which gives the stored bytes for everything Forkline writes.
Result<Event> EventFromJson(const boost::json::object& event);

// The daemon's view, over ZeroMQ.
class RemoteLog {
 public:
  explicit RemoteLog(client::CommandClientOptions options) : client_(std::move(options)) {}

  // Every run id (all pages of run.list).
  Result<std::vector<std::string>> ListRuns();
  // The run's whole history (all pages of run.events).
  Result<EventList> History(const std::string& run_id);
  // run.get's run.
  Result<boost::json::object> Run(const std::string& run_id);
  // A snapshot of `runs` and every fork source they need (empty = every run): each
  // stream's own events from its history.
  Result<tools::LogSnapshot> Snapshot(const std::vector<std::string>& runs);

  bool transport_failed() const { return client_.transport_failed(); }

 private:
  client::CommandClient client_;
};

}  // namespace forkline::cli
