// sse_fanout: the SSE side of `make bench-compare` (M5, M6).
//
//   sse_fanout forkline --port HTTP --endpoint ZMQ --pid PID [--subscribers N --rate R --seconds S]
//       N subscribers on one run's GET /v1/runs/{id}/events; R events/s appended to that run
//       (run.pause / run.resume pipelined on one DEALER socket, paced by the clock).
//   sse_fanout nchan --port P --pid WORKER_PID [...]
//       N EventSource subscribers of nginx + nchan (GET /sub), R messages/s POSTed to /pub.
//   sse_fanout raw [...]
//       the floor: an epoll loop in this process that writes every frame to every
//       subscriber socket, one write() each.
//   sse_fanout forkline-runs --endpoint ZMQ --pid PID [--runs N]
//       the daemon's RSS growth per idle run (N run.create from 16 clients).
//
// Prints one JSON line. Latency = time a subscriber read the event - time it was sent.

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>
#include <zmq.hpp>

#include <boost/json.hpp>

#include "bench/bench_client.h"
#include "bench/bench_util.h"
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

// Calls `publish(seq)` for seq = 1..count, `rate` a second, on the clock (no drift).
template <typename Publish>
std::vector<Clock::time_point> Paced(int count, int rate, Publish publish) {
  std::vector<Clock::time_point> sent;
  const auto start = Clock::now();
  for (int i = 1; i <= count; ++i) {
    std::this_thread::sleep_until(start + std::chrono::microseconds(1000000LL * (i - 1) / rate));
    sent.push_back(Clock::now());
    publish(static_cast<std::uint64_t>(i));
  }
  return sent;
}

struct Result {
  int subscribers = 0;
  int events = 0;
  double seconds = 0;
  std::vector<double> ms;
  long rss_per_sub_bytes = 0;
  int closed = 0;
  int errors = 0;  // publishes the server refused
  void Print() {
    const double deliveries = static_cast<double>(ms.size());
    std::printf("{\"subscribers\": %d, \"events\": %d, \"deliveries\": %.0f, \"deliveries_per_s\": %.0f, "
                "\"p50_ms\": %.2f, \"p99_ms\": %.2f, \"max_ms\": %.2f, \"rss_per_sub_bytes\": %ld, "
                "\"closed\": %d, \"errors\": %d}\n",
                subscribers, events, deliveries, deliveries / seconds, Percentile(ms, 50),
                Percentile(ms, 99), Percentile(ms, 100), rss_per_sub_bytes, closed, errors);
  }
};

// Subscribers connected, idle memory noted, then `events` published; `first` is the
// number the first published event carries.
template <typename Publish>
Result Measure(SseSubscribers& subs, int pid, long rss_before, int subscribers, int events,
               int rate, std::uint64_t first, Publish publish) {
  Result r;
  r.subscribers = subscribers;
  r.events = events;
  if (pid > 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));  // idle: let connections settle
    r.rss_per_sub_bytes = (RssKib(pid) - rss_before) * 1024 / subscribers;
  }
  const auto start = Clock::now();
  auto sent = Paced(events, rate, publish);
  subs.WaitAll(first + static_cast<std::uint64_t>(events) - 1, std::chrono::seconds(30));
  r.seconds = SecondsSince(start);
  for (int i = 0; i < events; ++i) {
    for (const auto& at : subs.ReceivedAt(first + static_cast<std::uint64_t>(i))) {
      r.ms.push_back(Micros(sent[static_cast<std::size_t>(i)], at) / 1000);
    }
  }
  r.closed = subs.closed();
  return r;
}

client::CommandClientOptions Options(const std::string& endpoint) { return ClientOptions(endpoint); }

