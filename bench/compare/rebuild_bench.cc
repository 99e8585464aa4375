// rebuild_bench: the store side of `make bench-compare` (M3, M4).
//
//   rebuild_bench --dir D --events N
//     M3: bulk-loads one run of N workflow events (~200-byte payloads: a step retried
//     again and again — started, failed), closes the store, reopens it and rebuilds the
//     run's compact projection from the log (VisitStream + Apply, event by event),
//     best of 3; the same for a 100,000-event run (wall and this thread's CPU time, and
//     the read alone without Apply); and the N-event run once more through
//     ReadStream + Fold (rebuild_list_per_s: the whole history held in memory first).
//     M4: 200 durable forks of the N-event run and 200 of a 10-event run, interleaved;
//     time to acknowledgement and the bytes each fork adds to the store's folder.
//
// Prints one JSON line with every figure.

#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <string>
#include <vector>

#include "bench/bench_util.h"
#include "bench/store_workload.h"
#include "eventstore/rocksdb_event_store.h"
#include "projections/fold.h"

namespace forkline::bench {
namespace {

constexpr const char* kUsage = "usage: rebuild_bench --dir D [--events N]\n";
constexpr const char* kAt = "2024-01-01T00:00:00.000Z";

NewEvent Workflow(std::string type, std::string data) {
  return NewEvent{std::move(type), kAt, "", "", std::move(data)};
}

// run.created with a one-step definition, then started/failed pairs of that step.
Status LoadWorkflowRun(EventStore& store, const std::string& run, std::uint64_t events) {
  AppendRequest req;
  req.run_id = run;
  req.events.push_back(Workflow(
      "run.created",
      R"({"kind":"bench","title":"rebuild","input":{},"definition":[{"name":"s","executor":"exec","max_attempts":1000000000,"timeout_s":0,"params":{}}]})"));
  std::uint64_t version = 0;
  std::uint64_t attempt = 0;
  const std::string message(120, 'm');
  for (std::uint64_t n = 1; n < events; ++n) {
    if (n % 2 == 1) {
      ++attempt;
      req.events.push_back(Workflow(
          "step.started", R"({"index":0,"name":"s","attempt":)" + std::to_string(attempt) +
                              R"(,"executor":"exec"})"));
    } else {
      req.events.push_back(Workflow(
          "step.failed", R"({"index":0,"name":"s","attempt":)" + std::to_string(attempt) +
                             R"(,"error":{"code":"exit","message":")" + message +
                             R"("},"retryable":true})"));
    }
    if (req.events.size() == 1000 || n + 1 == events) {
      const std::size_t count = req.events.size();
      req.expected_version = version;
      auto r = store.Append(req);
      if (!r.ok()) return r.status();
      version += count;
      req.events.clear();
    }
  }
  return Status::Ok();
}

double ThreadCpuSeconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

struct Timing {
  double wall = 1e9;  // seconds
  double cpu = 1e9;   // this thread's CPU seconds: what a loaded machine moves less
  void Best(const Timing& t) {
    wall = std::min(wall, t.wall);
    cpu = std::min(cpu, t.cpu);
  }
};

// Rebuilds the run's compact projection from the log, event by event: every event of
// the history (VisitStream) applied in order. With `apply` false, only read and decoded
// (the read's share of the time).
Result<Timing> Rebuild(EventStore& store, const std::string& run, std::uint64_t expect,
                       bool apply = true) {
  const auto t0 = Clock::now();
  const double c0 = ThreadCpuSeconds();
  RunState state;
  std::uint64_t seen = 0;
  FL_RETURN_IF_ERROR(store.VisitStream(run, 0, SIZE_MAX, [&](const Event& e) {
    ++seen;
    return apply ? Apply(state, e, Payloads::kDrop) : Status::Ok();
  }));
  const Timing t{SecondsSince(t0), ThreadCpuSeconds() - c0};
  if (seen != expect || (apply && state.version != expect)) {
    return Status::Internal("folded " + std::to_string(state.version) + " events");
  }
  return t;
}

