#pragma once
// A CommandHandler for HTTP tests: records every request; answers with a canned reply
// per command (default: {"cmd": <cmd>, "args": <args>, "key": <key>}); for commands
// marked Defer() it keeps the ReplyFn so a test can answer later from another thread.
// Thread-safe.

#include <boost/json.hpp>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "daemon/api/command.h"

namespace forkline::testing {

class FakeCommandHandler : public CommandHandler {
 public:
  void Handle(CommandRequest request, ReplyFn reply) override {
    std::unique_lock lock(mu_);
    requests_.push_back(request);
    if (deferred_cmds_.count(request.cmd) > 0) {
      deferred_.push_back(std::move(reply));
      cv_.notify_all();
      return;
    }
    auto it = canned_.find(request.cmd);
    CommandReply answer = it != canned_.end() ? it->second : Echo(request);
    lock.unlock();
    reply(std::move(answer));
  }

  void SetReply(const std::string& cmd, CommandReply reply) {
    std::lock_guard lock(mu_);
    canned_.insert_or_assign(cmd, std::move(reply));
  }
  void Defer(const std::string& cmd) {
    std::lock_guard lock(mu_);
    deferred_cmds_.insert(cmd);
  }
  // Waits (bounded, as a hang guard) until a deferred request arrived; returns its reply.
  ReplyFn TakeDeferred() {
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, std::chrono::seconds(30), [&] { return !deferred_.empty(); })) {
      return nullptr;
    }
    ReplyFn fn = std::move(deferred_.front());
    deferred_.pop_front();
    return fn;
  }
  std::vector<CommandRequest> requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }
  CommandRequest last() const {
    std::lock_guard lock(mu_);
    return requests_.empty() ? CommandRequest{} : requests_.back();
  }

  static CommandReply Echo(const CommandRequest& r) {
    boost::json::object result;
    result["cmd"] = r.cmd;
    result["args"] = r.args;
    result["key"] = r.key;
    return result;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<CommandRequest> requests_;
  std::map<std::string, CommandReply> canned_;
  std::set<std::string> deferred_cmds_;
  std::deque<ReplyFn> deferred_;
};

}  // namespace forkline::testing