Result Forkline(int port, const std::string& endpoint, int pid, int n, int rate, int events) {
  client::CommandClient c(Options(endpoint));
  auto run = MustCall(c, "run.create", {{"kind", "novel_to_script"}, {"input", {{"text", "Alice."}}}})
                 .at("run")
                 .as_object();
  const std::string id(run.at("id").as_string());
  const auto head = run.at("version").to_number<std::uint64_t>();
  const long before = RssKib(pid);
  SseSubscribers subs(port, id, n);
  subs.WaitAll(head, std::chrono::seconds(60));
  // Pipelined on one socket: the run's commands are decided in order, so the k-th command
  // appends version head + k.
  zmq::context_t ctx(1);
  zmq::socket_t s(ctx, zmq::socket_type::dealer);
  s.connect(endpoint);
  std::atomic<int> replies{0};
  int errors = 0;
  std::thread reader([&] {
    zmq::message_t m;
    while (replies.load() < events) {
      if (s.recv(m, zmq::recv_flags::dontwait)) {
        ++replies;
        if (m.to_string_view().find(R"("ok":false)") != std::string_view::npos) {
          if (errors++ == 0) std::fprintf(stderr, "sse_fanout: %s\n", m.to_string().c_str());
        }
      } else {
        std::this_thread::sleep_for(std::chrono::microseconds(200));
      }
    }
  });
  std::mutex send_mu;
  Result r = Measure(subs, pid, before, n, events, rate, head + 1, [&](std::uint64_t seq) {
    const std::string req = std::string(R"({"id":")") + std::to_string(seq) + R"(","cmd":")" +
                            (seq % 2 == 1 ? "run.pause" : "run.resume") + R"(","args":{"run_id":")" +
                            id + R"("}})";
    std::lock_guard lock(send_mu);
    s.send(zmq::buffer(req), zmq::send_flags::none);
  });
  reader.join();
  r.errors = errors;
  return r;
}

// A keep-alive HTTP connection POSTing `seq N` + padding to /pub; responses drained.
Result Nchan(int port, int pid, int n, int rate, int events) {
  const long before = pid > 0 ? RssKib(pid) : 0;
  SseSubscribers subs(port, "/sub", n, "data: seq ");
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // subscriptions registered
  const int fd = ConnectLoopback(port);
  if (fd < 0) throw std::runtime_error("nchan: cannot connect the publisher");
  std::atomic<bool> done{false};
  std::thread drain([&] {
    char buf[65536];
    while (!done.load()) {
      if (::recv(fd, buf, sizeof buf, MSG_DONTWAIT) <= 0) std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  });
  Result r = Measure(subs, pid, before, n, events, rate, 1, [&](std::uint64_t seq) {
    std::string body = "seq " + std::to_string(seq) + " ";
    body.resize(200, 'x');
    const std::string req = "POST /pub HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\n"
                            "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) {
      throw std::runtime_error("nchan: publish failed");
    }
  });
  done = true;
  drain.join();
  ::close(fd);
  return r;
}

// The floor: one thread, epoll for accepts, one write() per subscriber per frame.
class RawHub {
 public:
  RawHub() {
    listen_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(listen_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(listen_, 4096) != 0) {
      throw std::runtime_error("raw hub: cannot listen");
    }
    socklen_t len = sizeof a;
    ::getsockname(listen_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { Accept(); });
  }
  ~RawHub() {
    stop_ = true;
    thread_.join();
    for (int fd : subs_) ::close(fd);
    ::close(listen_);
  }
  int port() const { return port_; }
  void Publish(std::uint64_t seq) {
    std::string frame = "id: " + std::to_string(seq) + "\ndata: ";
    frame.resize(frame.size() + 200, 'x');
    frame += "\n\n";
    std::lock_guard lock(mu_);
    for (int fd : subs_) (void)::send(fd, frame.data(), frame.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  }

 private:
  void Accept() {
    ::fcntl(listen_, F_SETFL, O_NONBLOCK);
    const std::string head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n";
    while (!stop_.load()) {
      const int fd = ::accept4(listen_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        continue;
      }
      (void)::send(fd, head.data(), head.size(), MSG_NOSIGNAL);  // the request is never read
      std::lock_guard lock(mu_);
      subs_.push_back(fd);
    }
  }
  int listen_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::vector<int> subs_;
  std::thread thread_;
};

Result Raw(int n, int rate, int events) {
  RawHub hub;
  SseSubscribers subs(hub.port(), "/", n, "id:");
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // accepted
  return Measure(subs, 0, 0, n, events, rate, 1, [&](std::uint64_t seq) { hub.Publish(seq); });
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
