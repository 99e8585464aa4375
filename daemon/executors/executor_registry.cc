#include "daemon/executors/executor_registry.h"

#include <utility>

#include "daemon/executors/exec_executor.h"

namespace forkline {

ExecutorRegistry ExecutorRegistry::WithDefaults() {
  ExecutorRegistry registry;
  Status s = registry.Register("exec", std::make_unique<ExecExecutor>());
  (void)s;  // an empty registry has no "exec" yet
  return registry;
}

Status ExecutorRegistry::Register(std::string name, std::unique_ptr<Executor> executor) {
  FL_RETURN_IF_ERROR(Register(std::move(name), executor.get()));
  owned_.push_back(std::move(executor));
  return Status::Ok();
}

Status ExecutorRegistry::Register(std::string name, Executor* executor) {
  if (executor == nullptr) return Status::Internal("executor '" + name + "' is null");
  if (by_name_.count(name) != 0) {
    return Status::Conflict("executor '" + name + "' is already registered");
  }
  by_name_.emplace(std::move(name), executor);
  return Status::Ok();
}

Executor* ExecutorRegistry::Find(std::string_view name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : it->second;
}

std::vector<std::string> ExecutorRegistry::Names() const {
  std::vector<std::string> names;
  for (const auto& [name, executor] : by_name_) {
    names.push_back(name);
  }
  return names;
}

}  // namespace forkline
