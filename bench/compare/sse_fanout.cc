// sse_fanout: the SSE side of `make bench-compare` (M5, M6).
//
//   sse_fanout forkline --port HTTP --endpoint ZMQ --pid PID [--subscribers N --rate R --seconds S]
//       N subscribers on one run's GET /v1/runs/{id}/events; R events/s appended to that run
//       (run.pause / run.resume pipelined on one DEALER socket, paced by the clock).
//   sse_fanout nchan --port P --pid WORKER_PID [...]
//       N EventSource subscribers of nginx + nchan (GET /sub?id=C), R messages/s POSTed to
//       /pub?id=C, on a channel C of its own.
//   sse_fanout raw [...]
//       the floor: a RawHub (raw_hub.h) in this process, one send() per subscriber per pass.
//   sse_fanout forkline-runs --endpoint ZMQ --pid PID [--runs N]
//       the daemon's RSS growth per idle run (N run.create from 16 clients).
//
// Prints one JSON line. The window starts when every subscriber is connected and has
// caught up (forkline: the run's history; peers: a warm-up message), and ends when the
// last frame of the window's events was read. Latency = time a subscriber read the
// event - time its publish was sent. deliveries/s = frames read in the window / window;
// `lost` = frames of accepted publishes that never arrived (within 30 s).

#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>
#include <zmq.hpp>

#include <boost/json.hpp>

#include "bench/bench_client.h"
#include "bench/bench_util.h"
#include "bench/compare/raw_hub.h"
#include "bench/daemon_process.h"
#include "bench/sse_subscribers.h"
#include "clients/lib/command_client.h"

namespace forkline::bench {
namespace {

namespace json = boost::json;

constexpr const char* kUsage =
    "usage: sse_fanout forkline|nchan|raw|forkline-runs [--port P] [--endpoint E] [--pid PID]\n"
    "                  [--subscribers N] [--rate R] [--seconds S] [--runs N]\n";

long RssKib(int pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return 0;
}

// Calls `publish(seq)` for seq = 1..count, `rate` a second, on the clock (no drift);
// publish returns when it sent. Returns those times.
template <typename Publish>
std::vector<Clock::time_point> Paced(int count, int rate, Publish publish) {
  std::vector<Clock::time_point> sent;
  const auto start = Clock::now();
  for (int i = 1; i <= count; ++i) {
    std::this_thread::sleep_until(start + std::chrono::microseconds(1000000LL * (i - 1) / rate));
    sent.push_back(publish(static_cast<std::uint64_t>(i)));
  }
  return sent;
}

struct Result {
  int subscribers = 0;
  int events = 0;       // publishes sent
  int refused = 0;      // publishes refused or unanswered (no event: nothing to deliver)
  int unanswered = 0;   // of those, publishes with no reply within 30 s (forkline)
  double seconds = 0;   // the delivery window: first publish sent -> last frame received
  std::vector<double> ms;  // append -> receive, one per delivered frame
  std::uint64_t expected = 0;  // accepted publishes x subscribers
  long rss_per_sub_bytes = 0;
  int closed = 0;          // subscribers the server closed
  long duplicates = 0;     // frames a subscriber received again (not counted above)
  bool timed_out = false;  // some subscriber still lacked the last event after 30 s
  void Print() {
    const double deliveries = static_cast<double>(ms.size());
    std::printf("{\"subscribers\": %d, \"events\": %d, \"refused\": %d, \"unanswered\": %d, "
                "\"expected\": %llu, "
                "\"deliveries\": %.0f, \"lost\": %.0f, \"window_s\": %.3f, "
                "\"deliveries_per_s\": %.0f, \"p50_ms\": %.2f, \"p99_ms\": %.2f, "
                "\"max_ms\": %.2f, \"rss_per_sub_bytes\": %ld, \"closed\": %d, \"duplicates\": %ld, "
                "\"timed_out\": %s}\n",
                subscribers, events, refused, unanswered, static_cast<unsigned long long>(expected),
                deliveries, static_cast<double>(expected) - deliveries, seconds,
                seconds > 0 ? deliveries / seconds : 0.0, Percentile(ms, 50), Percentile(ms, 99),
                Percentile(ms, 100), rss_per_sub_bytes, closed, duplicates, timed_out ? "true" : "false");
  }
};

// The subscribers are connected and have every event before the window (the caller
// waited for that); idle memory is noted, then `events` are published at `rate`.
// `numbers()` (called once the last publish is sent) gives the event number each
// publish produced, 0 for a refused one. Only frames of those numbers are counted.
template <typename Publish, typename Numbers>
Result Measure(SseSubscribers& subs, int pid, long rss_before, int subscribers, int events,
               int rate, Publish publish, Numbers numbers) {
  Result r;
  r.subscribers = subscribers;
  r.events = events;
  if (pid > 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));  // idle: let connections settle
    r.rss_per_sub_bytes = (RssKib(pid) - rss_before) * 1024 / subscribers;
  }
  const std::vector<Clock::time_point> sent = Paced(events, rate, publish);
  const std::vector<std::uint64_t> number = numbers();
  std::unordered_map<std::uint64_t, Clock::time_point> sent_at;  // event number -> sent
  std::uint64_t last = 0;
  for (std::size_t i = 0; i < number.size(); ++i) {
    if (number[i] == 0) {
      ++r.refused;
      continue;
    }
    sent_at.emplace(number[i], sent[i]);
    last = std::max(last, number[i]);
  }
  r.expected = sent_at.size() * static_cast<std::uint64_t>(subscribers);
  r.timed_out = last > 0 && !subs.WaitAll(last, std::chrono::seconds(30));
  Clock::time_point end = sent.front();
  std::vector<bool> got(last + 1);  // of the subscriber at hand: a number twice counts once
  std::size_t at_conn = SIZE_MAX;
  subs.ForEachReceived([&](std::size_t conn, std::uint64_t version, Clock::time_point at) {
    if (conn != at_conn) {
      got.assign(last + 1, false);
      at_conn = conn;
    }
    auto it = sent_at.find(version);
    if (it == sent_at.end()) return;
    if (got[version]) {
      ++r.duplicates;
      return;
    }
    got[version] = true;
    r.ms.push_back(Micros(it->second, at) / 1000);
    end = std::max(end, at);
  });
  r.seconds = std::chrono::duration<double>(end - sent.front()).count();
  r.closed = subs.closed();
  return r;
}

