// Mutating subcommands: create, next, pause, resume, autorun, cancel, retry, fork.

#include <boost/json.hpp>

#include "clients/cli/cli.h"
#include "clients/cli/format.h"
#include "clients/cli/io_util.h"

namespace forkline::cli {
namespace {

namespace json = boost::json;

json::object RunArg(const CliContext& ctx) {
  return {{"run_id", ctx.args.positional.at(0)}};
}

void PrintRun(CliContext& ctx, const json::object& result) {
  if (const json::value* run = result.if_contains("run"); run && run->is_object()) {
    ctx.out << RunLine(run->get_object()) << "\n";
  }
}

// A command that takes RUN and answers {run}.
Subcommand Simple(std::string name, const std::string& cmd, std::string summary) {
  Subcommand s{std::move(name), "RUN", std::move(summary), {}, 1, 1, nullptr};
  s.run = [cmd](CliContext& ctx) {
    return ctx.Run(cmd, RunArg(ctx), [&ctx](const json::object& r) { PrintRun(ctx, r); });
  };
  return s;
}

// The create input: --input-json, or {text, title, author} from the flags.
Result<json::object> CreateInput(const CliContext& ctx) {
  const ParsedArgs& a = ctx.args;
  if (a.Has("input-json") && a.Has("text-file")) {
    return Status::BadRequest("give --text-file or --input-json, not both");
  }
  json::object input;
  if (std::optional<std::string> f = a.Get("input-json")) {
    Result<json::value> v = ReadJsonFile(*f);
    if (!v.ok()) return v.status();
    if (!v->is_object()) return Status::BadRequest(*f + " must hold a JSON object");
    return std::move(v->get_object());
  }
  if (std::optional<std::string> f = a.Get("text-file")) {
    Result<std::string> text = ReadFile(*f);
    if (!text.ok()) return text.status();
    input["text"] = *text;
  }
  if (std::optional<std::string> t = a.Get("title")) input["title"] = *t;
  if (std::optional<std::string> au = a.Get("author")) input["author"] = *au;
  return input;
}

int Create(CliContext& ctx) {
  Result<json::object> input = CreateInput(ctx);
  if (!input.ok()) return ctx.Fail(kExitCommandError, input.status().message());
  json::object args{{"kind", ctx.args.positional.at(0)}, {"input", std::move(input).value()}};
  if (std::optional<std::string> t = ctx.args.Get("title")) args["title"] = *t;
  if (ctx.args.Has("autorun")) args["autorun"] = true;
  return ctx.Run("run.create", std::move(args), [&ctx](const json::object& r) {
    ctx.out << "created ";
    PrintRun(ctx, r);
  });
}

int Next(CliContext& ctx) {
  json::object args = RunArg(ctx);
  Result<std::optional<long long>> expect = IntOption(ctx.args, "expect-version");
  if (!expect.ok()) return ctx.Fail(kExitUsage, expect.status().message());
  if (*expect) args["expect_version"] = **expect;
  // run.next answers when the step has ended: wait an hour unless told otherwise.
  if (!ctx.timeout_given) ctx.zmq.timeout = std::chrono::hours(1);
  return ctx.Run("run.next", std::move(args), [&ctx](const json::object& r) {
    if (const json::value* s = r.if_contains("step"); s && s->is_object()) {
      ctx.out << StepLine(s->get_object()) << "\n";
    }
    PrintRun(ctx, r);
  });
}

int Pause(CliContext& ctx) {
  json::object args = RunArg(ctx);
  if (ctx.args.Has("abort-step")) args["abort_step"] = true;
  return ctx.Run("run.pause", std::move(args), [&ctx](const json::object& r) { PrintRun(ctx, r); });
}

int Autorun(CliContext& ctx) {
  const std::string& mode = ctx.args.positional.at(1);
  if (mode != "on" && mode != "off") {
    return ctx.Fail(kExitUsage, "autorun wants 'on' or 'off', got '" + mode + "'");
  }
  json::object args = RunArg(ctx);
  args["enabled"] = mode == "on";
  return ctx.Run("run.autorun", std::move(args),
                 [&ctx](const json::object& r) { PrintRun(ctx, r); });
}

int Fork(CliContext& ctx) {
  json::object args = RunArg(ctx);
  Result<std::optional<long long>> at = IntOption(ctx.args, "at");
  if (!at.ok()) return ctx.Fail(kExitUsage, at.status().message());
  if (*at) args["at"] = **at;
  if (std::optional<std::string> t = ctx.args.Get("title")) args["title"] = *t;
  if (ctx.args.Has("autorun")) args["autorun"] = true;
  if (std::optional<std::string> f = ctx.args.Get("override-file")) {
    Result<json::value> output = ReadJsonFile(*f);
    if (!output.ok()) return ctx.Fail(kExitCommandError, output.status().message());
    args["override"] = json::object{{"output", std::move(output).value()}};
  }
  return ctx.Run("run.fork", std::move(args), [&ctx](const json::object& r) {
    ctx.out << "forked ";
    PrintRun(ctx, r);
  });
}

}  // namespace

void AddRunCommands(std::vector<Subcommand>& out) {
  out.push_back({"create",
                 "KIND [--text-file F | --input-json F|-] [--title T] [--author A] [--autorun]",
                 "create a run of a workflow kind",
                 {{"text-file", true, "FILE", "the novel's text (input.text); - = stdin"},
                  {"input-json", true, "FILE", "the whole input object as JSON; - = stdin"},
                  {"title", true, "TITLE", "run title (also input.title)"},
                  {"author", true, "AUTHOR", "input.author"},
                  {"autorun", false, "", "start executing at once"}},
                 1,
                 1,
                 Create});
  out.push_back({"next",
                 "RUN [--expect-version N]",
                 "execute exactly one step and wait for it to end",
                 {{"expect-version", true, "N", "refuse unless the run is at this version"}},
                 1,
                 1,
                 Next});
  out.push_back({"pause",
                 "RUN [--abort-step]",
                 "pause a run",
                 {{"abort-step", false, "", "stop the step in flight (recorded aborted)"}},
                 1,
                 1,
                 Pause});
  out.push_back(Simple("resume", "run.resume", "resume a paused run"));
  out.push_back({"autorun", "RUN on|off", "switch autorun on or off", {}, 2, 2, Autorun});
  out.push_back(Simple("cancel", "run.cancel", "cancel a run (terminal)"));
  out.push_back(Simple("retry", "run.retry", "retry the failed step of a failed run"));
  out.push_back({"fork",
                 "RUN [--at N] [--title T] [--override-file F] [--autorun]",
                 "fork a run from a completed step",
                 {{"at", true, "N", "fork after step N-1 (default: the source's cursor)"},
                  {"title", true, "TITLE", "the new run's title"},
                  {"override-file", true, "FILE", "JSON output replacing step at-1's output"},
                  {"autorun", false, "", "start the fork under autorun"}},
                 1,
                 1,
                 Fork});
}

}  // namespace forkline::cli
