#pragma once
// IdempotencyIndex: idempotency keys of mutating commands (DESIGN §2). The same key
// with the same command and arguments gets the first answer again without a second
// effect; with other arguments it is kConflict. A command still running holds its key:
// a repeat waits for its answer. Keys come back from the log after a restart (events
// carry `key`, and `command_id` = "<cmd>#<fingerprint of the arguments>").
// Thread-safe.

#include <boost/json/object.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "daemon/api/command.h"

namespace forkline {

// "<cmd>#<16 hex>": the command and a fingerprint of its arguments (keys sorted).
std::string CommandId(const std::string& cmd, const boost::json::object& args);

class IdempotencyIndex {
 public:
  enum class Outcome { kFirst, kAnswered, kWaiting, kConflict };
  // Claims `key` for a command. kFirst: run it and call Finish. kAnswered: `replay` is
  // set (or `from_log` when only the log knows it). kWaiting: `reply` will be called by
  // Finish of the first command. kConflict: the key was used with other arguments.
  Outcome Begin(const std::string& key, const std::string& command_id, const ReplyFn& reply,
                std::optional<CommandReply>* replay, std::optional<std::pair<std::string, std::uint64_t>>* from_log);
  // The first command's answer. Errors release the key (nothing was appended).
  void Finish(const std::string& key, const CommandReply& reply);
  // From the log: `key` appended events to run_id up to `version` at time `at`.
  void Recover(const std::string& key, const std::string& command_id, const std::string& run_id,
               std::uint64_t version, std::chrono::system_clock::time_point at);
  // Recover for a key seen in the log while running (another node used it): ignored
  // when this node ran the command itself (it has the answer, or will have it).
  void Observe(const std::string& key, const std::string& command_id, const std::string& run_id,
               std::uint64_t version, std::chrono::system_clock::time_point at);
  void SetRetention(std::chrono::hours retention) { retention_ = retention; }

 private:
  struct Entry {
    std::string command_id;
    std::optional<CommandReply> reply;
    std::vector<ReplyFn> waiters;
    std::string run_id;  // from the log
    std::uint64_t version = 0;
    std::chrono::system_clock::time_point at;
  };
  void Prune(std::chrono::system_clock::time_point now);

  std::mutex mu_;  // guards entries_
  std::map<std::string, Entry> entries_;
  std::chrono::hours retention_{24};
  std::chrono::system_clock::time_point last_prune_;
};

}  // namespace forkline
