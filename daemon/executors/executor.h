#pragma once
// Executors run one attempt of one step (DESIGN §6). Every executor gets the same
// context JSON and returns an output object or an error.

#include <atomic>
#include <boost/json/object.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>

#include "daemon/workflow/definition.h"

namespace forkline {

struct StepError {
  std::string code;     // e.g. "exit_status", "timeout", "bad_output", "interrupted"
  std::string message;
  bool retryable = false;
};

struct StepResult {
  bool ok = false;
  boost::json::object output;  // when ok
  StepError error;             // when !ok
  static StepResult Success(boost::json::object out) {
    StepResult r;
    r.ok = true;
    r.output = std::move(out);
    return r;
  }
  static StepResult Failure(std::string code, std::string message, bool retryable = false) {
    StepResult r;
    r.error = {std::move(code), std::move(message), retryable};
    return r;
  }
};

// Transient progress of a running step: text and/or a token delta, and a fraction.
struct StepProgress {
  std::string message;
  std::string delta;
  std::optional<double> fraction;
};
using ProgressFn = std::function<void(StepProgress)>;

struct StepTask {
  // {run_id, kind, title, input, step: {index, name, params}, steps: {<name>: <output>}}
  const boost::json::object& context;
  const StepDefinition& step;
  // Set when the step must stop (pause with abort_step, cancel, shutdown). Executors
  // check it often (builtin) or kill their process group (exec) and return soon.
  const std::atomic<bool>& abort;
  ProgressFn progress;                 // may be called from the executing thread
  std::chrono::milliseconds timeout;   // the step's limit; exceeded -> "timeout"
  std::size_t max_output_bytes;        // larger output -> "output_too_large"
};

class Executor {
 public:
  virtual ~Executor() = default;
  // Runs one attempt. Blocking: the engine calls it on a step worker thread.
  virtual StepResult Run(const StepTask& task) = 0;
};

}  // namespace forkline
