// engine_bench: the workflow engine's own cost per step (issue 3). Steps are instant (an
// executor that returns {} at once) and every event is durable (RocksDB, sync on), so
// what is measured is deciding, appending, folding and scheduling.
//   1. one run stepped by run.next, one call at a time: steps/s and p50/p99 of run.next;
//   2. many runs created at once with autorun on: steps/s until every run completed.
#include <boost/asio/thread_pool.hpp>
#include <atomic>
#include <boost/json.hpp>
#include <condition_variable>
#include <cstdio>
#include <future>
#include <mutex>

#include "bench/bench_util.h"
#include "daemon/engine/engine.h"
#include "eventstore/rocksdb_event_store.h"

namespace forkline::bench {
namespace {
namespace json = boost::json;

constexpr const char* kUsage =
    "usage: engine_bench [--steps N] [--runs N] [--run-steps N] [--concurrent-steps N]\n"
    "  --steps             steps of the one run stepped by run.next (default 200)\n"
    "  --runs              runs started at once under autorun (default 1000)\n"
    "  --run-steps         steps of each autorun run (default 5, as novel_to_script)\n"
    "  --concurrent-steps  engine.max_concurrent_steps (default 4, the daemon's default)\n";

class InstantExecutor final : public Executor {
 public:
  StepResult Run(const StepTask&) override { return StepResult::Success({}); }
};

WorkflowDefinition InstantKind(const std::string& kind, int steps) {
  WorkflowDefinition def;
  def.kind = kind;
  def.description = "instant steps";
  def.source = "bench";
  for (int i = 0; i < steps; ++i) {
    StepDefinition s;
    s.name = "s" + std::to_string(i);
    s.executor = "instant";
    def.steps.push_back(s);
  }
  return def;
}

// An engine on a durable RocksDB store in a temporary folder, with a 2-thread io pool
// (what forklined uses on a 2-core machine), counting terminal events on its feed.
class Harness {
 public:
  Harness(std::vector<WorkflowDefinition> kinds, unsigned concurrent_steps, bool sync)
      : dir_("forkline-engine-bench"), io_(2) {
    RocksDbStoreOptions o;
    o.path = dir_.Sub("db");
    o.sync = sync;
    o.on_commit = [this](double) { ++commits_; };
    auto store = OpenRocksDbEventStore(o);
    if (!store.ok()) throw std::runtime_error(store.status().ToString());
    store_ = std::move(store).value();
    EngineOptions options;
    options.max_concurrent_steps = concurrent_steps;
    engine_ = std::make_unique<Engine>(*store_, std::move(kinds),
                                       std::map<std::string, Executor*>{{"instant", &instant_}},
                                       options, io_.get_executor());
    engine_->Subscribe([this](const FeedItemPtr& item) {
      if (!item->transient) ++events_;
      if (item->type != "run.completed") return;
      std::lock_guard lock(mu_);
      ++completed_;
      cv_.notify_all();
    });
    if (Status s = engine_->Start(); !s.ok()) throw std::runtime_error(s.ToString());
  }
  ~Harness() {
    engine_->Shutdown(std::chrono::milliseconds(0));
    io_.join();
    engine_.reset();
  }

  Result<json::object> Call(const std::string& cmd, json::object args) {
    std::promise<CommandReply> promise;
    auto future = promise.get_future();
    engine_->Handle(CommandRequest{"b", cmd, std::move(args), "", "bench"},
                    [&promise](CommandReply r) { promise.set_value(std::move(r)); });
    return ReplyObject(future.get());
  }
  void Send(const std::string& cmd, json::object args) {
    engine_->Handle(CommandRequest{"b", cmd, std::move(args), "", "bench"}, [](CommandReply r) {
      if (!r.ok()) std::fprintf(stderr, "command failed: %s\n", r.status().ToString().c_str());
    });
  }
  std::uint64_t commits() const { return commits_.load(); }
  std::uint64_t events() const { return events_.load(); }
  void WaitCompleted(std::uint64_t runs) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return completed_ >= runs; });
  }

 private:
  TempDir dir_;
  std::unique_ptr<EventStore> store_;
  InstantExecutor instant_;
  boost::asio::thread_pool io_;
  std::unique_ptr<Engine> engine_;
  std::atomic<std::uint64_t> commits_{0};  // synced RocksDB writes (group commits)
  std::atomic<std::uint64_t> events_{0};   // durable events seen on the feed
  std::mutex mu_;  // guards completed_
  std::condition_variable cv_;
  std::uint64_t completed_ = 0;
};

struct SequentialResult {
  int steps = 0;
  double seconds = 0;
  std::vector<double> latency_us;
  double first_p50 = 0, last_p50 = 0;  // of the first and last tenth of the steps
};

