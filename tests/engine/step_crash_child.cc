// Step-crash child: opens the RocksDB store in DIR and starts an Engine on it (which
// recovers whatever the previous process left). When the store has no run yet it
// creates one of KIND with autorun on. Its executor "fake" completes steps at once,
// except a step with params {"hang": true}: that one prints
//   started <run_id> <index>
// (flushed) and then never ends, so the parent can kill the process mid-step.
// Any unexpected error ends the child with status 3 and a message on stderr.
#include <unistd.h>

#include <boost/asio/thread_pool.hpp>
#include <boost/json.hpp>
#include <cstdio>
#include <future>
#include <string>
#include <thread>

#include "daemon/engine/engine.h"
#include "eventstore/rocksdb_event_store.h"
#include "tests/engine/crash_workload.h"

namespace forkline::testing {
namespace {
namespace json = boost::json;

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "step_crash_child: %s\n", what.c_str());
  std::fflush(stderr);
  _exit(3);
}

class HangExecutor final : public Executor {
 public:
  StepResult Run(const StepTask& task) override {
    const json::object& step = task.context.at("step").as_object();
    if (step.at("params").as_object().contains("hang")) {
      const std::string line = "started " + std::string(task.context.at("run_id").as_string()) +
                               " " + json::serialize(step.at("index")) + "\n";
      std::fputs(line.c_str(), stdout);
      std::fflush(stdout);
      for (;;) ::pause();  // killed here
    }
    return StepResult::Success(json::object{{"step", step.at("name")}});
  }
};

Result<json::object> Call(Engine& engine, const std::string& cmd, json::object args) {
  std::promise<CommandReply> promise;
  engine.Handle(CommandRequest{"c", cmd, std::move(args), "", "test"},
                [&promise](CommandReply r) { promise.set_value(std::move(r)); });
  CommandReply r = promise.get_future().get();
  if (!r.ok()) Die(cmd + ": " + r.status().ToString());
  return ReplyObject(r);
}

}  // namespace
}  // namespace forkline::testing

int main(int argc, char** argv) {
  using namespace forkline;
  using namespace forkline::testing;
  if (argc != 3) {
    std::fprintf(stderr, "usage: step_crash_child DIR KIND\n");
    return 2;
  }
  RocksDbStoreOptions o;
  o.path = argv[1];
  auto store = OpenRocksDbEventStore(o);
  if (!store.ok()) Die(store.status().ToString());
  HangExecutor executor;
  boost::asio::thread_pool io(2);
  Engine engine(**store, StepCrashWorkflows(), {{"fake", &executor}}, EngineOptions{},
                io.get_executor());
  if (Status s = engine.Start(); !s.ok()) Die("Start: " + s.ToString());
  auto list = Call(engine, "run.list", {{"limit", 10}});
  if (list->at("runs").as_array().empty()) {
    (void)Call(engine, "run.create", {{"kind", argv[2]}, {"input", json::object{}}, {"autorun", true}});
  }
  for (;;) ::pause();
}
