#pragma once
// Engine: the workflow engine behind every front end. It decides commands against the
// runs' projected state, appends the events, executes steps (one attempt at a time on
// a StepPool), drives autorun, recovers after a crash, and feeds live subscribers.
//
// Threads: Handle may be called from any thread; work runs on `io` (a thread pool the
// daemon owns) and on the StepPool — but with one node a control command (pause, resume,
// autorun, cancel, retry) for an idle run is decided and handed to the store on the
// thread that calls Handle, which may also get its reply there when it is refused. Each run has a SerialQueue: its commands are decided
// one at a time, each after the previous one's events are durable.

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "daemon/api/command.h"
#include "daemon/api/feed.h"
#include "daemon/engine/decider.h"
#include "daemon/engine/idempotency.h"
#include "daemon/engine/ownership.h"
#include "daemon/engine/run_registry.h"
#include "daemon/engine/step_pool.h"
#include "daemon/executors/executor.h"
#include "daemon/workflow/definition.h"
#include "eventstore/event_store.h"
#include "eventstore/listener_set.h"
#include "projections/run_json.h"

namespace forkline {

struct EngineOptions {
  unsigned max_concurrent_steps = 4;               // Default: 4
  std::chrono::seconds step_timeout{300};          // Default: 300 s
  std::size_t max_output_bytes = 8u << 20;         // Default: 8 MiB
  std::chrono::hours idempotency_retention{24};    // Default: 24 h
  std::chrono::milliseconds retry_backoff{200};    // first backoff, doubled per attempt
  std::string version = "0.1.0";                   // reported by system.health
  // Observers for metrics; may be empty. Called from engine threads, must not block.
  std::function<void(std::string_view outcome, double seconds)> on_step_ended;
  std::function<void(std::size_t events)> on_events_durable;
  // Which node drives which run (daemon/engine/ownership.h). Null: this node drives
  // every run (one node on its own store). The engine starts and stops it.
  std::shared_ptr<Ownership> ownership;
};

class Engine final : public CommandHandler, public EventFeed {
 public:
  // `store` and the executors must outlive the engine. `workflows` in listing order.
  Engine(EventStore& store, std::vector<WorkflowDefinition> workflows,
         std::map<std::string, Executor*> executors, EngineOptions options,
         boost::asio::any_io_executor io);
  ~Engine() override;
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Rebuilds every run's projection from the log, records steps that were in flight
  // at a crash as failed ("interrupted"): a repeatable one runs again (WillRetry), one
  // that is not fails the run until a person retries it; resumes autorun.
  Status Start();
  // Stops taking commands (kUnavailable), waits up to `grace` for steps in flight,
  // records the rest aborted, so they run again after a restart, except steps that are
  // not repeatable: those are recorded failed "interrupted" and fail their run.
  void Shutdown(std::chrono::milliseconds grace);

  void Handle(CommandRequest request, ReplyFn reply) override;

  Result<FeedList> ReadRun(std::string_view run_id, std::uint64_t after_version,
                           std::size_t limit) override;
  Result<FeedList> ReadGlobal(std::uint64_t after_position, std::size_t limit) override;
  std::uint64_t Subscribe(Listener listener) override;
  void Unsubscribe(std::uint64_t id) override;

  // The full projection of a run (input and outputs), folded from the log.
  Result<RunState> FullState(std::string_view run_id, std::uint64_t until_version = UINT64_MAX);

 private:
  friend class EngineTestPeer;
  using Entry = std::shared_ptr<RunEntry>;

  // engine_commands.cc: dispatch and the read-only commands. `held`: the `done` of the
  // run's SerialQueue task this runs in (Handle), null when it runs on its own.
  void Dispatch(CommandRequest request, ReplyFn reply, SerialQueue::Done held);
  // The known run an argument `run_id` names, or null.
  Entry RunNamedBy(const boost::json::object& args) const;
  CommandReply DoGet(const boost::json::object& args);
  CommandReply DoList(const boost::json::object& args);
  CommandReply DoEvents(const boost::json::object& args);
  CommandReply DoLineage(const boost::json::object& args);
  CommandReply DoWorkflows();
  CommandReply DoHealth();

  // engine_mutations.cc: commands that append.
  void DoCreate(const CommandRequest& req, const EventMeta& meta, ReplyFn reply);
  void DoFork(const CommandRequest& req, const EventMeta& meta, ReplyFn reply, int attempt = 0);
  // pause, resume, autorun, cancel, retry: decide against the state, append, answer {run}.
  // `attempt` counts re-decisions after another node's append won the race. `held`: the
  // `done` of the run's SerialQueue task the caller runs in; the decision is made in that
  // task (and calls it) rather than in a task of its own.
  void DoControl(CommandRequest req, EventMeta meta, ReplyFn reply, int attempt = 0,
                 SerialQueue::Done held = nullptr);