SequentialResult Sequential(int steps, unsigned concurrent) {
  Harness h({InstantKind("seq", steps)}, concurrent, true);
  auto created = h.Call("run.create", {{"kind", "seq"}, {"input", json::object{}}});
  if (!created.ok()) throw std::runtime_error(created.status().ToString());
  const json::string id = created->at("run").at("id").as_string();
  SequentialResult r;
  const auto start = Clock::now();
  for (int i = 0; i < steps; ++i) {
    const auto t0 = Clock::now();
    auto reply = h.Call("run.next", {{"run_id", id}});
    if (!reply.ok()) throw std::runtime_error(reply.status().ToString());
    r.latency_us.push_back(Micros(t0, Clock::now()));
  }
  r.seconds = SecondsSince(start);
  r.steps = steps;
  const auto tenth = static_cast<std::ptrdiff_t>(std::max(1, steps / 10));
  std::vector<double> first(r.latency_us.begin(), r.latency_us.begin() + tenth);
  std::vector<double> last(r.latency_us.end() - tenth, r.latency_us.end());
  r.first_p50 = Percentile(first, 50);
  r.last_p50 = Percentile(last, 50);
  return r;
}

struct AutorunResult {
  double seconds = 0;
  double events_per_commit = 0;
};

AutorunResult Autorun(int runs, int run_steps, unsigned concurrent, bool sync) {
  Harness h({InstantKind("auto", run_steps)}, concurrent, sync);
  const std::uint64_t commits0 = h.commits(), events0 = h.events();
  const auto start = Clock::now();
  for (int i = 0; i < runs; ++i) {
    h.Send("run.create", {{"kind", "auto"}, {"input", json::object{}}, {"autorun", true}});
  }
  h.WaitCompleted(static_cast<std::uint64_t>(runs));
  AutorunResult r;
  r.seconds = SecondsSince(start);
  const std::uint64_t commits = h.commits() - commits0;
  r.events_per_commit = commits ? static_cast<double>(h.events() - events0) / static_cast<double>(commits) : 0;
  return r;
}

int Main(int argc, char** argv) {
  Flags flags(argc, argv);
  const int steps = static_cast<int>(flags.Int("steps", 200));
  const int runs = static_cast<int>(flags.Int("runs", 1000));
  const int run_steps = static_cast<int>(flags.Int("run-steps", 5));
  const auto concurrent = static_cast<unsigned>(flags.Int("concurrent-steps", 4));
  if (!flags.Check(kUsage)) return 2;

  SequentialResult seq = Sequential(steps, concurrent);
  const double short_seq = [&] {
    SequentialResult s = Sequential(run_steps, concurrent);
    return static_cast<double>(s.steps) / s.seconds;
  }();
  const AutorunResult durable = Autorun(runs, run_steps, concurrent, true);
  const AutorunResult unsynced = Autorun(runs, run_steps, concurrent, false);
  const double autorun_s = durable.seconds;
  const double autorun_steps = static_cast<double>(runs) * run_steps;
  const double seq_rate = static_cast<double>(seq.steps) / seq.seconds;

  Table t({"case", "steps", "seconds", "steps/s", "goal", "vs goal"});
  t.Row({"1 run, run.next one at a time (" + std::to_string(steps) + "-step run)",
         Count(seq.steps), Fixed(seq.seconds, 3), Count(seq_rate), "2,000", Ratio(seq_rate, 2000)});
  t.Row({"1 run, run.next one at a time (" + std::to_string(run_steps) + "-step run)",
         Count(run_steps), "", Count(short_seq), "2,000", Ratio(short_seq, 2000)});
  t.Row({std::to_string(runs) + " runs x " + std::to_string(run_steps) + " steps, autorun, created at once",
         Count(autorun_steps), Fixed(autorun_s, 3), Count(autorun_steps / autorun_s), "20,000",
         Ratio(autorun_steps / autorun_s, 20000)});
  t.Row({"  same, store sync OFF (not durable; shows the CPU ceiling)", Count(autorun_steps),
         Fixed(unsynced.seconds, 3), Count(autorun_steps / unsynced.seconds), "", ""});
  t.Print("Engine, instant steps, durable (RocksDB sync on), max_concurrent_steps=" +
          std::to_string(concurrent) + ", 2 io threads");
  std::printf("autorun: %.1f events per group commit (durable), %.1f (sync off)\n",
              durable.events_per_commit, unsynced.events_per_commit);

  std::vector<double> lat = seq.latency_us;
  Table l({"run.next latency (in-process)", "p50 us", "p99 us", "max us"});
  const double p50 = Percentile(lat, 50), p99 = Percentile(lat, 99);
  l.Row({"all " + std::to_string(steps) + " steps", Fixed(p50, 0), Fixed(p99, 0), Fixed(lat.back(), 0)});
  l.Row({"first tenth of the run (p50)", Fixed(seq.first_p50, 0), "", ""});
  l.Row({"last tenth of the run (p50)", Fixed(seq.last_p50, 0), "", ""});
  l.Print("run.next round trip through Engine::Handle (2 durable appends per step)");
  return 0;
}

}  // namespace
}  // namespace forkline::bench

int main(int argc, char** argv) { return forkline::bench::Main(argc, argv); }
