#include "tests/engine/engine_fixture.h"

#include <thread>

namespace forkline::testing {
namespace json = boost::json;

StepResult FakeExecutor::Run(const StepTask& task) {
  ++calls_;
  const json::object& params = task.context.at("step").at("params").as_object();
  const std::string name(task.context.at("step").at("name").as_string());
  if (params.contains("block")) {
    std::unique_lock lock(mu_);
    ++blocked_;
    cv_.notify_all();
    while (!released_ && !task.abort.load()) cv_.wait_for(lock, std::chrono::milliseconds(5));
    --blocked_;
    if (task.abort.load()) return StepResult::Failure("aborted", "stopped");
  }
  if (const auto* w = params.if_contains("work_us")) {
    // Simulated work: takes `work_us` microseconds, in slices, and stops on abort.
    const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(w->to_number<std::int64_t>());
    while (std::chrono::steady_clock::now() < until) {
      if (task.abort.load()) return StepResult::Failure("aborted", "stopped");
      std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
          std::chrono::microseconds(500), until - std::chrono::steady_clock::now()));
    }
  }
  if (const auto* f = params.if_contains("fail")) {
    return StepResult::Failure(std::string(f->as_string()), "told to fail");
  }
  if (const auto* n = params.if_contains("fail_times")) {
    std::lock_guard lock(mu_);
    const std::string key = std::string(task.context.at("run_id").as_string()) + "/" + name;
    if (failures_[key]++ < n->to_number<int>()) {
      return StepResult::Failure("flaky", "try again", /*retryable=*/true);
    }
  }
  json::array seen;
  for (const auto& [k, v] : task.context.at("steps").as_object()) seen.push_back(json::string(k));
  json::object out{{"step", name}, {"seen", seen}};
  if (const auto* echo = params.if_contains("echo")) {
    out["from"] = task.context.at("steps").as_object().at(echo->as_string());
  }
  if (const auto* emit = params.if_contains("emit")) {
    for (const auto& [k, v] : emit->as_object()) out[k] = v;
  }
  if (const auto* item = task.context.if_contains("item")) {  // a foreach step
    out["item"] = *item;
    out["item_index"] = task.context.at("item_index");
    out["each"] = task.context.at("each");
  }
  return StepResult::Success(std::move(out));
}

void FakeExecutor::Release() {
  std::lock_guard lock(mu_);
  released_ = true;
  cv_.notify_all();
}

void FakeExecutor::WaitBlocked() {
  std::unique_lock lock(mu_);
  ASSERT_TRUE(cv_.wait_for(lock, std::chrono::seconds(30), [this] { return blocked_ > 0; }));
}

WorkflowDefinition ThreeSteps(json::object params_for_second) {
  WorkflowDefinition def;
  def.kind = "three";
  def.description = "three fake steps";
  def.source = "test";
  for (const char* name : {"one", "two", "three"}) {
    StepDefinition s;
    s.name = name;
    s.executor = "fake";
    s.max_attempts = 3;
    def.steps.push_back(s);
  }
  def.steps[1].params = std::move(params_for_second);
  return def;
}

// The default store (see the header): engine_store_postgres.cc overrides it at link time.
__attribute__((weak)) std::unique_ptr<EventStore> OpenEngineTestStore(const std::string& dir) {
  RocksDbStoreOptions o;
  o.path = dir;
  auto store = OpenRocksDbEventStore(o);
  EXPECT_OK(store);
  return store.ok() ? std::move(store).value() : nullptr;
}

void EngineTest::SetUp() {
  store_ = OpenEngineTestStore(dir_.Sub("db"));
  ASSERT_NE(store_, nullptr);
}

void EngineTest::TearDown() {
  fake_.Release();
  StopEngine();
  if (store_) store_->Close();
  stopped_pools_.clear();
}

void EngineTest::StartEngine(std::vector<WorkflowDefinition> extra) {
  io_ = std::make_unique<boost::asio::thread_pool>(2);
  std::vector<WorkflowDefinition> workflows{ThreeSteps()};
  for (auto& w : extra) workflows.push_back(std::move(w));
  EngineOptions options;
  options.retry_backoff = std::chrono::milliseconds(1);
  std::map<std::string, Executor*> executors = executors_;
  executors["fake"] = &fake_;
  engine_ = std::make_unique<Engine>(*store_, std::move(workflows), std::move(executors), options,
                                     io_->get_executor());
  feed_id_ = engine_->Subscribe([this](const FeedItemPtr&) {
    std::lock_guard lock(feed_mu_);
    ++feed_count_;
    feed_cv_.notify_all();
  });
  ASSERT_OK(engine_->Start());
}

void EngineTest::StopEngine() {
  if (!engine_) return;
  engine_->Unsubscribe(feed_id_);
  engine_->Shutdown(std::chrono::milliseconds(0));
  io_->join();
  engine_.reset();
  stopped_pools_.push_back(std::move(io_));
}

Result<json::object> EngineTest::Call(const std::string& cmd, json::object args, const std::string& key) {
  std::promise<CommandReply> promise;
  auto future = promise.get_future();
  engine_->Handle(CommandRequest{"t", cmd, std::move(args), key, "test"},
                  [&promise](CommandReply r) { promise.set_value(std::move(r)); });
  if (future.wait_for(std::chrono::seconds(60)) != std::future_status::ready) {
    return Status::Internal(cmd + ": no reply in 60 s");
  }
  return ReplyObject(future.get());
}

json::object EngineTest::Ok(const std::string& cmd, json::object args, const std::string& key) {
  auto r = Call(cmd, std::move(args), key);
  EXPECT_TRUE(r.ok()) << cmd << ": " << r.status().ToString();
  return r.ok() ? std::move(r).value() : json::object{};
}

std::string EngineTest::ErrCode(const std::string& cmd, json::object args) {
  auto r = Call(cmd, std::move(args));
  if (r.ok()) return "ok";
  return std::string(CodeName(r.status().code()));
}

std::string EngineTest::Create(const std::string& kind, bool autorun) {
  auto r = Ok("run.create", {{"kind", kind}, {"input", {{"text", "hello"}}}, {"autorun", autorun}});
  return r.contains("run") ? std::string(r.at("run").at("id").as_string()) : "";
}

void EngineTest::WaitFor(const std::string& run, const std::function<bool(const json::object&)>& pred) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  for (;;) {
    std::uint64_t seen;
    {
      std::lock_guard lock(feed_mu_);
      seen = feed_count_;
    }
    if (pred(Get(run))) return;
    std::unique_lock lock(feed_mu_);
    if (!feed_cv_.wait_until(lock, deadline, [&] { return feed_count_ != seen; })) {
      ADD_FAILURE() << "run " << run << " never reached the state: " << json::serialize(Get(run));
      return;
    }
  }
}

void EngineTest::WaitForStatus(const std::string& run, const std::string& status) {
  WaitFor(run, [&](const json::object& r) { return r.at("status").as_string() == status; });
}

json::object EngineTest::Get(const std::string& run) {
  auto r = Call("run.get", {{"run_id", run}});
  return r.ok() ? r->at("run").as_object() : json::object{};
}

EventList EngineTest::History(const std::string& run) {
  auto events = store_->ReadStream(run, 0, SIZE_MAX);
  EXPECT_OK(events);
  return events.ok() ? std::move(events).value() : EventList{};
}

}  // namespace forkline::testing
