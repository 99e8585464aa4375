#pragma once
// Test helper: runs the five builtin novel actions in order on a text, the way the
// engine would (context.steps filled with the earlier outputs).

#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "daemon/executors/executor.h"

namespace forkline::testing {

struct Pipeline {
  bool ok = false;
  std::string failed_action;  // when !ok
  StepError error;            // when !ok
  boost::json::object ingest, characters, scenes, screenplay, assemble;
};

// `input` gets "text" set to `text`; it may carry title/author already.
Pipeline RunPipeline(std::string_view text, boost::json::object input = {});

// Runs one action on a hand-made context.
StepResult RunAction(std::string_view action, const boost::json::object& context);

// The text of ../shared/corpus/alice.txt (relative to the source dir), or empty.
std::string ReadAlice();

}  // namespace forkline::testing
