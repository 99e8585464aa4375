// The engine's randomised property test (issue 3, "Properties, checked by tests").
// A fixed seed drives a few hundred random commands over dozens of runs and forks,
// with steps that succeed, fail for good, fail and recover, and take a little time;
// run.next is sent without waiting for its answer, so commands overlap steps in flight.
// After every command:
//  * every run's history has contiguous versions, a hash chain that verifies and no
//    step index completed twice; no event ever read changes afterwards;
//  * the engine's live projections (its in-memory states and the run.list summaries)
//    equal the fold of the log up to the same version; run.get equals the fold too;
//  * a fork leaves its source untouched (its own events only grow, never by the fork's,
//    and a quiet source is byte-for-byte the same, events and run.get alike);
//  * every answer is a success or an expected refusal (conflict), and every run.next
//    answers once, with a step that has ended.
// At quiescent points (every step ended, autorun runs settled, every run.next answered;
// found by waiting on the live feed, never by sleeping) the same checks cover run.get
// of every run, and every autorun run has stopped moving.
#include <boost/json.hpp>
#include <random>
#include <set>

#include "tests/engine/engine_fixture.h"
#include "tests/engine/run_checks.h"

namespace forkline::testing {
namespace {
namespace json = boost::json;

WorkflowDefinition Kind(const std::string& kind,
                        const std::vector<std::pair<std::string, json::object>>& steps,
                        std::vector<std::uint32_t> max_attempts) {
  WorkflowDefinition def;
  def.kind = kind;
  def.description = kind;
  def.source = "test";
  for (std::size_t i = 0; i < steps.size(); ++i) {
    StepDefinition s;
    s.name = steps[i].first;
    s.executor = "fake";
    s.params = steps[i].second;
    s.max_attempts = i < max_attempts.size() ? max_attempts[i] : 3;
    def.steps.push_back(std::move(s));
  }
  return def;
}

// foreach steps: `src` emits three items, `each` and `again` expand over them; forks
// with an override of `src` (see DoFork) give other lengths, or no array at all.
WorkflowDefinition Fan() {
  WorkflowDefinition def = Kind("fan",
                                {{"src", {{"emit", {{"items", {1, 2, 3}}}}}},
                                 {"each", {{"work_us", 300}}},
                                 {"again", {{"fail_times", 1}}},
                                 {"end", {{"echo", "again"}}}},
                                {1, 1, 2, 1});
  def.steps[1].foreach = "steps.src.items";
  def.steps[2].foreach = "steps.src.items";
  return def;
}

// "three" (instant steps) comes with the fixture.
std::vector<WorkflowDefinition> Workloads() {
  return {
      // Quick and slow steps, a flaky step that recovers within its attempts, and one
      // that fails the run twice (2 attempts, 3 failures) before a retry gets through.
      Kind("mix",
           {{"a", {{"work_us", 300}}},
            {"b", {{"fail_times", 1}}},
            {"c", {{"work_us", 2000}}},
            {"d", {{"fail_times", 3}}},
            {"e", {{"echo", "a"}, {"work_us", 300}}}},
           {1, 3, 1, 2, 1}),
      // Fails for good at step 1, whatever is retried.
      Kind("doomed", {{"a", {}}, {"b", {{"fail", "boom"}}}, {"c", {}}}, {1, 1, 1}),
      // Steps long enough to be paused, aborted and canceled in flight.
      Kind("slow", {{"a", {{"work_us", 4000}}}, {"b", {{"work_us", 4000}}}}, {1, 1}),
      Fan(),
  };
}
const char* const kKinds[] = {"three", "mix", "doomed", "slow", "fan"};

struct PendingNext {
  std::string run;
  int answers = 0;  // guarded by the fixture's feed_mu_
  std::optional<CommandReply> reply;
};

class EnginePropertyTest : public EngineTest, public ::testing::WithParamInterface<unsigned> {
 protected:
  void SetUp() override {
    EngineTest::SetUp();
    StartEngine(Workloads());
    rng_.seed(GetParam());
  }

  bool Chance(unsigned percent) { return rng_() % 100 < percent; }
  const std::string& PickRun() { return runs_[rng_() % runs_.size()]; }

  // One random command; `op` names it for the failure messages.
  void Step(int op);
  void DoCreate();
  void DoNextAsync(const std::string& run);
  void DoFork(const std::string& run);
  void DoControl(const std::string& cmd, json::object args);

