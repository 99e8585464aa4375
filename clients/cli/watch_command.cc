// watch: follow a run's event stream over SSE (DESIGN §5), resuming after drops.

#include <cstdio>

#include <boost/json.hpp>

#include "clients/cli/cli.h"
#include "clients/cli/format.h"
#include "clients/lib/sse_client.h"

namespace forkline::cli {
namespace {

namespace json = boost::json;

std::string PercentEncode(const std::string& s) {
  std::string out;
  for (const unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

bool IsTerminal(const std::string& type) {
  return type == "run.completed" || type == "run.canceled" || type == "run.failed";
}

int Watch(CliContext& ctx) {
  Result<std::optional<long long>> after = IntOption(ctx.args, "after");
  if (!after.ok()) return ctx.Fail(kExitUsage, after.status().message());
  const bool until_terminal = ctx.args.Has("until-terminal");
  client::SseClientOptions options;
  options.host = ctx.http_host;
  options.port = ctx.http_port;
  options.target = "/v1/runs/" + PercentEncode(ctx.args.positional.at(0)) + "/events";
  if (until_terminal) options.target += "?until=terminal";
  options.token = ctx.zmq.token;
  if (*after) options.last_event_id = std::to_string(**after);
  client::SseClient sse(options);
  Status s = sse.Run([&](const client::SseEvent& event) {
    if (ctx.json) {
      ctx.out << event.data << std::endl;
    } else {
      boost::system::error_code ec;
      json::value v = json::parse(event.data, ec);
      ctx.out << (!ec && v.is_object() ? EventLine(v.get_object()) : event.type + " " + event.data)
              << std::endl;
    }
    return !(until_terminal && IsTerminal(event.type));
  });
  if (!s.ok()) return ctx.Fail(s, s.code() == Code::kUnavailable);
  return kExitOk;
}

}  // namespace

void AddWatchCommands(std::vector<Subcommand>& out) {
  out.push_back(
      {"watch",
       "RUN [--after N] [--until-terminal]",
       "print a run's events as they happen (SSE; resumes after a dropped connection)",
       {{"after", true, "N", "start after version N (default: the whole history)"},
        {"until-terminal", false, "", "exit after the run completes, fails or is canceled"}},
       1,
       1,
       Watch});
}

}  // namespace forkline::cli
