#pragma once
// A small workflow log written through a real store's append path: a two-step run
// (completed), a fork of it at 1 with an edited output, and a third, unrelated run.
// Shared by the audit tool tests.

#include <string>

#include "eventstore/event_store.h"

namespace forkline::testing {

struct SampleRuns {
  std::string source = "r_source";
  std::string fork = "r_fork";
  std::string other = "r_other";
};

// Appends the sample runs to an empty `store`; returns kOk or the first append's error.
Status WriteSampleLog(EventStore& store, const SampleRuns& runs = {});

}  // namespace forkline::testing
