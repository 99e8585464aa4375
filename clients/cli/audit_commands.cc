// The auditor's subcommands: audit, export, import, backup, restore.

#include <filesystem>
#include <limits>
#include <set>
#include <sstream>
#include <thread>

#include <boost/json.hpp>

#include "clients/cli/cli.h"
#include "clients/cli/http_call.h"
#include "clients/cli/io_util.h"
#include "clients/cli/log_source.h"
#include "clients/cli/store_location.h"
#include "eventstore/memory_event_store.h"
#include "tools/audit.h"
#include "tools/event_line.h"
#include "tools/export_import.h"

namespace forkline::cli {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;
constexpr std::size_t kAll = std::numeric_limits<std::size_t>::max();

OptionSpec DataOption(const std::string& help) {
  return {"data", true, "DIR", help};
}

std::vector<OptionSpec> WithAll(std::vector<OptionSpec> options) {
  options.insert(options.begin(), {"all", false, "", "every run"});
  return options;
}

std::vector<OptionSpec> WithFile(std::vector<OptionSpec> options) {
  options.push_back({"file", true, "FILE", "the export to read (default: stdin)"});
  return options;
}

// The store named by --data or --pg-url; nullopt without either. On a usage error,
// prints it and sets *code.
std::optional<StoreLocation> Location(CliContext& ctx, int* code) {
  auto where = StoreFromArgs(ctx.args);
  if (!where.ok()) {
    *code = ctx.Fail(kExitUsage, where.status().message());
    return std::nullopt;
  }
  *code = kExitOk;
  return *where;
}

int FailOpen(CliContext& ctx, const StoreLocation& where, const Status& status) {
  return ctx.Fail(OpenFailureExitCode(where, status), status.message());
}

int Report(CliContext& ctx, const tools::AuditReport& report) {
  if (ctx.json) {
    ctx.out << json::serialize(tools::ReportJson(report)) << "\n";
  } else {
    ctx.out << tools::ReportText(report);
  }
  return report.clean() ? kExitOk : kExitCommandError;
}

// Compares what the daemon serves for every run with the fold of the run's history
// (from `store` when given, else from the daemon's own run.events) cut at the served
// version. The log is read after run.get answered, so it holds that version (a lagging
// read-only store is read again a few times).
int CompareWithDaemon(CliContext& ctx, EventStore* store, const tools::LogSnapshot& log,
                      tools::AuditReport& report) {
  RemoteLog remote(ctx.zmq);
  auto ids = remote.ListRuns();
  if (!ids.ok()) return ctx.Fail(ids.status(), remote.transport_failed());
  std::set<std::string> listed(ids->begin(), ids->end());
  for (const auto& [run, info] : log.streams) {
    if (store != nullptr && !listed.count(run)) {
      report.findings.push_back(
          {run, 0, "projection", "in the log, but the daemon does not list it"});
    }
  }
  for (const std::string& id : *ids) {
    auto served = remote.Run(id);
    if (!served.ok()) return ctx.Fail(served.status(), remote.transport_failed());
    const json::value* v = served->if_contains("version");
    const std::uint64_t version = v && v->is_number() ? v->to_number<std::uint64_t>() : 0;
    for (int attempt = 0;; ++attempt) {
      Result<EventList> history =
          store != nullptr ? store->ReadStream(id, 0, kAll) : remote.History(id);
      if (!history.ok()) {
        report.findings.push_back(
            {id, 0, "projection", "served, but its log: " + history.status().message()});
        break;
      }
      if (!history->empty() && history->back()->version >= version) {
        EventList cut;
        for (const EventPtr& e : *history) {
          if (e->version <= version) cut.push_back(e);
        }
        tools::CompareServed(cut, id, *served, report);
        break;
      }
      if (attempt == 20) {
        report.findings.push_back({id, version, "projection",
                                   "the daemon serves version " + std::to_string(version) +
                                       " but the log ends before it"});
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));  // a secondary catching up
    }
  }
  return kExitOk;
}