client::CommandClientOptions Options(const std::string& endpoint) { return ClientOptions(endpoint); }

// run.pause / run.resume alternately on one DEALER socket, one command in flight: the
// next is sent at its time or when the previous one is answered, whichever is later.
// (Two commands in flight for one run may be decided in either order — the daemon posts
// each to its io pool before the run's queue — so a resume could meet a running run and
// be refused.) A reply names the run's version after the command: that is the event
// number its frame carries.
class ControlPublisher {
 public:
  ControlPublisher(const std::string& endpoint, std::string run_id, int events)
      : socket_(ctx_, zmq::socket_type::dealer), run_id_(std::move(run_id)), number_(events, 0) {
    socket_.connect(endpoint);
  }
  Clock::time_point Send(std::uint64_t seq) {
    if (seq > 1) Receive(seq - 1);
    const auto at = Clock::now();
    const std::string req = std::string(R"({"id":")") + std::to_string(seq) + R"(","cmd":")" +
                            (seq % 2 == 1 ? "run.pause" : "run.resume") +
                            R"(","args":{"run_id":")" + run_id_ + R"("}})";
    socket_.send(zmq::buffer(req), zmq::send_flags::none);
    return at;
  }
  // Reads every reply (up to 30 s) and returns the version each command produced.
  std::vector<std::uint64_t> Numbers() {
    Receive(number_.size());
    return number_;
  }
  int unanswered() const { return static_cast<int>(number_.size()) - answered_ - errors_; }

 private:
  // Reads replies until command `seq` (and so every one before it) is answered, or 30 s.
  void Receive(std::size_t seq) {
    const auto deadline = Clock::now() + std::chrono::seconds(30);
    zmq::message_t m;
    while (replies_ < seq && Clock::now() < deadline) {
      if (!socket_.recv(m, zmq::recv_flags::dontwait)) {
        std::this_thread::sleep_for(std::chrono::microseconds(100));
        continue;
      }
      ++replies_;
      const json::object reply = json::parse(m.to_string_view()).as_object();
      const std::size_t n = std::stoul(std::string(reply.at("id").as_string()));
      if (!reply.at("ok").as_bool()) {
        if (errors_++ == 0) std::fprintf(stderr, "sse_fanout: %s\n", m.to_string().c_str());
        continue;
      }
      ++answered_;
      number_.at(n - 1) = reply.at("result").at("run").at("version").to_number<std::uint64_t>();
    }
  }

  zmq::context_t ctx_{1};
  zmq::socket_t socket_;
  const std::string run_id_;
  std::vector<std::uint64_t> number_;
  int errors_ = 0;
  int answered_ = 0;  // with ok: true
  std::size_t replies_ = 0;
};

Result Forkline(int port, const std::string& endpoint, int pid, int n, int rate, int events) {
  client::CommandClient c(Options(endpoint));
  auto run = MustCall(c, "run.create", {{"kind", "novel_to_script"}, {"input", {{"text", "Alice."}}}})
                 .at("run")
                 .as_object();
  const std::string id(run.at("id").as_string());
  const auto head = run.at("version").to_number<std::uint64_t>();
  const long before = RssKib(pid);
  SseSubscribers subs(port, id, n);
  if (!subs.WaitAll(head, std::chrono::seconds(60))) {
    throw std::runtime_error("forkline: subscribers did not receive the run's history");
  }
  ControlPublisher pub(endpoint, id, events);
  Result r = Measure(
      subs, pid, before, n, events, rate, [&](std::uint64_t seq) { return pub.Send(seq); },
      [&] { return pub.Numbers(); });
  r.unanswered = pub.unanswered();
  return r;
}

