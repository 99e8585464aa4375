#pragma once
// Workflow kinds: an ordered list of steps, each naming an executor (DESIGN §6).
// A definition is copied into `run.created`, so later config changes never alter
// existing runs; ToJson/FromJson are that stored form.

#include <cstdint>
#include <string>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "eventstore/status.h"

namespace forkline {

struct StepDefinition {
  std::string name;               // unique within the kind
  std::string executor;           // "builtin" | "exec" | "llm"
  std::string action;             // builtin: "novel.ingest", …
  std::vector<std::string> argv;  // exec: program and arguments, no shell
  std::string workdir;            // exec: folder relative argv[0] resolves against (the file's)
  std::string prompt;             // llm: template over the context
  std::string model;              // llm: optional per-step model
  // Optional context path (e.g. "steps.scenes.scenes") naming an array the engine may
  // run the step over, one element at a time; kept verbatim. "": the step runs once.
  std::string foreach;
  std::uint32_t max_attempts = 1;  // retryable failures only
  std::uint32_t timeout_s = 0;     // 0: engine.step_timeout_s
  // Safe to run again when a daemon crash left an attempt's outcome unknown. false (a
  // step with side effects: posting, paying, publishing) makes such a step wait for a
  // person (run.retry) instead of being started again.
  bool repeatable = true;
  boost::json::object params;      // free-form, passed as step.params

  bool operator==(const StepDefinition&) const = default;
};

struct WorkflowDefinition {
  std::string kind;  // [a-z0-9_]+
  std::string description;
  std::vector<StepDefinition> steps;
  std::string source;  // the file it came from, or "builtin"

  bool operator==(const WorkflowDefinition&) const = default;
};

// The stored form of a step: {name, executor, max_attempts, timeout_s, params} plus
// action, argv, workdir, prompt, model and foreach when they are not empty, and
// "repeatable": false when it is false (a stored step without it is repeatable).
// StepFromJson(ToJson(s)) == s and ToJson(StepFromJson(ToJson(s))) == ToJson(s).
// StepFromJson refuses wrong types and missing name/executor (BadRequest) and ignores
// keys it does not know, so runs stored by a newer daemon still load.
boost::json::object ToJson(const StepDefinition& step);
Result<StepDefinition> StepFromJson(const boost::json::value& json);
// The `definition` stored in run.created: the step list.
boost::json::array StepsToJson(const std::vector<StepDefinition>& steps);
Result<std::vector<StepDefinition>> StepsFromJson(const boost::json::value& json);

}  // namespace forkline
