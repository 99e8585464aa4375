#pragma once
// The projection fold: a pure function from (state, event) to state. The same code
// serves live updates, rebuilds after a restart, replay and audit.

#include "eventstore/event.h"
#include "eventstore/status.h"
#include "projections/run_state.h"

namespace forkline {

enum class Payloads {
  kKeep,  // keep input and step outputs: the full run for run.get and executors
  kDrop,  // compact: what the engine keeps in memory for every run
};

// Applies one event of the run's history (in version order). An event that does not
// fit the state (a bad payload, a version out of order) is kInternal naming it.
Status Apply(RunState& state, const Event& event, Payloads payloads);

// Folds a whole history (fork prefix included) into a fresh state.
Result<RunState> Fold(const EventList& history, Payloads payloads);

}  // namespace forkline
