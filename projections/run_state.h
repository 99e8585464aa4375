#pragma once
// RunState: what the fold of a run's history gives (DESIGN §2, §4 "Run JSON").
// The engine keeps a compact one per run in memory (no input, no step outputs) and
// folds a full one from the log when a client asks for outputs.

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "projections/event_types.h"

namespace forkline {

// An immutable JSON value shared by every copy of the state that holds it: the engine
// copies run states per command, and a definition or an input never changes once
// folded, so a copy costs one reference count instead of a deep copy. Assigning a new
// value replaces the shared one (copies made before keep the old one).
template <typename Json>
class SharedJson {
 public:
  SharedJson() = default;
  SharedJson& operator=(Json&& value) {
    value_ = std::make_shared<const Json>(std::move(value));
    return *this;
  }
  const Json& get() const { return value_ ? *value_ : Empty(); }
  operator const Json&() const { return get(); }  // NOLINT(google-explicit-constructor)
  decltype(auto) operator[](std::size_t i) const { return get()[i]; }  // arrays only
  std::size_t size() const { return get().size(); }
  bool empty() const { return get().empty(); }
  // The shared value itself (null when never assigned), and sharing one that is equal
  // to the current value — e.g. one definition for every run of a kind.
  const std::shared_ptr<const Json>& shared() const { return value_; }
  void Share(std::shared_ptr<const Json> value) { value_ = std::move(value); }

 private:
  static const Json& Empty() {
    static const Json empty;
    return empty;
  }
  std::shared_ptr<const Json> value_;
};

struct StepRecord {
  std::uint32_t index = 0;
  std::string name;
  std::string executor;
  StepStatus status = StepStatus::kPending;
  std::uint32_t attempt = 0;  // 0: never started
  std::string started_at;
  std::string ended_at;
  std::int64_t duration_ms = -1;  // -1: not ended
  boost::json::value output;      // completed only; null in compact states
  std::uint64_t output_version = 0;  // version of the step.completed that holds it
  std::string error_code;         // failed only
  std::string error_message;
  bool retryable = false;         // failed only: the failure may be retried
  std::uint32_t max_attempts = 1;
  bool repeatable = true;         // from the definition: safe to run again after a crash
  std::uint32_t failures = 0;       // failed attempts, interrupted ones not counted
  std::uint32_t interruptions = 0;  // attempts failed "interrupted" (a daemon crash)
  std::uint32_t def_index = 0;           // its entry in RunState::definition
  std::optional<std::uint32_t> item;     // foreach: the element it runs over (plan.h)
};

struct ParentLink {
  std::string run_id;
  std::uint32_t at = 0;          // the fork's starting cursor
  std::uint64_t version = 0;     // the source version it branches after
};

struct RunState {
  std::string id;
  std::string kind;
  std::string title;
  RunStatus status = RunStatus::kQueued;
  std::uint32_t cursor = 0;
  bool autorun = false;
  // Autorun was on when the run was paused: resume turns it back on.
  bool autorun_on_resume = false;
  std::uint64_t version = 0;
  std::string created_at;
  std::string updated_at;
  std::optional<ParentLink> parent;
  SharedJson<boost::json::object> input;       // empty in compact states
  SharedJson<boost::json::array> definition;   // the step list from run.created (always kept)
  std::vector<StepRecord> steps;    // the plan (projections/plan.h), latest attempt each
  // Per definition entry: how many steps a foreach step expanded to; -1 not (yet).
  std::vector<std::int64_t> foreach_counts;
  std::optional<std::uint32_t> in_flight;  // index of a started, not yet ended step
  std::string last_error_code;      // of run.failed
  std::string last_error_message;
  std::string head_hash;

  std::uint32_t total_steps() const { return static_cast<std::uint32_t>(steps.size()); }
};

// {status, cursor, autorun, version}: the state each SSE message carries.
struct RunBrief {
  RunStatus status = RunStatus::kQueued;
  std::uint32_t cursor = 0;
  bool autorun = false;
  std::uint64_t version = 0;
};
inline RunBrief BriefOf(const RunState& s) { return {s.status, s.cursor, s.autorun, s.version}; }

}  // namespace forkline
