#pragma once
// Executor name ("builtin", "exec", "llm") -> Executor. WithDefaults() knows "exec";
// the engine registers the others at start-up.
// Thread safety: Register only during set-up; Find may then be called from any thread.

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/executors/executor.h"
#include "eventstore/status.h"

namespace forkline {

class ExecutorRegistry {
 public:
  // A registry with "exec" -> ExecExecutor (default options).
  static ExecutorRegistry WithDefaults();

  // Adds an executor the registry owns. Conflict if the name is taken.
  Status Register(std::string name, std::unique_ptr<Executor> executor);
  // Adds an executor owned elsewhere; it must outlive the registry. Conflict if taken.
  Status Register(std::string name, Executor* executor);

  // nullptr if no executor has that name.
  Executor* Find(std::string_view name) const;
  // Every registered name, sorted.
  std::vector<std::string> Names() const;

 private:
  std::map<std::string, Executor*, std::less<>> by_name_;
  std::vector<std::unique_ptr<Executor>> owned_;
};

}  // namespace forkline
