#pragma once
// RunRegistry: the engine's in-memory index of runs — one RunEntry per run holding its
// compact projected state, its SerialQueue and its step in flight — in creation order,
// with the fork tree. Thread-safe; each entry has its own mutex.

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "daemon/api/command.h"
#include "daemon/engine/decider.h"
#include "daemon/engine/serial_queue.h"
#include "projections/run_state.h"

namespace forkline {

struct RunEntry {
  RunEntry(std::string run_id, boost::asio::any_io_executor io)
      : id(std::move(run_id)), queue(std::make_shared<SerialQueue>(std::move(io))) {}

  const std::string id;
  const std::shared_ptr<SerialQueue> queue;

  // The run.next that waits for the step in flight.
  struct NextWaiter {
    ReplyFn reply;
    EventMeta meta;
  };

  std::mutex mu;  // guards everything below
  RunState state;                      // compact: no input, no outputs
  std::uint64_t created_position = 0;  // of its run.created / run.forked; 0 until durable
  std::optional<NextWaiter> next_waiter;
  std::shared_ptr<std::atomic<bool>> abort;  // of the attempt in flight
  bool retry_pending = false;  // a retryable failure's next attempt waits out its backoff
  // The full state (input, outputs) as last folded for a client or an executor, so the
  // next fold reads only newer events. Dropped when the run ends, so only runs that
  // still move keep their outputs in memory.
  std::shared_ptr<const RunState> full_cache;

  RunState Snapshot() {
    std::lock_guard lock(mu);
    return state;
  }
};

class RunRegistry {
 public:
  std::shared_ptr<RunEntry> Find(std::string_view id) const;
  // Adds an entry before its first append; invisible to List until MarkDurable.
  void Insert(const std::shared_ptr<RunEntry>& entry);
  void Erase(std::string_view id);
  // Called in position order when a run's first own event is durable.
  void MarkDurable(const std::shared_ptr<RunEntry>& entry, std::uint64_t position,
                   const std::optional<ParentLink>& parent);

  struct Page {
    std::vector<RunState> runs;
    std::optional<std::string> next;
  };
  // Newest first. `after` is the id the previous page ended with; nullopt when it is
  // not a run.
  std::optional<Page> List(std::optional<RunStatus> status, const std::string& kind, const std::string& after,
            std::size_t limit) const;
  std::vector<std::string> Children(const std::string& id) const;
  std::vector<std::shared_ptr<RunEntry>> All() const;
  std::size_t Count() const;

 private:
  mutable std::mutex mu_;  // guards everything below
  std::unordered_map<std::string, std::shared_ptr<RunEntry>> entries_;
  std::vector<std::shared_ptr<RunEntry>> order_;  // durable runs, oldest first
  std::unordered_map<std::string, std::size_t> order_index_;
  std::unordered_map<std::string, std::vector<std::string>> children_;
};

}  // namespace forkline
