// Engine crash-test child: opens the RocksDB store in DIR, starts an Engine (which
// recovers whatever the previous child left), and sends a random mix of commands from
// two threads forever, while autorun runs move by themselves. Every acknowledged
// result goes to stdout, one line each, flushed at once:
//   run <run_id>                     a run.create or run.fork was answered ok
//   step <run_id> <index> <attempt>  a run.next answered with that step completed
// The parent kills it with SIGKILL at random moments. Any unexpected error ends the
// child with status 3 and a message on stderr.
#include <unistd.h>

#include <boost/asio/thread_pool.hpp>
#include <boost/json.hpp>
#include <cstdio>
#include <future>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "daemon/engine/engine.h"
#include "eventstore/rocksdb_event_store.h"
#include "tests/engine/crash_workload.h"

namespace forkline::testing {
namespace {
namespace json = boost::json;

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "engine_crash_child: %s\n", what.c_str());
  std::fflush(stderr);
  _exit(3);
}

class Driver {
 public:
  explicit Driver(Engine& engine) : engine_(engine) {}

  Result<json::object> Call(const std::string& cmd, json::object args) {
    std::promise<CommandReply> promise;
    auto future = promise.get_future();
    engine_.Handle(CommandRequest{"c", cmd, std::move(args), "", "test"},
                   [&promise](CommandReply r) { promise.set_value(std::move(r)); });
    CommandReply r = future.get();
    if (!r.ok() && r.status().code() != Code::kConflict) Die(cmd + ": " + r.status().ToString());
    return ReplyObject(r);
  }

  void AddRun(const std::string& id) {
    std::lock_guard lock(mu_);
    runs_.push_back(id);
  }
  std::string PickRun(std::mt19937& rng) {
    std::lock_guard lock(mu_);
    return runs_.empty() ? "" : runs_[rng() % runs_.size()];
  }
  void Print(const std::string& line) {
    std::lock_guard lock(mu_);
    std::fputs(line.c_str(), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
  }

  void Loop(unsigned seed) {
    std::mt19937 rng(seed);
    const char* const kinds[] = {"quick", "slowish", "fragile"};
    for (;;) {
      const unsigned dice = rng() % 100;
      const std::string run = PickRun(rng);
      if (run.empty() || dice < 25) {
        auto r = Call("run.create", {{"kind", kinds[rng() % 3]},
                                     {"input", json::object{{"seed", seed}}},
                                     {"autorun", rng() % 100 < 60}});
        if (!r.ok()) Die("run.create: conflict");
        const std::string id(r->at("run").at("id").as_string());
        AddRun(id);
        Print("run " + id);
      } else if (dice < 55) {
        auto r = Call("run.next", {{"run_id", run}});
        if (r.ok() && r->at("step").at("status").as_string() == "completed") {
          Print("step " + run + " " + json::serialize(r->at("step").at("index")) + " " +
                json::serialize(r->at("step").at("attempt")));
        }
      } else if (dice < 75) {
        json::object args{{"run_id", run}, {"autorun", rng() % 100 < 50}};
        if (rng() % 2) args["at"] = rng() % 3;  // may be past the cursor: a conflict
        auto r = Call("run.fork", std::move(args));
        if (r.ok()) {
          const std::string id(r->at("run").at("id").as_string());
          AddRun(id);
          Print("run " + id);
        }
      } else if (dice < 85) {
        (void)Call("run.autorun", {{"run_id", run}, {"enabled", true}});
      } else if (dice < 90) {
        (void)Call("run.retry", {{"run_id", run}});
      } else if (dice < 94) {
        (void)Call("run.pause", {{"run_id", run}, {"abort_step", rng() % 2 == 0}});
      } else if (dice < 98) {
        (void)Call("run.resume", {{"run_id", run}});
      } else {
        (void)Call("run.cancel", {{"run_id", run}});
      }
    }
  }

 private:
  Engine& engine_;
  std::mutex mu_;  // guards runs_ and stdout
  std::vector<std::string> runs_;
};

}  // namespace
}  // namespace forkline::testing

int main(int argc, char** argv) {
  using namespace forkline;
  using namespace forkline::testing;
  if (argc != 3) {
    std::fprintf(stderr, "usage: engine_crash_child DIR SEED\n");
    return 2;
  }
  RocksDbStoreOptions o;
  o.path = argv[1];
  auto store = OpenRocksDbEventStore(o);
  if (!store.ok()) Die(store.status().ToString());
  CrashExecutor executor;
  boost::asio::thread_pool io(2);
  EngineOptions options;
  options.retry_backoff = std::chrono::milliseconds(2);
  Engine engine(**store, CrashWorkflows(), {{"crash", &executor}}, options, io.get_executor());
  if (Status s = engine.Start(); !s.ok()) Die("Start: " + s.ToString());
  Driver driver(engine);
  // Runs from earlier lives take part too.
  auto list = driver.Call("run.list", {{"limit", 1000}});
  for (const auto& r : list->at("runs").as_array()) driver.AddRun(std::string(r.at("id").as_string()));
  const unsigned seed = static_cast<unsigned>(std::stoul(argv[2]));
  std::thread other([&] { driver.Loop(seed * 2 + 1); });
  driver.Loop(seed * 2);
}