// The same through ReadStream + Fold: the whole history held in memory first; seconds.
Result<double> RebuildFromList(EventStore& store, const std::string& run, std::uint64_t expect) {
  const auto t0 = Clock::now();
  auto all = store.ReadStream(run, 0, SIZE_MAX);
  if (!all.ok()) return all.status();
  auto state = Fold(*all, Payloads::kDrop);
  if (!state.ok()) return state.status();
  const double s = SecondsSince(t0);
  if (all->size() != expect) return Status::Internal("read " + std::to_string(all->size()) + " events");
  return s;
}

std::uintmax_t FolderBytes(const std::string& dir) {
  std::uintmax_t total = 0;
  for (const auto& f : std::filesystem::recursive_directory_iterator(dir)) {
    if (f.is_regular_file()) total += f.file_size();
  }
  return total;
}

int Main(int argc, char** argv) {
  Flags flags(argc, argv);
  const std::string dir = flags.String("dir", "");
  const auto events = static_cast<std::uint64_t>(flags.Int("events", 1000000));
  if (!flags.Check(kUsage) || dir.empty()) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  const std::string path = dir + "/store";
  auto fail = [](const Status& s) {
    std::fprintf(stderr, "rebuild_bench: %s\n", s.ToString().c_str());
    return 1;
  };
  {
    RocksDbStoreOptions load;
    load.path = path;
    load.sync = false;  // setup only
    auto store = OpenRocksDbEventStore(load);
    if (!store.ok()) return fail(store.status());
    if (Status s = LoadWorkflowRun(**store, "big", events); !s.ok()) return fail(s);
    if (Status s = LoadWorkflowRun(**store, "mid", 100000); !s.ok()) return fail(s);
    if (Status s = LoadWorkflowRun(**store, "small", 10); !s.ok()) return fail(s);
  }
  RocksDbStoreOptions opts;
  opts.path = path;
  auto store = OpenRocksDbEventStore(opts);
  if (!store.ok()) return fail(store.status());
  Timing best_big, best_mid, best_mid_read;
  double best_list = 1e9;
  for (int round = 0; round < 3; ++round) {
    auto big = Rebuild(**store, "big", events);
    if (!big.ok()) return fail(big.status());
    auto mid = Rebuild(**store, "mid", 100000);
    if (!mid.ok()) return fail(mid.status());
    auto mid_read = Rebuild(**store, "mid", 100000, false);
    if (!mid_read.ok()) return fail(mid_read.status());
    auto list = RebuildFromList(**store, "big", events);
    if (!list.ok()) return fail(list.status());
    best_big.Best(*big);
    best_mid.Best(*mid);
    best_mid_read.Best(*mid_read);
    best_list = std::min(best_list, *list);
  }
  // M4: interleaved durable forks; the folder's growth per fork.
  std::vector<double> big_us, small_us;
  const std::uintmax_t before = FolderBytes(path);
  for (int i = 0; i < 200; ++i) {
    auto a = ForkOnce(**store, "big", events, "fb" + std::to_string(i));
    if (!a.ok()) return fail(a.status());
    auto b = ForkOnce(**store, "small", 10, "fs" + std::to_string(i));
    if (!b.ok()) return fail(b.status());
    big_us.push_back(*a);
    small_us.push_back(*b);
  }
  const double bytes_per_fork =
      static_cast<double>(FolderBytes(path) - before) / static_cast<double>(big_us.size() + small_us.size());
  std::printf("{\"events\": %llu, \"rebuild_s\": %.4f, \"rebuild_per_s\": %.0f, "
              "\"rebuild_100k_ms\": %.2f, \"rebuild_100k_cpu_ms\": %.2f, "
              "\"read_100k_ms\": %.2f, \"read_100k_cpu_ms\": %.2f, "
              "\"rebuild_list_per_s\": %.0f, \"fork_big_p50_us\": %.1f, \"fork_small_p50_us\": %.1f, "
              "\"fork_bytes\": %.0f}\n",
              static_cast<unsigned long long>(events), best_big.wall,
              static_cast<double>(events) / best_big.wall, best_mid.wall * 1000,
              best_mid.cpu * 1000, best_mid_read.wall * 1000, best_mid_read.cpu * 1000,
              static_cast<double>(events) / best_list, Percentile(big_us, 50),
              Percentile(small_us, 50), bytes_per_fork);
  return 0;
}

}  // namespace
}  // namespace forkline::bench

int main(int argc, char** argv) { return forkline::bench::Main(argc, argv); }
