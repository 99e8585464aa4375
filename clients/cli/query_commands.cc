// Read-only subcommands: show, ls, events, lineage, workflows, health, output.

#include <map>

#include <boost/json.hpp>

#include "clients/cli/cli.h"
#include "clients/cli/format.h"

namespace forkline::cli {
namespace {

namespace json = boost::json;

const json::array& ArrayField(const json::object& obj, const char* name) {
  static const json::array kEmpty;
  const json::value* v = obj.if_contains(name);
  return v != nullptr && v->is_array() ? v->get_array() : kEmpty;
}

void PrintNext(CliContext& ctx, const json::object& r) {
  if (std::string next = Text(r, "next"); !next.empty()) ctx.out << "next: " << next << "\n";
}

int Show(CliContext& ctx) {
  return ctx.Run("run.get", {{"run_id", ctx.args.positional.at(0)}}, [&ctx](const json::object& r) {
    if (const json::value* run = r.if_contains("run"); run && run->is_object()) {
      ctx.out << RunDetails(run->get_object());
    }
  });
}

int List(CliContext& ctx) {
  json::object args;
  for (const char* name : {"status", "kind", "after"}) {
    if (std::optional<std::string> v = ctx.args.Get(name)) args[name] = *v;
  }
  Result<std::optional<long long>> limit = IntOption(ctx.args, "limit");
  if (!limit.ok()) return ctx.Fail(kExitUsage, limit.status().message());
  if (*limit) args["limit"] = **limit;
  return ctx.Run("run.list", std::move(args), [&ctx](const json::object& r) {
    std::vector<std::vector<std::string>> rows = {
        {"ID", "KIND", "STATUS", "CURSOR/TOTAL", "AUTORUN", "TITLE"}};
    for (const json::value& v : ArrayField(r, "runs")) {
      if (!v.is_object()) continue;
      const json::object& run = v.get_object();
      const json::value* autorun = run.if_contains("autorun");
      rows.push_back({Text(run, "id"), Text(run, "kind"), Text(run, "status"),
                      Text(run, "cursor") + "/" + Text(run, "total_steps"),
                      autorun && autorun->is_bool() && autorun->get_bool() ? "on" : "off",
                      Text(run, "title")});
    }
    ctx.out << Table(rows);
    PrintNext(ctx, r);
  });
}

int Events(CliContext& ctx) {
  json::object args{{"run_id", ctx.args.positional.at(0)}};
  for (const char* name : {"after", "limit"}) {
    Result<std::optional<long long>> n = IntOption(ctx.args, name);
    if (!n.ok()) return ctx.Fail(kExitUsage, n.status().message());
    if (*n) args[name] = **n;
  }
  return ctx.Run("run.events", std::move(args), [&ctx](const json::object& r) {
    for (const json::value& e : ArrayField(r, "events")) {
      if (e.is_object()) {
        ctx.out << Text(e.get_object(), "at") << "  " << EventLine(e.get_object()) << "\n";
      }
    }
    PrintNext(ctx, r);
  });
}

int Lineage(CliContext& ctx) {
  return ctx.Run(
      "run.lineage", {{"run_id", ctx.args.positional.at(0)}}, [&ctx](const json::object& r) {
        // Indent each run under its parent.
        std::map<std::string, std::string> parent_of;
        for (const json::value& v : ArrayField(r, "runs")) {
          if (v.is_object()) {
            parent_of[Text(v.get_object(), "run_id")] = Text(v.get_object(), "parent_run_id");
          }
        }
        for (const json::value& v : ArrayField(r, "runs")) {
          if (!v.is_object()) continue;
          const json::object& run = v.get_object();
          std::size_t depth = 0;
          for (std::string p = Text(run, "parent_run_id"); !p.empty() && depth < 64; ++depth) {
            p = parent_of.count(p) ? parent_of[p] : "";
          }
          ctx.out << std::string(depth * 2, ' ') << Text(run, "run_id") << "  "
                  << Text(run, "status");
          if (!Text(run, "parent_run_id").empty()) {
            ctx.out << "  (fork at " << Text(run, "at") << ")";
          }
          ctx.out << "\n";
        }
      });
}

int Workflows(CliContext& ctx) {
  return ctx.Run("workflows.list", {}, [&ctx](const json::object& r) {
    for (const json::value& v : ArrayField(r, "workflows")) {
      if (!v.is_object()) continue;
      const json::object& w = v.get_object();
      ctx.out << Text(w, "kind") << "  " << Text(w, "description") << "\n";
      std::size_t i = 0;
      for (const json::value& s : ArrayField(w, "steps")) {
        if (!s.is_object()) continue;
        ctx.out << "  " << i++ << ". " << Text(s.get_object(), "name") << " ("
                << Text(s.get_object(), "executor") << ")\n";
      }
    }
  });
}

int Health(CliContext& ctx) {
  return ctx.Run("system.health", {}, [&ctx](const json::object& r) {
    for (const auto& kv : r) {
      ctx.out << std::string(kv.key()) << ": " << Text(r, std::string(kv.key()).c_str()) << "\n";
    }
  });
}

// The step of `run` named or numbered `which`, or null.
const json::object* FindStep(const json::object& run, const std::string& which) {
  for (const json::value& v : ArrayField(run, "steps")) {
    if (!v.is_object()) continue;
    const json::object& step = v.get_object();
    if (Text(step, "index") == which || Text(step, "name") == which) return &step;
  }
  return nullptr;
}

int Output(CliContext& ctx) {
  const std::string& run_id = ctx.args.positional.at(0);
  const std::string& which = ctx.args.positional.at(1);
  int code = kExitOk;
  std::optional<json::object> r = ctx.Call("run.get", {{"run_id", run_id}}, &code);
  if (!r) return code;
  const json::value* run = r->if_contains("run");
  const json::object* step = run && run->is_object() ? FindStep(run->get_object(), which) : nullptr;
  if (step == nullptr) {
    return ctx.Fail(kExitCommandError, "not_found: run " + run_id + " has no step " + which);
  }
  const json::value* output = step->if_contains("output");
  if (output == nullptr || output->is_null()) {
    return ctx.Fail(kExitCommandError, "not_found: step " + Text(*step, "index") + " (" +
                                           Text(*step, "name") + ") has no output (status " +
                                           Text(*step, "status") + ")");
  }
  std::optional<std::string> field = ctx.args.Get("field");
  if (!field) {
    ctx.out << (ctx.json ? json::serialize(*output) : PrettyJson(*output)) << "\n";
    return kExitOk;
  }
  const json::value* f = output->is_object() ? output->get_object().if_contains(*field) : nullptr;
  if (f == nullptr) {
    return ctx.Fail(kExitCommandError, "not_found: the output has no field '" + *field + "'");
  }
  if (f->is_string()) {
    const json::string& s = f->get_string();
    ctx.out << std::string_view(s.data(), s.size());
    if (s.empty() || s.back() != '\n') ctx.out << "\n";
  } else {
    ctx.out << (ctx.json ? json::serialize(*f) : PrettyJson(*f)) << "\n";
  }
  return kExitOk;
}

}  // namespace

void AddQueryCommands(std::vector<Subcommand>& out) {
  out.push_back({"show", "RUN", "show a run and its steps", {}, 1, 1, Show});
  out.push_back({"ls",
                 "[--status S] [--kind K] [--limit N] [--after C]",
                 "list runs",
                 {{"status", true, "STATUS", "only runs with this status"},
                  {"kind", true, "KIND", "only runs of this kind"},
                  {"limit", true, "N", "at most N runs (default 50, max 1000)"},
                  {"after", true, "CURSOR", "continue after a previous page's next"}},
                 0,
                 0,
                 List});
  out.push_back({"events",
                 "RUN [--after N] [--limit N]",
                 "print a run's event log",
                 {{"after", true, "N", "only events after version N"},
                  {"limit", true, "N", "at most N events (default 1000)"}},
                 1,
                 1,
                 Events});
  out.push_back({"lineage", "RUN", "show the fork tree a run belongs to", {}, 1, 1, Lineage});
  out.push_back({"workflows", "", "list workflow kinds and their steps", {}, 0, 0, Workflows});
  out.push_back({"health", "", "daemon health", {}, 0, 0, Health});
  out.push_back({"output",
                 "RUN STEP [--field F]",
                 "print a step's output (STEP = index or name)",
                 {{"field", true, "F", "print only this field (a string raw, e.g. fountain)"}},
                 2,
                 2,
                 Output});
}

}  // namespace forkline::cli
