// frontend_bench: a real forklined over its public interfaces (issue 4).
//   1. ZeroMQ round trips (DEALER, clients/lib CommandClient): run.get and a durable
//      run.next, from 1 client and from 32 concurrent clients;
//   2. SSE delivery latency with 1, 100, 1000 raw-socket subscribers on one run, and the
//      daemon's resident memory per subscriber.
// The step is the builtin novel_to_script on a two-line text: the nearest thing to an
// instant step the shipped daemon has (an `exec` step would measure fork+exec instead).
#include <barrier>
#include <boost/json.hpp>
#include <cstdio>
#include <thread>

#include "bench/bench_client.h"
#include "bench/bench_util.h"
#include "bench/daemon_process.h"
#include "bench/sse_subscribers.h"
#include "clients/lib/command_client.h"

#ifndef FORKLINED_PATH
#define FORKLINED_PATH "build/daemon/forklined"
#endif

namespace forkline::bench {
namespace {
namespace json = boost::json;
using client::CommandClient;
using client::CommandClientOptions;

constexpr const char* kUsage =
    "usage: frontend_bench [--forklined PATH] [--gets N] [--next-runs N] [--clients N]\n"
    "                      [--sse-events N] [--max-subscribers N]\n"
    "  --gets             run.get calls from the single client (default 2000)\n"
    "  --next-runs        5-step runs stepped by the single client (default 100)\n"
    "  --clients          concurrent clients (default 32); each does gets/10 and next-runs/10\n"
    "  --sse-events       events appended per subscriber count (default 30)\n"
    "  --max-subscribers  largest subscriber count of 1, 100, 1000 (default 1000)\n";

const json::object kTinyNovel{{"text", "CHAPTER I.\n\n\"Hello,\" said Alice. \"Is anyone there?\"\n"},
                              {"title", "Tiny"}};

struct Samples {
  std::vector<double> us;
  double seconds = 0;
  void Add(const Samples& o) { us.insert(us.end(), o.us.begin(), o.us.end()); }
};

CommandClientOptions Options(const std::string& endpoint) { return ClientOptions(endpoint); }

std::string CreateRun(CommandClient& c) {
  auto r = MustCall(c, "run.create", {{"kind", "novel_to_script"}, {"input", kTinyNovel}});
  return std::string(r.at("run").at("id").as_string());
}

// One client's share: `gets` run.get calls on one run, then `next_runs` runs stepped to
// the end by run.next. Both phases start together on every client (the barriers).
void ClientWork(const std::string& endpoint, int gets, int next_runs, std::barrier<>& sync,
                Samples& get_out, Samples& next_out) {
  CommandClient c(Options(endpoint));
  const std::string get_run = CreateRun(c);
  std::vector<std::string> runs;
  for (int i = 0; i < next_runs; ++i) runs.push_back(CreateRun(c));
  for (int i = 0; i < 20; ++i) MustCall(c, "run.get", {{"run_id", get_run}});  // warm up
  sync.arrive_and_wait();
  auto start = Clock::now();
  for (int i = 0; i < gets; ++i) {
    const auto t0 = Clock::now();
    MustCall(c, "run.get", {{"run_id", get_run}});
    get_out.us.push_back(Micros(t0, Clock::now()));
  }
  get_out.seconds = SecondsSince(start);
  sync.arrive_and_wait();
  start = Clock::now();
  for (const std::string& run : runs) {
    for (int step = 0; step < 5; ++step) {
      const auto t0 = Clock::now();
      MustCall(c, "run.next", {{"run_id", run}});
      next_out.us.push_back(Micros(t0, Clock::now()));
    }
  }
  next_out.seconds = SecondsSince(start);
}

void ZmqSection(const DaemonProcess& d, int gets, int next_runs, int clients) {
  Table t({"command", "clients", "calls", "p50 us", "p99 us", "calls/s", "goal"});
  for (int n : {1, clients}) {
    const int my_gets = n == 1 ? gets : std::max(1, gets / 10);
    const int my_runs = n == 1 ? next_runs : std::max(1, next_runs / 10);
    std::vector<Samples> get(n), next(n);
    std::barrier sync(n);
    std::vector<std::thread> threads;
    for (int i = 0; i < n; ++i) {
      threads.emplace_back([&, i] {
        try {
          ClientWork(d.zmq_endpoint(), my_gets, my_runs, sync, get[i], next[i]);
        } catch (const std::exception& e) {
          std::fprintf(stderr, "client %d: %s\n", i, e.what());
          std::exit(1);
        }
      });
    }
    for (auto& th : threads) th.join();
    auto row = [&](const char* name, std::vector<Samples>& per_client, const char* goal) {
      Samples all;
      double wall = 0;
      for (const Samples& s : per_client) {
        all.Add(s);
        wall = std::max(wall, s.seconds);
      }
      const auto calls = static_cast<double>(all.us.size());
      t.Row({name, std::to_string(n), Count(calls), Fixed(Percentile(all.us, 50), 0),
             Fixed(Percentile(all.us, 99), 0), Count(calls / wall), goal});
    };
    row("run.get", get, "");
    row("run.next (durable, builtin step)", next, n == 1 ? "p50 <= 1000 us" : "");
  }
  t.Print("ZeroMQ round trips to forklined (DEALER, loopback)");
}

struct SseRow {
  int subscribers = 0;
  std::vector<double> delivery_ms;
  std::vector<double> command_ms;
  long rss_before = 0, rss_after = 0;
  int closed = 0;
};

SseRow SseCase(const DaemonProcess& d, CommandClient& c, const std::string& run, int subscribers,
               int events) {
  SseRow row;
  row.subscribers = subscribers;
  auto state = MustCall(c, "run.get", {{"run_id", run}}).at("run").as_object();
  bool paused = state.at("status").as_string() == "paused";
  const std::uint64_t head = state.at("version").to_number<std::uint64_t>();
  row.rss_before = d.RssKib();
  SseSubscribers subs(d.http_port(), run, subscribers);
  if (!subs.WaitAll(head, std::chrono::seconds(60))) std::fprintf(stderr, "history not delivered\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  row.rss_after = d.RssKib();
  for (int i = 0; i < events; ++i) {
    const auto sent = Clock::now();
    auto reply = MustCall(c, paused ? "run.resume" : "run.pause", {{"run_id", run}});
    row.command_ms.push_back(Micros(sent, Clock::now()) / 1000);
    paused = !paused;
    const auto version = reply.at("run").at("version").to_number<std::uint64_t>();
    if (!subs.WaitAll(version, std::chrono::seconds(10))) {
      std::fprintf(stderr, "event %llu not delivered to all in 10 s\n",
                   static_cast<unsigned long long>(version));
    }
    for (const auto& at : subs.ReceivedAt(version)) row.delivery_ms.push_back(Micros(sent, at) / 1000);
  }
  row.closed = subs.closed();
  return row;
}

void SseSection(const DaemonProcess& d, int events, int max_subscribers) {
  CommandClient c(Options(d.zmq_endpoint()));
  const std::string run = CreateRun(c);
  Table t({"subscribers", "deliveries", "p50 ms", "p99 ms", "max ms", "command p50 ms",
           "RSS before KiB", "RSS after KiB", "KiB/subscriber", "cut off"});
  for (int n : {1, 100, 1000}) {
    if (n > max_subscribers) break;
    SseRow r = SseCase(d, c, run, n, events);
    const double per_sub = static_cast<double>(r.rss_after - r.rss_before) / n;
    std::vector<double> delivery = r.delivery_ms;
    t.Row({std::to_string(n), Count(static_cast<double>(delivery.size())), Fixed(Percentile(delivery, 50), 2),
           Fixed(Percentile(delivery, 99), 2), Fixed(delivery.empty() ? 0 : delivery.back(), 2),
           Fixed(Percentile(r.command_ms, 50), 2), Count(static_cast<double>(r.rss_before)),
           Count(static_cast<double>(r.rss_after)), Fixed(per_sub, 1), std::to_string(r.closed)});
    std::this_thread::sleep_for(std::chrono::milliseconds(500));  // let the daemon drop them
  }
  t.Print("SSE delivery on one run (GET /v1/runs/{id}/events; latency = subscriber read time - "
          "time the appending command was sent; goal with 1000: p99 <= 50 ms, <= 16 KiB each)");
}

int Main(int argc, char** argv) {
  Flags flags(argc, argv);
  const std::string binary = flags.String("forklined", FORKLINED_PATH);
  const int gets = static_cast<int>(flags.Int("gets", 2000));
  const int next_runs = static_cast<int>(flags.Int("next-runs", 100));
  const int clients = static_cast<int>(flags.Int("clients", 32));
  const int sse_events = static_cast<int>(flags.Int("sse-events", 30));
  const int max_subs = static_cast<int>(flags.Int("max-subscribers", 1000));
  if (!flags.Check(kUsage)) return 2;
  try {
    DaemonProcess daemon(binary);
    std::printf("frontend_bench: forklined pid %d, zmq %s, http port %d\n", daemon.pid(),
                daemon.zmq_endpoint().c_str(), daemon.http_port());
    ZmqSection(daemon, gets, next_runs, clients);
    SseSection(daemon, sse_events, max_subs);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "frontend_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace forkline::bench

int main(int argc, char** argv) { return forkline::bench::Main(argc, argv); }
