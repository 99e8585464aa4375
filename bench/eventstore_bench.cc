// eventstore_bench: the RocksDB event store against the disk and RocksDB itself (issue 2).
//   1. durable appends/s with 1, 8, 64 concurrent appenders vs the disk's raw fdatasync rate;
//   2. history read of a long run vs the raw RocksDB iterator over the same keys;
//   3. fork cost of a long run vs a 10-event run, and reading the fork's history.
// Everything lives in a temporary folder that is removed at the end.
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <map>
#include <memory>

#include "bench/bench_util.h"
#include "bench/store_workload.h"
#include "eventstore/rocksdb_event_store.h"

namespace forkline::bench {
namespace {

constexpr const char* kUsage =
    "usage: eventstore_bench [--events N] [--fork-source-events N] [--seconds S] [--rounds N]\n"
    "                        [--forks N]\n"
    "  --events              length of the run whose history is read (default 1000000)\n"
    "  --fork-source-events  length of the long run that is forked (default 100000)\n"
    "  --seconds             duration of each append / fsync measurement (default 2)\n"
    "  --rounds              interleaved rounds of the append measurements (default 3)\n"
    "  --forks               forks created per case (default 200)\n";

// Group commits (synced RocksDB writes) made by stores opened with OpenStore.
std::atomic<std::uint64_t> g_commits{0};

std::unique_ptr<EventStore> OpenStore(const std::string& path, bool sync) {
  RocksDbStoreOptions o;
  o.path = path;
  o.sync = sync;
  o.on_commit = [](double) { ++g_commits; };
  auto store = OpenRocksDbEventStore(o);
  if (!store.ok()) {
    std::fprintf(stderr, "cannot open the store: %s\n", store.status().ToString().c_str());
    std::exit(1);
  }
  return std::move(store).value();
}

// The fastest of `n` runs of `measure` (reads are warm after the first).
template <typename F>
RateResult BestOf(int n, F measure) {
  RateResult best;
  for (int i = 0; i < n; ++i) {
    RateResult r = measure();
    if (r.PerSecond() > best.PerSecond()) best = r;
  }
  return best;
}

// One row of the append table: every round's result, and commits made.
struct Rounds {
  std::vector<RateResult> runs;
  std::uint64_t commits = 0;
  // The round with the median rate.
  RateResult Median() const {
    std::vector<RateResult> sorted = runs;
    std::sort(sorted.begin(), sorted.end(),
              [](const RateResult& a, const RateResult& b) { return a.PerSecond() < b.PerSecond(); });
    return sorted.empty() ? RateResult{} : sorted[sorted.size() / 2];
  }
  std::string Spread() const {
    double lo = 1e18, hi = 0;
    for (const RateResult& r : runs) {
      lo = std::min(lo, r.PerSecond());
      hi = std::max(hi, r.PerSecond());
    }
    return runs.empty() ? "" : Count(lo) + ".." + Count(hi);
  }
  std::string PerCommit() const {
    std::uint64_t ops = 0;
    for (const RateResult& r : runs) ops += r.operations;
    return commits ? Fixed(static_cast<double>(ops) / static_cast<double>(commits), 1) : "";
  }
};

// Rounds of (raw fsync x2, store with 1, 8, 64 appenders, unsynced store), interleaved
// so that the load of a shared machine hits every row alike; the median round counts.
void AppendSection(const TempDir& dir, double seconds, int rounds) {
  Rounds fsync_append, fsync_inplace, unsynced;
  std::map<int, Rounds> durable;
  auto store = OpenStore(dir.Sub("append"), true);
  auto nosync = OpenStore(dir.Sub("append-nosync"), false);
  for (int round = 0; round < rounds; ++round) {
    fsync_append.runs.push_back(RawFsyncRate(dir.path(), seconds, true));
    fsync_inplace.runs.push_back(RawFsyncRate(dir.path(), seconds, false));
    for (int n : {1, 8, 64}) {
      const std::uint64_t before = g_commits.load();
      durable[n].runs.push_back(ConcurrentAppends(
          *store, n, seconds, "a" + std::to_string(round) + "-" + std::to_string(n) + "-"));
      durable[n].commits += g_commits.load() - before;
    }
    const std::uint64_t before = g_commits.load();
    unsynced.runs.push_back(ConcurrentAppends(*nosync, 1, seconds, "u" + std::to_string(round) + "-"));
    unsynced.commits += g_commits.load() - before;
  }
  const double raw = std::max(fsync_append.Median().PerSecond(), fsync_inplace.Median().PerSecond());
  const double one = durable[1].Median().PerSecond();
  Table t({"writer", "ops/s", "rounds min..max", "p50 us", "p99 us", "appends/commit",
           "vs 1 appender", "vs raw fsync"});
  auto row = [&](const std::string& name, const Rounds& rs) {
    const RateResult r = rs.Median();
    t.Row({name, Count(r.PerSecond()), rs.Spread(), Fixed(r.p50_us, 0), Fixed(r.p99_us, 0),
           rs.PerCommit(), Ratio(r.PerSecond(), one), Ratio(r.PerSecond(), raw)});
  };
  row("raw write+fdatasync, appending file", fsync_append);
  row("raw pwrite+fdatasync, in place", fsync_inplace);
  for (int n : {1, 8, 64}) {
    row("store, " + std::to_string(n) + " appender" + (n > 1 ? "s" : "") + ", sync on", durable[n]);
  }
  row("store, 1 appender, sync OFF (CPU ceiling)", unsynced);
  t.Print("Durable appends (1 event of ~200 B per append, each appender its own run; median of " +
          std::to_string(rounds) + " interleaved rounds of " + Fixed(seconds, 1) +
          " s; 'vs raw fsync' is against the faster raw row)");
  std::printf("goal: 64 appenders >= 10x one appender -> %s; one appender >= 0.80 of raw fsync -> %s\n",
              Ratio(durable[64].Median().PerSecond(), one).c_str(), Ratio(one, raw).c_str());
}

void ReadSection(const TempDir& dir, std::uint64_t events) {
  const std::string path = dir.Sub("history");
  RateResult by_store_big, by_store_small;
  {
    auto store = OpenStore(path, true);
    by_store_big = BestOf(3, [&] { return ReadHistory(*store, "long", 10000); });
    by_store_small = BestOf(3, [&] { return ReadHistory(*store, "long", 1000); });
  }
  const RateResult raw = BestOf(3, [&] { return RawIterate(path, "long", false); });
  const RateResult decoded = BestOf(3, [&] { return RawIterate(path, "long", true); });
  Table t({"reader", "events", "seconds", "events/s", "vs raw iterator"});
  auto row = [&](const std::string& name, const RateResult& r) {
    t.Row({name, Count(static_cast<double>(r.operations)), Fixed(r.seconds, 3),
           Count(r.PerSecond()), Ratio(r.PerSecond(), raw.PerSecond())});
  };
  row("raw RocksDB iterator (key+value touched)", raw);
  row("raw iterator + cereal DecodeEvent", decoded);
  row("EventStore::ReadStream, pages of 10000", by_store_big);
  row("EventStore::ReadStream, pages of 1000", by_store_small);
  t.Print("History read of one " + Count(static_cast<double>(events)) +
          "-event run (warm; best of 3)");
  std::printf("goal: >= 1,500,000 events/s and >= 0.5x raw -> %s events/s, %s\n",
              Count(by_store_big.PerSecond()).c_str(),
              Ratio(by_store_big.PerSecond(), raw.PerSecond()).c_str());
}

struct ForkSamples {
  std::vector<double> us;
  double Mean() const {
    double sum = 0;
    for (double v : us) sum += v;
    return us.empty() ? 0 : sum / static_cast<double>(us.size());
  }
};

void ForkCase(const std::string& path, bool sync, int forks, std::uint64_t long_events) {
  auto store = OpenStore(path, sync);
  const std::string tag = sync ? "s" : "n";
  struct Case {
    std::string name, source;
    std::uint64_t at;
  };
  const std::vector<Case> cases{
      {"long run, at head", "fork-source", long_events},
      {"10-event run, at head", "tiny", 10},
      {"long run, at middle", "fork-source", long_events / 2},
      {"10-event run, at middle", "tiny", 5},
  };
  std::vector<ForkSamples> samples(cases.size());
  for (int i = 0; i < forks; ++i) {  // interleaved, so drift hits every case alike
    for (std::size_t c = 0; c < cases.size(); ++c) {
      const std::string id = "fork-" + tag + std::to_string(c) + "-" + std::to_string(i);
      auto us = ForkOnce(*store, cases[c].source, cases[c].at, id);
      if (!us.ok()) {
        std::fprintf(stderr, "fork failed: %s\n", us.status().ToString().c_str());
        return;
      }
      samples[c].us.push_back(*us);
    }
  }
  Table t({"fork of", "mean us", "p50 us", "p99 us", "vs 10-event run"});
  for (std::size_t c = 0; c < cases.size(); ++c) {
    const ForkSamples& peer = samples[c % 2 == 0 ? c + 1 : c];
    std::vector<double> copy = samples[c].us;
    std::vector<double> peer_copy = peer.us;
    t.Row({cases[c].name + " (v" + std::to_string(cases[c].at) + ")", Fixed(samples[c].Mean(), 1),
           Fixed(Percentile(copy, 50), 1), Fixed(Percentile(copy, 99), 1),
           Ratio(Percentile(copy, 50), Percentile(peer_copy, 50))});
  }
  t.Print(std::string("Fork creation, ") + (sync ? "durable (sync on)" : "sync OFF (CPU cost only)") +
          ", " + std::to_string(forks) + " forks per case; ratio of p50s");
  if (!sync) return;
  const RateResult source_read = BestOf(3, [&] { return ReadHistory(*store, "fork-source", 10000); });
  const RateResult fork_read = BestOf(3, [&] { return ReadHistory(*store, "fork-s0-0", 10000); });
  Table r({"history", "events", "events/s", "vs source"});
  r.Row({"source run (own events)", Count(static_cast<double>(source_read.operations)),
         Count(source_read.PerSecond()), "1.00x"});
  r.Row({"its fork at head (prefix + run.forked)", Count(static_cast<double>(fork_read.operations)),
         Count(fork_read.PerSecond()), Ratio(fork_read.PerSecond(), source_read.PerSecond())});
  r.Print("Reading a fork's history (pages of 10000, best of 3)");
}

int Main(int argc, char** argv) {
  Flags flags(argc, argv);
  const auto events = static_cast<std::uint64_t>(flags.Int("events", 1000000));
  const auto fork_events = static_cast<std::uint64_t>(flags.Int("fork-source-events", 100000));
  const double seconds = static_cast<double>(flags.Int("seconds", 2));
  const int rounds = static_cast<int>(flags.Int("rounds", 3));
  const int forks = static_cast<int>(flags.Int("forks", 200));
  if (!flags.Check(kUsage)) return 2;

  TempDir dir("forkline-eventstore-bench");
  std::printf("eventstore_bench: data in %s\n", dir.path().c_str());
  AppendSection(dir, seconds, rounds);

  const auto load_start = Clock::now();
  {
    auto store = OpenStore(dir.Sub("history"), false);  // setup only: bulk load unsynced
    for (const auto& [id, n] : std::vector<std::pair<std::string, std::uint64_t>>{
             {"long", events}, {"fork-source", fork_events}, {"tiny", 10}}) {
      if (Status s = LoadRun(*store, id, n); !s.ok()) {
        std::fprintf(stderr, "loading %s failed: %s\n", id.c_str(), s.ToString().c_str());
        return 1;
      }
    }
  }
  std::printf("\nloaded %s + %s + 10 events in %.1f s (batches of 1000, sync off; setup only)\n",
              Count(static_cast<double>(events)).c_str(),
              Count(static_cast<double>(fork_events)).c_str(), SecondsSince(load_start));
  ReadSection(dir, events);
  ForkCase(dir.Sub("history"), true, forks, fork_events);
  ForkCase(dir.Sub("history"), false, forks, fork_events);
  return 0;
}

}  // namespace
}  // namespace forkline::bench

int main(int argc, char** argv) { return forkline::bench::Main(argc, argv); }
