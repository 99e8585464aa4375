// Who drives a run: taking runs over (after a crash, or from a node that is gone),
// giving leases up, stopping when one is lost, and deciding again after a lost race.
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <algorithm>
#include <cstdio>

#include "daemon/engine/clock.h"
#include "daemon/engine/engine.h"

namespace forkline {

namespace {

constexpr int kMaxRedecisions = 8;  // waits of 5, 10, … 640 ms: about 1.3 s in all

}  // namespace

bool Engine::NeedsDriver(const Entry& entry) {
  const RunState state = entry->Snapshot();
  {
    std::lock_guard lock(entry->mu);
    if (entry->retry_pending) return true;
  }
  const bool movable = state.status == RunStatus::kQueued || state.status == RunStatus::kRunning;
  return state.in_flight || RetryDue(state) ||
         (state.autorun && movable && state.cursor < state.total_steps());
}

bool Engine::Busy(const Entry& entry) {
  std::lock_guard lock(entry->mu);
  return entry->executing || entry->retry_pending;
}

void Engine::TakeOver(const Entry& entry, const SerialQueue::Done& done, int attempt) {
  // An attempt this node runs (or its retry's backoff) is left to finish first: its end
  // decides what comes next.
  if (!accepting_ || Busy(entry) || !NeedsDriver(entry) || !ownership_->Acquire(entry->id).ok()) {
    return done();
  }
  const RunState state = entry->Snapshot();
  auto decision = DecideInterrupted(state, /*shutdown=*/false, {NowString(), "", ""});
  if (!decision.ok() || decision->empty()) {
    if (RetryDue(state)) return ResumeRetry(entry, done);
    MaybeAdvance(entry);
    return done();
  }
  const std::uint32_t index = *state.in_flight;
  const bool retry = WillRetry(state, InterruptedEnd(state, false));
  AppendAsDriver(entry, std::move(decision).value(), [this, entry, index, retry, attempt, done](Status s) {
    if (!s.ok()) {
      std::fprintf(stderr, "forklined: warn: run %s: taking over step %u: %s\n", entry->id.c_str(),
                   index, s.ToString().c_str());
      // The node that ran the step appended after all (its last events had not reached
      // this node yet): look again on them.
      RetryLater(s, attempt, [this, entry, attempt] {
        entry->queue->Post([this, entry, attempt](SerialQueue::Done again) {
          TakeOver(entry, again, attempt + 1);
        });
      });
      return done();
    }
    if (retry) {
      auto next = DecideNextAttempt(entry->Snapshot(), index, {NowString(), "", ""});
      if (next.ok() && !next->empty()) {
        const std::uint32_t att = entry->Snapshot().steps[index].attempt + 1;
        return AppendAsDriver(entry, std::move(next).value(), [this, entry, index, att, done](Status s2) {
          if (s2.ok()) StartStep(entry, index, att);
          done();
        });
      }
    }
    MaybeAdvance(entry);
    done();
  });
}

void Engine::ScheduleScan() {
  std::lock_guard lock(timers_mu_);
  if (!accepting_) return;
  scan_timer_ = std::make_shared<boost::asio::steady_timer>(io_, ownership_->ScanInterval());
  scan_timer_->async_wait([this](boost::system::error_code ec) {
    if (ec || !accepting_) return;
    Scan();
    ScheduleScan();
  });
}

void Engine::Scan() {
  for (const Entry& entry : runs_.All()) {
    const bool needs = NeedsDriver(entry);
    const bool held = ownership_->Held(entry->id).has_value();
    if (needs && !held) {
      entry->queue->Post([this, entry](SerialQueue::Done done) { TakeOver(entry, done); });
    } else if (needs && !Busy(entry)) {
      // Held here, yet no attempt runs and no retry waits: an append failed (the store
      // was unreachable) or another node's command (autorun on, resume) left the run to
      // this node. TakeOver goes on from the log: an attempt in flight there is recorded
      // interrupted, a due retry runs, autorun takes the next step.
      entry->queue->Post([this, entry](SerialQueue::Done done) {
        if (Busy(entry) || !NeedsDriver(entry)) return done();
        std::fprintf(stderr, "forklined: info: run %s: driving it again (held, idle)\n",
                     entry->id.c_str());
        TakeOver(entry, done);
      });
    } else if (!needs && held && ownership_->Idle(entry->id)) {
      // Not needed, and not acquired (by a run.next or autorun) for a whole interval.
      entry->queue->Post([this, entry](SerialQueue::Done done) {
        if (!NeedsDriver(entry) && ownership_->Idle(entry->id)) ownership_->Release(entry->id);
        done();
      });
    }
  }
}

void Engine::OnLeaseLost(const std::string& run_id) {
  std::fprintf(stderr, "forklined: warn: run %s: lease lost; this node stops driving it\n",
               run_id.c_str());
  Entry entry = runs_.Find(run_id);
  if (!entry) return;
  // The executor is told to stop; whatever it returns is not recorded (OnStepEnded).
  std::lock_guard lock(entry->mu);
  if (entry->abort) entry->abort->store(true);
}

void Engine::AppendAsDriver(const Entry& entry, std::vector<NewEvent> events,
                            std::function<void(Status)> then) {
  if (events.empty()) return then(Status::Ok());
  if (!ownership_->Held(entry->id)) {
    return then(Status::Unavailable("this node no longer drives run " + entry->id));
  }
  // A refusal because another node took the lease comes back as kConflict (AppendToRun).
  AppendToRun(entry, std::move(events), std::move(then));
}

bool Engine::Behind(const Entry& entry, std::uint64_t version) {
  if (!ownership_->Shared()) return false;
  auto head = store_.GetStream(entry->id);
  return head.ok() && head->head_version > version;
}

bool Engine::AwaitRun(const std::string& run_id, int attempt, std::function<void()> again) {
  if (!ownership_->Shared() || !store_.GetStream(run_id).ok()) return false;
  return RetryLater(Status::Conflict("not here yet"), attempt, std::move(again));
}

bool Engine::RetryLater(const Status& s, int attempt, std::function<void()> again) {
  if (s.code() != Code::kConflict || attempt >= kMaxRedecisions) return false;
  return After(std::chrono::milliseconds(5) * (1 << attempt), std::move(again));
}

bool Engine::RetryWhileDriving(const Entry& entry, const Status& s, int attempt,
                               std::function<void()> again) {
  if (s.code() != Code::kUnavailable || !ownership_->Shared() || !ownership_->Held(entry->id)) {
    return false;
  }
  return After(std::chrono::milliseconds(50) * (1 << std::min(attempt, 5)), std::move(again));
}

void Engine::StepHandled(const Entry& entry) {
  std::lock_guard lock(entry->mu);
  entry->executing = false;
}

bool Engine::After(std::chrono::milliseconds delay, std::function<void()> fn) {
  if (!accepting_) return false;
  auto timer = std::make_shared<boost::asio::steady_timer>(io_, delay);
  {
    std::lock_guard lock(timers_mu_);  // Shutdown cancels it with the backoffs
    if (!accepting_) return false;
    backoff_timers_.insert(timer);
  }
  timer->async_wait([this, timer, fn = std::move(fn)](boost::system::error_code ec) {
    {
      std::lock_guard lock(timers_mu_);
      backoff_timers_.erase(timer);
    }
    if (!ec && accepting_) fn();
  });
  return true;
}

}  // namespace forkline
