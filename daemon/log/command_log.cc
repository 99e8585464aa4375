#include "daemon/log/command_log.h"

#include <boost/json/object.hpp>
#include <chrono>
#include <cstdio>
#include <string>

#include "daemon/engine/idempotency.h"
#include "daemon/log/log.h"

namespace forkline {
namespace json = boost::json;
namespace {

std::string StringArg(const json::object& o, std::string_view name) {
  const json::value* v = o.if_contains(name);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

// The client's own request id, clipped: it is client-chosen text.
std::string ClientId(const std::string& id) { return id.size() <= 64 ? id : id.substr(0, 64) + "…"; }

}  // namespace

void LoggingCommandHandler::Handle(CommandRequest request, ReplyFn reply) {
  // Nothing below info is ever logged here: with info off, no fields are built (the
  // command id alone is a canonical JSON and a SHA-256 per command).
  if (!log::Enabled(log::Level::kInfo)) return inner_.Handle(std::move(request), std::move(reply));
  const bool mutating = IsMutatingCommand(request.cmd);
  const log::Level level = mutating ? log::Level::kInfo : log::Level::kDebug;
  char rid[32];
  std::snprintf(rid, sizeof rid, "rq-%llu",
                static_cast<unsigned long long>(next_request_.fetch_add(1)));
  log::Fields fields{{"request_id", rid},
                     {"origin", request.origin.empty() ? std::string("zmq") : request.origin},
                     {"cmd", request.cmd.size() <= 64 ? request.cmd : request.cmd.substr(0, 64)}};
  if (!request.id.empty()) fields.emplace_back("client_id", ClientId(request.id));
  std::string run_id = StringArg(request.args, "run_id");
  if (mutating) fields.emplace_back("command_id", CommandId(request.cmd, request.args));
  const auto start = std::chrono::steady_clock::now();
  inner_.Handle(std::move(request), [level, fields = std::move(fields), run_id = std::move(run_id),
                                     start, reply = std::move(reply)](CommandReply r) mutable {
    const bool failed = !r.ok();
    if (log::Enabled(failed ? log::Level::kInfo : level)) {
      std::string version;
      std::string result_run = run_id;
      if (r.ok() && !r->run_id().empty()) {
        result_run = r->run_id();
        version = std::to_string(r->version());
      }
      if (!result_run.empty()) fields.emplace_back("run_id", result_run);
      if (!version.empty()) fields.emplace_back("version", version);
      fields.emplace_back("outcome", failed ? std::string(CodeName(r.status().code())) : "ok");
      if (failed) fields.emplace_back("error", r.status().message());
      const std::chrono::duration<double, std::milli> took = std::chrono::steady_clock::now() - start;
      char ms[32];
      std::snprintf(ms, sizeof ms, "%.2f", took.count());
      fields.emplace_back("ms", ms);
      log::Write(failed ? log::Level::kInfo : level, "command", fields);
    }
    reply(std::move(r));
  });
}

std::string CommandIdOf(std::string_view event_json) {
  // The event's own keys come before "data" in the canonical form (keys sorted), so the
  // search stops there: an output or input can never be mistaken for it.
  const std::size_t data = event_json.find("\"data\":");
  const std::string_view head = event_json.substr(0, data);
  constexpr std::string_view kKey = "\"command_id\":\"";
  const std::size_t at = head.find(kKey);
  if (at == std::string_view::npos) return {};
  const std::size_t begin = at + kKey.size();
  const std::size_t end = head.find('"', begin);
  if (end == std::string_view::npos) return {};
  return std::string(head.substr(begin, end - begin));
}

std::uint64_t LogFeedEvents(EventFeed& feed) {
  return feed.Subscribe([](const FeedItemPtr& item) {
    if (item->transient) return;
    const bool routine = item->type == "step.started" || item->type == "step.completed";
    const log::Level level = routine ? log::Level::kDebug : log::Level::kInfo;
    if (!log::Enabled(level)) return;
    log::Fields fields{{"run_id", item->run_id},
                       {"version", std::to_string(item->version)},
                       {"position", std::to_string(item->position)},
                       {"type", item->type}};
    if (std::string id = CommandIdOf(item->json); !id.empty()) fields.emplace_back("command_id", id);
    log::Write(level, "event", fields);
  });
}

}  // namespace forkline