// Every peer's frames carry the number of its publish; publish 1 is the warm-up, sent
// before the window (subscriptions registered and delivering), so the window's
// publishes are numbered 2..events+1.
std::vector<std::uint64_t> Shifted(int events) {
  std::vector<std::uint64_t> numbers(static_cast<std::size_t>(events));
  for (int i = 0; i < events; ++i) numbers[static_cast<std::size_t>(i)] = static_cast<std::uint64_t>(i) + 2;
  return numbers;
}

// Waits until every subscriber has the warm-up frame (publish 1), publishing it again
// every 200 ms for subscribers that registered after the last try (a peer does not
// replay to late subscribers).
template <typename Publish>
void WarmUp(SseSubscribers& subs, const char* peer, Publish publish) {
  for (int attempt = 0; attempt < 150; ++attempt) {
    publish(1);
    if (subs.WaitAll(1, std::chrono::milliseconds(200))) return;
  }
  throw std::runtime_error(std::string(peer) + ": subscribers did not all receive the warm-up");
}

// A keep-alive HTTP connection POSTing `seq N` + padding to /pub?id=<channel>; responses
// drained.
Result Nchan(int port, int pid, int n, int rate, int events) {
  const long before = pid > 0 ? RssKib(pid) : 0;
  // A channel of its own: nchan keeps a channel's messages and would replay an earlier
  // measurement's to these subscribers.
  const std::string channel = "bench-" + std::to_string(::getpid()) + "-" +
                              std::to_string(Clock::now().time_since_epoch().count());
  SseSubscribers subs(port, "/sub?id=" + channel, n, "data: seq ");
  const int fd = ConnectLoopback(port);
  if (fd < 0) throw std::runtime_error("nchan: cannot connect the publisher");
  std::atomic<bool> done{false};
  std::thread drain([&] {
    char buf[65536];
    while (!done.load()) {
      if (::recv(fd, buf, sizeof buf, MSG_DONTWAIT) <= 0) std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  });
  auto publish = [&](std::uint64_t seq) {
    std::string body = "seq " + std::to_string(seq) + " ";
    body.resize(200, 'x');
    const std::string req = "POST /pub?id=" + channel + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\n"
                            "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) {
      throw std::runtime_error("nchan: publish failed");
    }
  };
  WarmUp(subs, "nchan", publish);
  Result r = Measure(
      subs, pid, before, n, events, rate, [&](std::uint64_t seq) {
        const auto at = Clock::now();
        publish(seq + 1);
        return at;
      },
      [&] { return Shifted(events); });
  done = true;
  drain.join();
  ::close(fd);
  return r;
}

Result Raw(int n, int rate, int events) {
  RawHub hub;
  SseSubscribers subs(hub.port(), "/", n, "id:");
  auto publish = [&](std::uint64_t seq) {
    std::string frame = "id: " + std::to_string(seq) + "\ndata: ";
    frame.resize(frame.size() + 200, 'x');
    frame += "\n\n";
    hub.Publish(std::move(frame));
  };
  WarmUp(subs, "raw", publish);
  return Measure(
      subs, 0, 0, n, events, rate, [&](std::uint64_t seq) {
        const auto at = Clock::now();
        publish(seq + 1);
        return at;
      },
      [&] { return Shifted(events); });
}

void IdleRuns(const std::string& endpoint, int pid, int runs) {
  const long before = RssKib(pid);
  std::vector<std::thread> threads;
  for (int t = 0; t < 16; ++t) {
    threads.emplace_back([&, t] {
      client::CommandClient c(Options(endpoint));
      for (int i = t; i < runs; i += 16) {
        MustCall(c, "run.create", {{"kind", "novel_to_script"}, {"input", {{"text", "Alice."}}}});
      }
    });
  }
  for (auto& t : threads) t.join();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  std::printf("{\"runs\": %d, \"rss_per_run_bytes\": %ld}\n", runs, (RssKib(pid) - before) * 1024 / runs);
}

int Main(int argc, char** argv) {
  if (argc < 2) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  const std::string mode = argv[1];
  Flags flags(argc - 1, argv + 1);
  const int port = static_cast<int>(flags.Int("port", 0));
  const std::string endpoint = flags.String("endpoint", "tcp://127.0.0.1:7710");
  const int pid = static_cast<int>(flags.Int("pid", 0));
  const int n = static_cast<int>(flags.Int("subscribers", 5000));
  const int rate = static_cast<int>(flags.Int("rate", 200));
  const int seconds = static_cast<int>(flags.Int("seconds", 10));
  const int runs = static_cast<int>(flags.Int("runs", 10000));
  if (!flags.Check(kUsage)) return 2;
  const int events = rate * seconds;
  try {
    if (mode == "forkline") Forkline(port, endpoint, pid, n, rate, events).Print();
    else if (mode == "nchan") Nchan(port, pid, n, rate, events).Print();
    else if (mode == "raw") Raw(n, rate, events).Print();
    else if (mode == "forkline-runs") IdleRuns(endpoint, pid, runs);
    else {
      std::fputs(kUsage, stderr);
      return 2;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sse_fanout: %s\n", e.what());
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace forkline::bench

int main(int argc, char** argv) { return forkline::bench::Main(argc, argv); }