int Audit(CliContext& ctx) {
  int code = kExitOk;
  const std::optional<StoreLocation> data = Location(ctx, &code);
  if (code != kExitOk) return code;
  const bool compare = !data || ctx.args.Has("connect");
  std::unique_ptr<EventStore> store;
  Result<tools::LogSnapshot> log = Status::Internal("unread");
  if (data) {
    auto opened = OpenLocationReadOnly(*data);
    if (!opened.ok()) return FailOpen(ctx, *data, opened.status());
    store = std::move(opened).value();
    log = tools::SnapshotFromStore(*store);
    if (!log.ok()) {
      return ctx.Fail(kExitCommandError,
                      "reading " + data->Describe() + ": " + log.status().message());
    }
  } else {
    RemoteLog remote(ctx.zmq);
    log = remote.Snapshot({});
    if (!log.ok()) return ctx.Fail(log.status(), remote.transport_failed());
  }
  tools::AuditReport report = tools::AuditLog(*log);
  if (compare) {
    // The daemon moves on: compare with a store that follows it.
    std::unique_ptr<EventStore> live;
    if (data) {
      auto opened = OpenLocationReadOnly(*data, /*follow=*/true);
      if (!opened.ok()) return FailOpen(ctx, *data, opened.status());
      live = std::move(opened).value();
    }
    if (code = CompareWithDaemon(ctx, live.get(), *log, report); code != kExitOk) return code;
  }
  return Report(ctx, report);
}

int Export(CliContext& ctx) {
  const std::vector<std::string>& runs = ctx.args.positional;
  if (runs.empty() == !ctx.args.Has("all")) {
    return ctx.Fail(kExitUsage, "give the runs to export or --all (not both)");
  }
  int code = kExitOk;
  const std::optional<StoreLocation> data = Location(ctx, &code);
  if (code != kExitOk) return code;
  Result<tools::LogSnapshot> log = Status::Internal("unread");
  if (data) {
    auto store = OpenLocationReadOnly(*data);
    if (!store.ok()) return FailOpen(ctx, *data, store.status());
    log = tools::SnapshotFromStore(**store);
    if (!log.ok()) return ctx.Fail(kExitCommandError, log.status().message());
  } else {
    RemoteLog remote(ctx.zmq);
    log = remote.Snapshot(runs);
    if (!log.ok()) return ctx.Fail(log.status(), remote.transport_failed());
  }
  auto events = tools::SelectForExport(*log, runs);
  if (!events.ok()) return ctx.Fail(kExitCommandError, events.status().message());
  for (const EventPtr& e : *events)
    ctx.out << tools::EventLine(*e) << "\n";
  ctx.out.flush();
  return ctx.out ? kExitOk : ctx.Fail(kExitCommandError, "writing the export failed");
}

int Import(CliContext& ctx) {
  int code = kExitOk;
  const std::optional<StoreLocation> data = Location(ctx, &code);
  if (code != kExitOk) return code;
  if (!data) {
    return ctx.Fail(kExitUsage,
                    "import writes into a store directly: give --data DIR (a stopped RocksDB "
                    "store; forklined has no import command) or --pg-url URL");
  }
  auto text = ReadFile(ctx.args.Get("file").value_or("-"));
  if (!text.ok()) return ctx.Fail(kExitCommandError, text.status().message());
  std::istringstream in(std::move(text).value());
  auto events = tools::ReadEventLines(in);
  if (!events.ok())
    return ctx.Fail(kExitCommandError, "nothing imported: " + events.status().message());
  if (data->postgres()) {
    // A schema is created only for a file that passes: with no store there, the checks
    // against an empty one are the same.
    auto exists = LocationHoldsStore(*data);
    if (!exists.ok()) return FailOpen(ctx, *data, exists.status());
    if (!*exists) {
      if (Status s = tools::VerifyImport(*events, *NewMemoryEventStore()); !s.ok()) {
        return ctx.Fail(kExitCommandError, "nothing imported: " + s.message());
      }
    }
  }
  auto store = OpenLocationForWriting(*data);
  if (!store.ok()) return FailOpen(ctx, *data, store.status());
  auto done = tools::ImportEvents(*events, **store);
  if (!done.ok()) {
    const bool verified = done.status().message().starts_with("import stopped");
    return ctx.Fail(kExitCommandError,
                    (verified ? "" : "nothing imported: ") + done.status().message());
  }
  if (ctx.json) {
    ctx.out << json::serialize(json::object{{"runs", done->runs}, {"events", done->events}})
            << "\n";
  } else {
    ctx.out << "imported " << done->runs << " runs, " << done->events << " events into "
            << data->Describe() << "\n";
  }
  return kExitOk;
}

std::string ErrorMessage(const std::string& body) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (!ec && v.is_object()) {
    if (const json::value* e = v.get_object().if_contains("error"); e && e->is_object()) {
      if (const json::value* m = e->get_object().if_contains("message"); m && m->is_string()) {
        return std::string(m->get_string());
      }
    }
  }
  return body;
}

