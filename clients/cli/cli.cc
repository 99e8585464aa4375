#include "clients/cli/cli.h"

#include <cstdlib>
#include <string_view>

#include <boost/json.hpp>

namespace forkline::cli {
namespace {

namespace json = boost::json;

const std::vector<OptionSpec>& GlobalOptions() {
  static const std::vector<OptionSpec> kOptions = {
      {"connect", true, "ENDPOINT",
       "ZeroMQ endpoint (FORKLINE_CONNECT; default tcp://127.0.0.1:7710)"},
      {"http", true, "HOST:PORT",
       "HTTP address for watch and backup (FORKLINE_HTTP; default 127.0.0.1:7711)"},
      {"token", true, "TOKEN", "auth token (FORKLINE_TOKEN)"},
      {"server-key", true, "Z85", "daemon's CURVE public key (FORKLINE_SERVER_KEY)"},
      {"json", false, "", "print the raw JSON result (for scripts)"},
      {"key", true, "KEY", "idempotency key for a mutating command"},
      {"timeout", true, "SECONDS", "how long to wait for a reply (default 30; next: 3600)"},
      {"help", false, "", "show help (also after a subcommand)"},
  };
  return kOptions;
}

std::vector<Subcommand> AllSubcommands() {
  std::vector<Subcommand> subs;
  AddRunCommands(subs);
  AddQueryCommands(subs);
  AddWatchCommands(subs);
  AddHistoryCommands(subs);
  AddAuditCommands(subs);
  return subs;
}

std::string GlobalHelp(const std::vector<Subcommand>& subs) {
  std::string out =
      "usage: forkline [global options] <command> [arguments]\n\n"
      "Drives a forklined daemon over ZeroMQ (and HTTP/SSE for watch). The auditor's tools\n"
      "(replay … restore) also read a store folder directly with --data DIR, and audit,\n"
      "replay, diff, export and import a PostgreSQL store with --pg-url URL.\n\ncommands:\n";
  for (const Subcommand& s : subs) {
    out += "  " + s.name + std::string(s.name.size() < 11 ? 11 - s.name.size() : 1, ' ') +
           s.summary + "\n";
  }
  out += "\nglobal options:\n" + OptionsHelp(GlobalOptions());
  out +=
      "\nexit codes: 0 ok, 1 command error, 2 usage error, 3 no answer (connection, timeout)\n"
      "Run 'forkline <command> --help' for a command's arguments.\n";
  return out;
}

std::string SubcommandHelp(const Subcommand& s) {
  std::string out = "usage: forkline " + s.name + (s.usage.empty() ? "" : " " + s.usage) + "\n\n" +
                    s.summary + "\n";
  if (!s.options.empty()) out += "\noptions:\n" + OptionsHelp(s.options);
  out += "\nglobal options:\n" + OptionsHelp(GlobalOptions());
  return out;
}

std::string Env(const char* name) {
  const char* v = std::getenv(name);  // NOLINT(concurrency-mt-unsafe): single-threaded here
  return v == nullptr ? "" : v;
}

// Applies environment defaults and global options; a usage error message or "".
std::string Configure(CliContext& ctx) {
  const ParsedArgs& a = ctx.args;
  std::string connect = a.Get("connect").value_or(Env("FORKLINE_CONNECT"));
  if (!connect.empty()) ctx.zmq.endpoint = connect;
  ctx.zmq.token = a.Get("token").value_or(Env("FORKLINE_TOKEN"));
  ctx.zmq.curve_server_key = a.Get("server-key").value_or(Env("FORKLINE_SERVER_KEY"));
  ctx.zmq.curve_public_key = Env("FORKLINE_CLIENT_PUBLIC_KEY");
  ctx.zmq.curve_secret_key = Env("FORKLINE_CLIENT_SECRET_KEY");
  std::string http = a.Get("http").value_or(Env("FORKLINE_HTTP"));
  if (std::string_view(http).starts_with("http://")) http = http.substr(7);
  if (!http.empty() && http.back() == '/') http.pop_back();
  if (!http.empty()) {
    const std::size_t colon = http.rfind(':');
    if (colon == std::string::npos) return "--http wants HOST:PORT, got '" + http + "'";
    ctx.http_host = http.substr(0, colon);
    ctx.http_port = http.substr(colon + 1);
  }
  ctx.json = a.Has("json");
  ctx.key = a.Get("key").value_or("");
  if (std::optional<std::string> t = a.Get("timeout")) {
    char* end = nullptr;
    const double seconds = std::strtod(t->c_str(), &end);
    if (t->empty() || *end != '\0' || !(seconds > 0)) {
      return "--timeout wants a positive number of seconds, got '" + *t + "'";
    }
    ctx.zmq.timeout = std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
    ctx.timeout_given = true;
  }
  return "";
}

int RunSubcommand(const Subcommand& sub, const std::vector<std::string>& rest, std::ostream& out,
                  std::ostream& err) {
  std::vector<OptionSpec> specs = GlobalOptions();
  specs.insert(specs.end(), sub.options.begin(), sub.options.end());
  Result<ParsedArgs> parsed = ParseArgs(rest, specs);
  if (!parsed.ok()) {
    err << "forkline " << sub.name << ": " << parsed.status().message() << "\n"
        << "usage: forkline " << sub.name << " " << sub.usage << "\n";
    return kExitUsage;
  }
  if (parsed->Has("help")) {
    out << SubcommandHelp(sub);
    return kExitOk;
  }
  const std::size_t n = parsed->positional.size();
  if (n < sub.min_positional || n > sub.max_positional) {
    err << "forkline " << sub.name << ": expected " << sub.usage << "\n"
        << "usage: forkline " << sub.name << " " << sub.usage << "\n";
    return kExitUsage;
  }
  CliContext ctx(std::move(parsed).value(), out, err);
  if (std::string problem = Configure(ctx); !problem.empty()) {
    return ctx.Fail(kExitUsage, problem);
  }
  return sub.run(ctx);
}

}  // namespace

int CliContext::Fail(int code, const std::string& message) const {
  err << "forkline: " << message << "\n";
  return code;
}

int CliContext::Fail(const Status& status, bool transport) const {
  return Fail(transport ? kExitNoAnswer : kExitCommandError, status.ToString());
}

std::optional<json::object> CliContext::Call(const std::string& cmd, json::object call_args,
                                             int* exit_code) {
  client::CommandClient client(zmq);
  Result<json::object> result = client.Call(cmd, std::move(call_args), key);
  if (!result.ok()) {
    *exit_code = Fail(result.status(), client.transport_failed());
    return std::nullopt;
  }
  *exit_code = kExitOk;
  return std::move(result).value();
}

int CliContext::Run(const std::string& cmd, json::object call_args,
                    const std::function<void(const json::object&)>& human) {
  int code = kExitOk;
  std::optional<json::object> result = Call(cmd, std::move(call_args), &code);
  if (!result) return code;
  if (json || !human) {
    out << json::serialize(*result) << "\n";
  } else {
    human(*result);
  }
  return kExitOk;
}

int RunCli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  const std::vector<Subcommand> subs = AllSubcommands();
  const int at = FindFirstPositional(args, GlobalOptions());
  if (at < 0) {
    Result<ParsedArgs> parsed = ParseArgs(args, GlobalOptions());
    if (parsed.ok() && parsed->Has("help")) {
      out << GlobalHelp(subs);
      return kExitOk;
    }
    err << "forkline: " << (parsed.ok() ? "no command given" : parsed.status().message()) << "\n\n"
        << GlobalHelp(subs);
    return kExitUsage;
  }
  const std::string& name = args[static_cast<std::size_t>(at)];
  if (name == "help") {
    out << GlobalHelp(subs);
    return kExitOk;
  }
  for (const Subcommand& sub : subs) {
    if (sub.name != name) continue;
    std::vector<std::string> rest(args.begin(), args.begin() + at);
    rest.insert(rest.end(), args.begin() + at + 1, args.end());
    return RunSubcommand(sub, rest, out, err);
  }
  err << "forkline: unknown command '" << name << "' (run 'forkline --help' for the list)\n";
  return kExitUsage;
}

}  // namespace forkline::cli
