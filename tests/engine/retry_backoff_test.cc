// Commands that arrive while a step waits out its retry backoff. The backoff is an
// hour here, so the window is certainly open when the command arrives; teardown stops
// the io pool without waiting for the timer.
#include <boost/json.hpp>

#include "tests/engine/engine_fixture.h"
#include "tests/engine/run_checks.h"

namespace forkline::testing {
namespace {
namespace json = boost::json;

class RetryBackoffTest : public EngineTest {
 protected:
  void SetUp() override {
    EngineTest::SetUp();
    io_ = std::make_unique<boost::asio::thread_pool>(2);
    WorkflowDefinition flaky = ThreeSteps({{"fail_times", 1}});
    flaky.kind = "flaky";
    EngineOptions options;
    options.retry_backoff = std::chrono::hours(1);
    engine_ = std::make_unique<Engine>(*store_, std::vector<WorkflowDefinition>{flaky},
                                       std::map<std::string, Executor*>{{"fake", &fake_}},
                                       options, io_->get_executor());
    feed_id_ = engine_->Subscribe([this](const FeedItemPtr&) {
      std::lock_guard lock(feed_mu_);
      ++feed_count_;
      feed_cv_.notify_all();
    });
    ASSERT_OK(engine_->Start());
  }
  void TearDown() override {
    if (!engine_) return;
    engine_->Unsubscribe(feed_id_);
    engine_->Shutdown(std::chrono::milliseconds(0));
    store_->Close();  // its writer posts to io_, which goes first
    io_->stop();  // drops the hour-long backoff timer
    io_->join();
    engine_.reset();
    io_.reset();
  }

  // Sends run.next without waiting; the answer lands in `*out`.
  void NextAsync(const std::string& run, std::shared_ptr<std::promise<CommandReply>> out) {
    engine_->Handle(CommandRequest{"n", "run.next", {{"run_id", run}}, "", "test"},
                    [out](CommandReply r) { out->set_value(std::move(r)); });
  }
};

// One run.next covers every attempt of its step (DESIGN §2), so until the retry has
// run, the step is still in flight: a second run.next must be refused, not accepted —
// accepting it starts the attempt itself and drops the first run.next's answer (its
// waiter is overwritten), so that client never hears back.
TEST_F(RetryBackoffTest, NextDuringARetryBackoffIsRefused) {
  const std::string run = Create("flaky");
  Ok("run.next", {{"run_id", run}});
  auto first = std::make_shared<std::promise<CommandReply>>();
  NextAsync(run, first);
  WaitFor(run, [](const json::object& r) {
    return r.at("steps").at(1).at("status").as_string() == "failed";
  });
  EXPECT_EQ(ErrCode("run.next", {{"run_id", run}}), "conflict")
      << "a second run.next was accepted while the first still waits for its step's retry";
}

// Shutdown must not wait out a backoff (nor let it start a step on a stopped pool): the
// io pool finishes without being stopped by force.
TEST_F(RetryBackoffTest, ShutdownCancelsAPendingBackoff) {
  const std::string run = Create("flaky");
  Ok("run.next", {{"run_id", run}});
  auto first = std::make_shared<std::promise<CommandReply>>();
  NextAsync(run, first);
  WaitFor(run, [](const json::object& r) {
    return r.at("steps").at(1).at("status").as_string() == "failed";
  });
  engine_->Unsubscribe(feed_id_);
  engine_->Shutdown(std::chrono::milliseconds(0));
  store_->Close();  // its writer posts to io_, which goes first
  io_->join();  // returns only once no timer is left (an hour otherwise)
  engine_.reset();
  io_.reset();
}

}  // namespace
}  // namespace forkline::testing