int Backup(CliContext& ctx) {
  std::error_code ec;
  const std::string dir = fs::absolute(ctx.args.positional.at(0), ec).lexically_normal().string();
  if (std::optional<std::string> data = ctx.args.Get("data")) {
    auto store = OpenStoreForWriting(*data);
    if (!store.ok()) return ctx.Fail(kExitCommandError, store.status().message());
    if (Status s = (*store)->Checkpoint(dir); !s.ok())
      return ctx.Fail(kExitCommandError, s.message());
  } else {
    auto answer =
        HttpCall(ctx.http_host, ctx.http_port, "POST", "/v1/admin/backup",
                 json::serialize(json::object{{"dir", dir}}), ctx.zmq.token, ctx.zmq.timeout);
    if (!answer.ok()) return ctx.Fail(kExitNoAnswer, answer.status().message());
    if (answer->status != 200) {
      return ctx.Fail(kExitCommandError, "backup refused (HTTP " + std::to_string(answer->status) +
                                             "): " + ErrorMessage(answer->body));
    }
  }
  if (ctx.json) {
    ctx.out << json::serialize(json::object{{"dir", dir}}) << "\n";
  } else {
    ctx.out << "backup written to " << dir << "\n";
  }
  return kExitOk;
}

int Restore(CliContext& ctx) {
  const std::string backup = ctx.args.positional.at(0);
  const std::optional<std::string> data = ctx.args.Get("data");
  if (!data)
    return ctx.Fail(kExitUsage, "restore needs --data DIR: the store folder to restore into");
  std::error_code ec;
  if (!fs::exists(backup + "/CURRENT", ec)) {
    return ctx.Fail(kExitCommandError, "no Forkline backup at " + backup);
  }
  if (fs::exists(*data, ec) && !fs::is_empty(*data, ec)) {
    return ctx.Fail(kExitCommandError, *data +
                                           " exists and is not empty: stop forklined and move it "
                                           "away first (restore never overwrites a store)");
  }
  fs::create_directories(*data, ec);
  fs::copy(backup, *data, fs::copy_options::recursive, ec);
  if (ec)
    return ctx.Fail(kExitCommandError, "copying " + backup + " to " + *data + ": " + ec.message());
  auto store = OpenStoreReadOnly(*data);
  if (!store.ok())
    return ctx.Fail(kExitCommandError,
                    "the restored store does not open: " + store.status().message());
  auto log = tools::SnapshotFromStore(**store);
  if (!log.ok()) return ctx.Fail(kExitCommandError, log.status().message());
  if (!ctx.json) ctx.out << "restored " << backup << " into " << *data << "; audit:\n";
  return Report(ctx, tools::AuditLog(*log));
}

}  // namespace

void AddAuditCommands(std::vector<Subcommand>& out) {
  out.push_back(
      {"audit", "[--data DIR | --pg-url URL [--pg-schema NAME]] [--connect ENDPOINT]",
       "check a whole store (hash chains, versions, forks, steps, projections); 0 = clean",
       StoreOptions("read this store folder (a live daemon's too: opened read-only); with "
                    "--connect also compare with the daemon. Without --data or --pg-url: the "
                    "daemon's log over --connect"),
       0, 0, Audit});
  out.push_back({"export",
                 "[RUN... | --all] [--data DIR | --pg-url URL [--pg-schema NAME]] > FILE.jsonl",
                 "print runs (forks with their sources) as canonical JSON events, one a line",
                 WithAll(StoreOptions("read this store folder instead of asking the daemon")), 0,
                 kAll, Export});
  out.push_back(
      {"import", "(--data DIR | --pg-url URL [--pg-schema NAME]) [--file FILE.jsonl]",
       "write an export into a store, every hash checked before anything is written",
       WithFile(StoreOptions("the RocksDB store folder to import into (created when missing; "
                             "forklined must not be running on it)",
                             "; its nodes may keep running")),
       0, 0, Import});
  out.push_back({"backup",
                 "DIR [--data SRC]",
                 "a consistent copy of the live store (POST /v1/admin/backup over --http)",
                 {DataOption("copy this stopped store folder directly instead")},
                 1,
                 1,
                 Backup});
  out.push_back({"restore",
                 "BACKUP --data DIR",
                 "copy a backup into an empty store folder (daemon stopped) and audit it",
                 {DataOption("the store folder to restore into (missing or empty)")},
                 1,
                 1,
                 Restore});
}

}  // namespace forkline::cli