  // An answer that is neither a success nor one of the expected refusals is a failure.
  void Expect(const std::string& cmd, const Result<json::object>& r,
              std::initializer_list<Code> allowed = {Code::kConflict});
  // Every run: history, projection and ledger checks; `full` adds run.get of each.
  void CheckAll(bool full);
  // Waits (on the live feed) until every run is settled and every run.next answered.
  void Settle();
  bool Settled(const RunState& s);
  // Quiet: nothing can append to the run until the test sends it a command.
  bool Quiet(const RunState& s);
  bool HasPendingNext(const std::string& run);
  void CheckNextAnswers();

  std::mt19937 rng_;
  std::vector<std::string> runs_;
  std::vector<std::shared_ptr<PendingNext>> pending_;
  EventLedger ledger_;
  std::map<std::string, int> outcomes_;
  int checks_ = 0;
};

std::string Trace(unsigned seed, int op) {
  return "seed " + std::to_string(seed) + ", operation " + std::to_string(op);
}

void EnginePropertyTest::Expect(const std::string& cmd, const Result<json::object>& r,
                                std::initializer_list<Code> allowed) {
  if (r.ok()) {
    ++outcomes_[cmd + " ok"];
    return;
  }
  // The test never sends expect_version: a version conflict means the engine decided
  // on a state that was not its run's latest (the store refused the stale append).
  EXPECT_EQ(r.status().message().find(", expected "), std::string::npos)
      << cmd << " was decided on a stale state: " << r.status().ToString();
  for (Code c : allowed) {
    if (r.status().code() == c) {
      ++outcomes_[cmd + " " + std::string(CodeName(c))];
      return;
    }
  }
  ADD_FAILURE() << cmd << " answered an unexpected error: " << r.status().ToString();
}

void EnginePropertyTest::DoCreate() {
  const std::string kind = kKinds[rng_() % std::size(kKinds)];
  const bool autorun = Chance(35);
  auto r = Call("run.create", {{"kind", kind}, {"input", {{"n", runs_.size()}}}, {"autorun", autorun}});
  Expect("run.create", r, {});
  if (!r.ok()) return;
  const json::object& run = r->at("run").as_object();
  runs_.emplace_back(run.at("id").as_string());
  EXPECT_EQ(run.at("version").to_number<std::uint64_t>(), autorun ? 2u : 1u);
  EXPECT_EQ(run.at("autorun").as_bool(), autorun);
}

void EnginePropertyTest::DoNextAsync(const std::string& run) {
  auto p = std::make_shared<PendingNext>();
  p->run = run;
  pending_.push_back(p);
  engine_->Handle(CommandRequest{"n", "run.next", {{"run_id", run}}, "", "test"},
                  [this, p](CommandReply r) {
                    std::lock_guard lock(feed_mu_);
                    if (++p->answers == 1) p->reply = std::move(r);
                    ++feed_count_;
                    feed_cv_.notify_all();
                  });
}

void EnginePropertyTest::DoControl(const std::string& cmd, json::object args) {
  const std::string run(args.at("run_id").as_string());
  auto r = Call(cmd, std::move(args));
  Expect(cmd, r);
  if (r.ok()) {
    EXPECT_EQ(r->at("run").at("id").as_string(), run) << cmd;
  }
}

void EnginePropertyTest::DoFork(const std::string& source) {
  const auto before_state = EngineTestPeer::Snapshot(*engine_, source);
  ASSERT_TRUE(before_state);
  const bool quiet_before = Quiet(*before_state);
  const EventList before_history = History(source);
  const json::object before_get = Get(source);
  const std::uint32_t cursor = before_state->cursor;
  // Mostly a valid point; sometimes past the cursor (a conflict unless the run moved on).
  const std::uint32_t at = Chance(10) ? cursor + 1 : static_cast<std::uint32_t>(rng_() % (cursor + 1));
  json::object args{{"run_id", source}, {"at", at}};
  const bool autorun = Chance(30);
  if (autorun) args["autorun"] = true;
  if (Chance(20)) args["title"] = "fork of " + source;
  json::value override_output;
  if (at >= 1 && Chance(30)) {
    override_output = json::object{{"edited", static_cast<std::uint64_t>(rng_() % 1000)}};
    // For fan's `src`: another number of items (0-3), so the fork re-expands.
    if (Chance(50)) override_output.as_object()["items"] = json::array(rng_() % 4, 7);
    args["override"] = json::object{{"output", override_output}};
  }
  auto r = Call("run.fork", args);
  Expect("run.fork", r);
  if (!r.ok()) {
    EXPECT_GT(at, cursor) << "a fork at or before the cursor was refused: " << r.status().ToString();
    return;
  }
  const json::object& fork = r->at("run").as_object();
  const std::string id(fork.at("id").as_string());
  runs_.push_back(id);
  // The fork starts at `at`, queued (or completed when nothing is left), sharing the
  // source's outputs before `at` unless overridden.
  const auto total = fork.at("total_steps").to_number<std::uint32_t>();
  EXPECT_EQ(fork.at("cursor").to_number<std::uint32_t>(), at);
  EXPECT_EQ(fork.at("status").as_string(), at == total ? "completed" : "queued");
  EXPECT_EQ(fork.at("autorun").as_bool(), autorun && at < total);
  EXPECT_EQ(fork.at("parent").at("run_id").as_string(), source);
  EXPECT_EQ(fork.at("parent").at("at").to_number<std::uint32_t>(), at);
  const json::array& steps = fork.at("steps").as_array();
  const json::array& source_steps = before_get.at("steps").as_array();
  for (std::uint32_t i = 0; i < total; ++i) {
    const json::object& s = steps[i].as_object();
    if (i >= at) {
      EXPECT_EQ(s.at("status").as_string(), "pending") << id << " step " << i;
      continue;
    }
    EXPECT_EQ(s.at("status").as_string(), "completed") << id << " step " << i;
    if (i + 1 == at && !override_output.is_null()) {
      EXPECT_EQ(s.at("output"), override_output) << id;
    } else if (i < source_steps.size()) {
      EXPECT_EQ(s.at("output"), source_steps[i].at("output")) << id << " step " << i;
    }
  }
  // The source is untouched: its own events only grow, and not by the fork's.
  const EventList after_history = History(source);
  const auto before_own = OwnEvents(source, before_history);
  const auto after_own = OwnEvents(source, after_history);
  ASSERT_GE(after_own.size(), before_own.size()) << source << " lost events in a fork";
  for (std::size_t i = 0; i < after_own.size(); ++i) {
    if (i < before_own.size()) {
      EXPECT_EQ(after_own[i], before_own[i]) << source << " changed in a fork";
    } else {
      EXPECT_EQ(after_own[i].find("run.forked"), std::string::npos) << source << ": " << after_own[i];
    }
  }
  const auto after_state = EngineTestPeer::Snapshot(*engine_, source);
  if (quiet_before && after_state && Quiet(*after_state)) {
    EXPECT_EQ(after_own, before_own) << "quiet source " << source << " changed in a fork";
    EXPECT_EQ(json::serialize(Get(source)), json::serialize(before_get))
        << "quiet source " << source << " changed in a fork";
    ++outcomes_["fork of a quiet source"];
  }
}

void EnginePropertyTest::Step(int op) {
  SCOPED_TRACE(Trace(GetParam(), op));
  if (runs_.empty() || Chance(10)) return DoCreate();
  const std::string run = PickRun();
  const unsigned dice = rng_() % 100;
  if (dice < 28) return DoNextAsync(run);
  if (dice < 48) return DoFork(run);
  if (dice < 56) return DoControl("run.pause", {{"run_id", run}, {"abort_step", Chance(50)}});
  if (dice < 66) return DoControl("run.resume", {{"run_id", run}});
  if (dice < 74) return DoControl("run.autorun", {{"run_id", run}, {"enabled", true}});
  if (dice < 79) return DoControl("run.autorun", {{"run_id", run}, {"enabled", false}});
  if (dice < 82) return DoControl("run.cancel", {{"run_id", run}});
  if (dice < 92) return DoControl("run.retry", {{"run_id", run}});
  Settle();
  CheckAll(/*full=*/true);
}

bool EnginePropertyTest::HasPendingNext(const std::string& run) {
  std::lock_guard lock(feed_mu_);
  for (const auto& p : pending_) {
    if (p->run == run && p->answers == 0) return true;
  }
  return false;
}

bool EnginePropertyTest::Settled(const RunState& s) {
  return !HasPendingNext(s.id) && !MovingByItself(s, History(s.id));
}

// Stricter than settled: no retry backoff may be pending either, whatever came after it
// (a backoff timer that fires after a pause and resume still starts an attempt).
bool EnginePropertyTest::Quiet(const RunState& s) {
  if (!Settled(s)) return false;
  if (s.status == RunStatus::kCompleted || s.status == RunStatus::kCanceled) return true;
  const EventList history = History(s.id);
  for (auto it = history.rbegin(); it != history.rend(); ++it) {
    const Event& e = **it;
    if (e.type == events::kStepStarted || e.type == events::kStepCompleted) return true;
    if (e.type == events::kStepFailed) {
      const json::value d = json::parse(e.data);
      return !d.at("retryable").as_bool() || d.at("attempt").to_number<std::uint32_t>() >=
                                                 s.steps[d.at("index").to_number<std::uint32_t>()].max_attempts;
    }
  }
  return true;
}

void EnginePropertyTest::Settle() {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  for (;;) {
    std::uint64_t seen;
    {
      std::lock_guard lock(feed_mu_);
      seen = feed_count_;
    }
    std::string busy;
    for (const RunState& s : EngineTestPeer::Snapshots(*engine_)) {
      if (!Settled(s)) {
        busy = s.id;
        break;
      }
    }
    if (busy.empty()) break;
    std::unique_lock lock(feed_mu_);
    if (!feed_cv_.wait_until(lock, deadline, [&] { return feed_count_ != seen; })) {
      lock.unlock();
      FAIL() << "run " << busy << " never settled: " << json::serialize(Get(busy))
             << (HasPendingNext(busy) ? " (a run.next is unanswered)" : "");
    }
  }
  ++outcomes_["settled"];
  CheckNextAnswers();
}

// Every answered run.next answered once: a step that has ended, or a conflict.
void EnginePropertyTest::CheckNextAnswers() {
  std::vector<std::shared_ptr<PendingNext>> open;
  std::lock_guard lock(feed_mu_);
  for (const auto& p : pending_) {
    if (p->answers == 0) {
      open.push_back(p);
      continue;
    }
    EXPECT_EQ(p->answers, 1) << "run.next on " << p->run << " answered " << p->answers << " times";
    const Result<json::object> r = ReplyObject(*p->reply);
    Expect("run.next", r);
    if (!r.ok()) continue;
    const std::string step_status(r->at("step").at("status").as_string());
    EXPECT_TRUE(step_status == "completed" || step_status == "failed" || step_status == "aborted")
        << "run.next on " << p->run << " answered before its step ended: " << json::serialize(*r);
    EXPECT_EQ(r->at("run").at("id").as_string(), p->run);
  }
  pending_ = std::move(open);
}

void EnginePropertyTest::CheckAll(bool full) {
  ++checks_;
  const std::vector<RunState> live = EngineTestPeer::Snapshots(*engine_);
  std::set<std::string> ids;
  for (const RunState& s : live) {
    ids.insert(s.id);
    const EventList history = History(s.id);
    auto info = store_->GetStream(s.id);
    ASSERT_OK(info);
    for (const std::string& problem :
         {CheckHistory(*info, history), CheckProjection(s, history, Payloads::kDrop),
          ledger_.Record(history)}) {
      ASSERT_EQ(problem, "");
    }
    if (full) {
      const json::object got = Get(s.id);
      ASSERT_EQ(CheckRunJson(got, History(s.id), RunDetail::kFull), "");
    }
  }
  EXPECT_EQ(ids, std::set<std::string>(runs_.begin(), runs_.end()))
      << "the engine's runs are not the acknowledged ones";
  auto list = Call("run.list", {{"limit", 1000}});
  ASSERT_OK(list);
  const json::array& summaries = list->at("runs").as_array();
  EXPECT_EQ(summaries.size(), runs_.size());
  for (const json::value& v : summaries) {
    const json::object& summary = v.as_object();
    ASSERT_EQ(CheckRunJson(summary, History(std::string(summary.at("id").as_string())),
                           RunDetail::kSummary),
              "");
  }
}

TEST_P(EnginePropertyTest, LiveProjectionsMatchTheLogAndForksLeaveSourcesAlone) {
  constexpr int kOperations = 300;
  for (int op = 0; op < kOperations; ++op) {
    Step(op);
    {
      SCOPED_TRACE(Trace(GetParam(), op));
      CheckAll(/*full=*/false);
    }
    if (HasFatalFailure()) return;
  }
  Settle();
  CheckAll(/*full=*/true);
  // Every autorun run has stopped moving: finished, paused, canceled or switched off.
  for (const RunState& s : EngineTestPeer::Snapshots(*engine_)) {
    const bool movable = s.status == RunStatus::kQueued || s.status == RunStatus::kRunning;
    EXPECT_FALSE(s.autorun && movable) << s.id << " is still on autorun";
  }
  std::string summary;
  for (const auto& [what, n] : outcomes_) summary += "  " + what + ": " + std::to_string(n) + "\n";
  std::printf("seed %u: %zu runs, %zu events, %d checks, %d executor calls\n%s", GetParam(),
              runs_.size(), ledger_.size(), checks_, fake_.calls(), summary.c_str());
  EXPECT_GE(runs_.size(), 24u);
}

INSTANTIATE_TEST_SUITE_P(Seeds, EnginePropertyTest, ::testing::Values(1u, 2u, 3u),
                         [](const auto& seed) { return "seed" + std::to_string(seed.param); });

}  // namespace
}  // namespace forkline::testing
