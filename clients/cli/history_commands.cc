// Time travel over a run's history: replay and diff.

#include <limits>

#include <boost/json.hpp>

#include "clients/cli/cli.h"
#include "clients/cli/format.h"
#include "clients/cli/log_source.h"
#include "clients/cli/store_location.h"
#include "projections/fold.h"
#include "projections/run_json.h"
#include "tools/replay.h"
#include "tools/run_diff.h"

namespace forkline::cli {
namespace {

namespace json = boost::json;

// Reads run histories from --data DIR, --pg-url URL or the daemon.
class HistoryReader {
 public:
  explicit HistoryReader(CliContext& ctx) : ctx_(ctx) {}

  // The run's whole history, or prints the error and sets *code.
  std::optional<EventList> Read(const std::string& run_id, int* code) {
    auto where = StoreFromArgs(ctx_.args);
    if (!where.ok()) {
      *code = ctx_.Fail(kExitUsage, where.status().message());
      return std::nullopt;
    }
    if (*where) {
      if (!store_) {
        auto opened = OpenLocationReadOnly(**where);
        if (!opened.ok()) {
          *code =
              ctx_.Fail(OpenFailureExitCode(**where, opened.status()), opened.status().message());
          return std::nullopt;
        }
        store_ = std::move(opened).value();
      }
      auto h = store_->ReadStream(run_id, 0, std::numeric_limits<std::size_t>::max());
      if (!h.ok()) {
        *code = ctx_.Fail(h.status(), false);
        return std::nullopt;
      }
      return std::move(h).value();
    }
    RemoteLog remote(ctx_.zmq);
    auto h = remote.History(run_id);
    if (!h.ok()) {
      *code = ctx_.Fail(h.status(), remote.transport_failed());
      return std::nullopt;
    }
    return std::move(h).value();
  }

 private:
  CliContext& ctx_;
  std::unique_ptr<EventStore> store_;
};

int Replay(CliContext& ctx) {
  const std::string run = ctx.args.positional.at(0);
  tools::ReplayPoint point;
  Result<std::optional<long long>> until = IntOption(ctx.args, "until");
  if (!until.ok()) return ctx.Fail(kExitUsage, until.status().message());
  if (*until) point.until_version = static_cast<std::uint64_t>(**until);
  point.until_time = ctx.args.Get("at");
  if (point.until_version && point.until_time)
    return ctx.Fail(kExitUsage, "give --until or --at, not both");
  if (point.until_time) {
    if (auto t = tools::NormalizeTime(*point.until_time); !t.ok())
      return ctx.Fail(kExitUsage, t.status().message());
  }
  int code = kExitOk;
  std::optional<EventList> history = HistoryReader(ctx).Read(run, &code);
  if (!history) return code;
  auto state = tools::ReplayRun(run, *history, point);
  if (!state.ok()) return ctx.Fail(state.status(), false);
  const json::object j = RunToJson(*state, RunDetail::kFull);
  if (ctx.json) {
    ctx.out << json::serialize(j) << "\n";
  } else {
    ctx.out << "as of version " << state->version << " (" << state->updated_at << ")\n"
            << RunDetails(j);
  }
  return kExitOk;
}

int Diff(CliContext& ctx) {
  const std::string a_id = ctx.args.positional.at(0);
  const std::string b_id = ctx.args.positional.at(1);
  HistoryReader reader(ctx);
  int code = kExitOk;
  std::optional<EventList> ha = reader.Read(a_id, &code);
  if (!ha) return code;
  std::optional<EventList> hb = reader.Read(b_id, &code);
  if (!hb) return code;
  auto a = Fold(*ha, Payloads::kKeep);
  if (!a.ok()) return ctx.Fail(a.status(), false);
  auto b = Fold(*hb, Payloads::kKeep);
  if (!b.ok()) return ctx.Fail(b.status(), false);
  const json::object diff = tools::DiffRuns({*ha, *a}, {*hb, *b});
  ctx.out << (ctx.json ? json::serialize(diff) + "\n" : tools::DiffText(diff));
  return kExitOk;
}

}  // namespace

void AddHistoryCommands(std::vector<Subcommand>& out) {
  std::vector<OptionSpec> replay_options = StoreOptions(
      "read this store folder (read-only; a live daemon's too) instead of asking the daemon");
  std::vector<OptionSpec> diff_options = replay_options;
  replay_options.insert(
      replay_options.begin(),
      {{"until", true, "VERSION", "stop after this version of the run's history"},
       {"at", true, "TIME", "stop after the last event at or before this RFC 3339 UTC time"}});
  out.push_back(
      {"replay", "RUN [--until VERSION | --at TIME] [--data DIR | --pg-url URL [--pg-schema NAME]]",
       "the run's projected state at a point of its history", replay_options, 1, 1, Replay});
  out.push_back({"diff", "RUN_A RUN_B [--data DIR | --pg-url URL [--pg-schema NAME]]",
                 "compare two runs: shared history, divergence, step outputs (unified diffs)",
                 diff_options, 2, 2, Diff});
}

}  // namespace forkline::cli
