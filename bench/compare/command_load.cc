// command_load: the ZeroMQ side of `make bench-compare` (M1, M2, M8).
//
//   command_load forkline --endpoint E --clients N --seconds S
//       N DEALER clients, each on its own run, alternate run.pause / run.resume: every
//       call appends one durable event and is answered after the sync.
//   command_load echo-server --port P
//       a ROUTER that sends every request straight back (the transport's floor).
//   command_load echo --endpoint E --clients N --seconds S
//       N DEALER clients doing request → reply against the echo server.
//
// Prints one JSON line: {ops, seconds, per_s, p50_us, p99_us, max_us}.

#include <atomic>
#include <barrier>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>
#include <zmq.hpp>

#include <boost/json.hpp>

#include "bench/bench_client.h"
#include "bench/bench_util.h"
#include "clients/lib/command_client.h"

namespace forkline::bench {
namespace {

namespace json = boost::json;

constexpr const char* kUsage =
    "usage: command_load forkline|echo --endpoint E --clients N --seconds S\n"
    "       command_load echo-server --port P\n";

struct Latencies {
  std::vector<double> us;
};

// Runs `clients` threads; each calls `setup` once, then `op` until the deadline.
template <typename Setup, typename Op>
void Drive(int clients, double seconds, Setup setup, Op op) {
  std::vector<Latencies> per(static_cast<std::size_t>(clients));
  std::barrier start(clients + 1);
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < clients; ++i) {
    threads.emplace_back([&, i] {
      try {
        auto state = setup(i);
        start.arrive_and_wait();
        while (!stop.load(std::memory_order_relaxed)) {
          const auto t0 = Clock::now();
          op(state);
          per[static_cast<std::size_t>(i)].us.push_back(Micros(t0, Clock::now()));
        }
      } catch (const std::exception& e) {
        std::fprintf(stderr, "command_load: client %d: %s\n", i, e.what());
        std::exit(1);
      }
    });
  }
  start.arrive_and_wait();
  const auto t0 = Clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& t : threads) t.join();
  const double wall = SecondsSince(t0);
  std::vector<double> all;
  for (auto& p : per) all.insert(all.end(), p.us.begin(), p.us.end());
  const auto ops = static_cast<double>(all.size());
  std::printf("{\"ops\": %.0f, \"seconds\": %.3f, \"per_s\": %.1f, \"p50_us\": %.1f, "
              "\"p99_us\": %.1f, \"max_us\": %.1f}\n",
              ops, wall, ops / wall, Percentile(all, 50), Percentile(all, 99), Percentile(all, 100));
}

struct ForklineClient {
  std::unique_ptr<client::CommandClient> c;
  std::string run;
  bool paused = false;
};

void ForklineLoad(const std::string& endpoint, int clients, double seconds) {
  Drive(
      clients, seconds,
      [&](int) {
        client::CommandClientOptions o;
        o.endpoint = endpoint;
        ForklineClient fc{std::make_unique<client::CommandClient>(o), {}, false};
        auto r = MustCall(*fc.c, "run.create",
                          {{"kind", "novel_to_script"}, {"input", {{"text", "Alice."}}}});
        fc.run = std::string(r.at("run").at("id").as_string());
        return fc;
      },
      [](ForklineClient& fc) {
        MustCall(*fc.c, fc.paused ? "run.resume" : "run.pause", {{"run_id", fc.run}});
        fc.paused = !fc.paused;
      });
}

void EchoServer(int port) {
  zmq::context_t ctx(1);
  zmq::socket_t s(ctx, zmq::socket_type::router);
  s.bind("tcp://127.0.0.1:" + std::to_string(port));
  std::printf("echo-server listening on %d\n", port);
  std::fflush(stdout);
  while (true) {
    std::vector<zmq::message_t> frames;
    zmq::message_t m;
    do {
      if (!s.recv(m)) continue;
      frames.push_back(std::move(m));
    } while (s.get(zmq::sockopt::rcvmore));
    for (std::size_t i = 0; i < frames.size(); ++i) {
      s.send(frames[i], i + 1 < frames.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
    }
  }
}

void EchoLoad(const std::string& endpoint, int clients, double seconds) {
  static zmq::context_t ctx(1);
  // A request the size of a small command.
  const std::string request(200, 'x');
  Drive(
      clients, seconds,
      [&](int) {
        auto s = std::make_unique<zmq::socket_t>(ctx, zmq::socket_type::dealer);
        s->connect(endpoint);
        return s;
      },
      [&](std::unique_ptr<zmq::socket_t>& s) {
        s->send(zmq::buffer(request), zmq::send_flags::none);
        zmq::message_t reply;
        if (!s->recv(reply)) throw std::runtime_error("echo: no reply");
      });
}

int Main(int argc, char** argv) {
  if (argc < 2) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  const std::string mode = argv[1];
  Flags flags(argc - 1, argv + 1);
  const std::string endpoint = flags.String("endpoint", "tcp://127.0.0.1:7710");
  const int clients = static_cast<int>(flags.Int("clients", 1));
  const double seconds = static_cast<double>(flags.Int("seconds", 5));
  const int port = static_cast<int>(flags.Int("port", 0));
  if (!flags.Check(kUsage)) return 2;
  if (mode == "forkline") ForklineLoad(endpoint, clients, seconds);
  else if (mode == "echo") EchoLoad(endpoint, clients, seconds);
  else if (mode == "echo-server") EchoServer(port);
  else {
    std::fputs(kUsage, stderr);
    return 2;
  }
  return 0;
}

}  // namespace
}  // namespace forkline::bench

int main(int argc, char** argv) { return forkline::bench::Main(argc, argv); }