  // engine_steps.cc: stepping, step execution, retries, autorun.
  void DoNext(const CommandRequest& req, const EventMeta& meta, ReplyFn reply, int attempt = 0);
  void StartStep(const Entry& entry, std::uint32_t index, std::uint32_t attempt);
  void RunStepJob(const Entry& entry, std::uint32_t index, std::uint32_t attempt,
                  std::shared_ptr<std::atomic<bool>> abort);
  void OnStepEnded(const Entry& entry, StepEnd end, SerialQueue::Done done, int attempt = 0);
  // Autorun's next step, if due. `claim`: after a command on this node, which may take
  // the lease from a node that holds it idle (Ownership::Claim).
  void MaybeAdvance(const Entry& entry, int attempt = 0, bool claim = false);
  void AnswerNextWaiter(const Entry& entry, std::uint32_t index);
  // The end of the attempt this node ran is recorded, or given up (RunEntry::executing).
  void StepHandled(const Entry& entry);

  // engine.cc: appends, the store listener, recovery.
  // Appends `events` to the run (expected version = its state's), then calls `then`
  // with the status. Must run inside the run's SerialQueue task.
  void AppendToRun(const Entry& entry, std::vector<NewEvent> events,
                   std::function<void(Status)> then);
  void OnDurable(const EventList& events);
  void Publish(const FeedItemPtr& item);
  void PublishProgress(const Entry& entry, std::uint32_t index, const StepProgress& p);
  Status Recover();

  // engine_ownership.cc: who drives a run (leases with several nodes), lost races.
  // Whether the run needs a driver: a step in flight or due, or autorun with work left.
  bool NeedsDriver(const Entry& entry);
  // Whether the shared store holds events of the run newer than `version` (this node's
  // view of it is stale). False with one node.
  bool Behind(const Entry& entry, std::uint64_t version);
  // Whether this node runs an attempt of the run's step or waits out a retry's backoff.
  bool Busy(const Entry& entry);
  // Inside the run's SerialQueue: becomes its driver if it can, records a step that was
  // in flight (on a dead node, or before a crash) interrupted, resumes a due retry and
  // autorun.
  void TakeOver(const Entry& entry, const SerialQueue::Done& done, int attempt = 0);
  // Every ScanInterval with shared ownership: takes over runs whose driver is gone, drives
  // again a run whose lease this node holds but on which nothing acts here (an append that
  // failed left it so), gives up leases no longer needed.
  void ScheduleScan();
  void Scan();
  void OnLeaseLost(const std::string& run_id);
  // AppendToRun for the run's driver: refused (kUnavailable, nothing appended) unless
  // this node still drives the run; fenced with its lease token.
  void AppendAsDriver(const Entry& entry, std::vector<NewEvent> events,
                      std::function<void(Status)> then);
  // After a lost race (kConflict from the store): calls `again` a little later, once the
  // other node's events have reached this node, and returns true; false when `attempt`
  // has used up the re-decisions.
  bool RetryLater(const Status& s, int attempt, std::function<void()> again);
  // After a driver's append found the store unreachable (kUnavailable): calls `again` a
  // little later (50 ms, doubling up to 1.6 s) and returns true while this node still
  // drives the run (shared ownership only: one node on its own store has no one to hand
  // the run to); false otherwise.
  bool RetryWhileDriving(const Entry& entry, const Status& s, int attempt,
                         std::function<void()> again);
  // Calls `fn` on io_ after `delay` unless the engine shuts down first; false when it
  // already is.
  bool After(std::chrono::milliseconds delay, std::function<void()> fn);
  // A run this node does not know yet but the shared store has (created on another node
  // a moment ago): calls `again` once the feed may have brought it, and returns true.
  bool AwaitRun(const std::string& run_id, int attempt, std::function<void()> again);
  void ResumeRetry(const Entry& entry, const SerialQueue::Done& done);
  std::shared_ptr<RunEntry> NewEntry(const std::string& id);
  CommandResult RunReply(const Entry& entry, RunDetail detail = RunDetail::kFull);
  // {"run": …} (and "step": … when given) written straight to the reply's text: no DOM
  // of the run, no copy of its input or outputs (the front ends send these bytes).
  static CommandResult RenderRun(const RunState& run, RunDetail detail, const RunState& payloads,
                                 const StepRecord* step = nullptr);
  Result<FeedList> RenderHistory(std::string_view run_id, const EventList& history,
                                 std::uint64_t after_version);

  EventStore& store_;
  std::vector<WorkflowDefinition> workflows_;
  std::map<std::string, Executor*> executors_;
  const EngineOptions options_;
  boost::asio::any_io_executor io_;
  RunRegistry runs_;
  IdempotencyIndex idempotency_;
  std::shared_ptr<Ownership> ownership_;
  std::shared_ptr<boost::asio::steady_timer> scan_timer_;  // guarded by timers_mu_
  std::unique_ptr<StepPool> steps_;
  std::uint64_t store_listener_ = 0;
  std::atomic<bool> accepting_{false};
  std::atomic<int> steps_in_flight_{0};
  const std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();

  std::mutex timers_mu_;  // guards backoff_timers_ (retries waiting out their backoff), scan_timer_
  std::set<std::shared_ptr<boost::asio::steady_timer>> backoff_timers_;

  ListenerSet<Listener> feed_listeners_;
};

}  // namespace forkline
