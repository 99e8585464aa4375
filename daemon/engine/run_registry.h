#pragma once
// RunRegistry: the engine's in-memory index of runs — one RunEntry per run holding its
// compact projected state, its SerialQueue and its step in flight — in creation order,
// with the fork tree. It also bounds what idle runs keep: the full states (input,
// outputs) of only the most recently used runs, and one copy of each distinct
// definition. Thread-safe; each entry has its own mutex.

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <list>
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
  // This node runs an attempt of the run's step: from StartStep until OnStepEnded has
  // recorded its end or given it up. The scan leaves such a run alone.
  bool executing = false;
  // The full state (input, outputs) as last folded for a client or an executor, so the
  // next fold reads only newer events. Dropped when the run ends, and when the run is
  // not among the registry's most recently used full states (RunRegistry::KeepFull).
  std::shared_ptr<const RunState> full_cache;

  RunState Snapshot() {
    std::lock_guard lock(mu);
    return state;
  }
};

class RunRegistry {
 public:
  // How many runs keep their full state (RunEntry::full_cache) at most. Default 128.
  explicit RunRegistry(std::size_t full_states_kept = 128) : full_kept_(full_states_kept) {}

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

  // Notes that `entry` has just stored a full_cache; drops the full_cache of the run
  // least recently noted when more than full_states_kept runs have one. Call without
  // holding any entry's mutex.
  void KeepFull(const std::shared_ptr<RunEntry>& entry);
  // Makes `state` share an equal definition already held by another run of its kind
  // (runs of a kind nearly always have the same one), else remembers its own. Runs'
  // definitions are immutable, so sharing changes nothing but memory.
  void ShareDefinition(RunState& state);

 private:
  mutable std::mutex mu_;  // guards everything below
  std::unordered_map<std::string, std::shared_ptr<RunEntry>> entries_;
  std::vector<std::shared_ptr<RunEntry>> order_;  // durable runs, oldest first
  std::unordered_map<std::string, std::size_t> order_index_;
  std::unordered_map<std::string, std::vector<std::string>> children_;

  mutable std::mutex cache_mu_;  // guards the four below; never held while taking an entry's mu
  const std::size_t full_kept_;
  std::list<std::shared_ptr<RunEntry>> full_lru_;  // most recently noted first
  std::unordered_map<const RunEntry*, std::list<std::shared_ptr<RunEntry>>::iterator> full_pos_;
  // By kind: the distinct definitions seen (a few per kind at most: one per version of
  // its workflow file the log has seen).
  std::unordered_map<std::string, std::vector<std::shared_ptr<const boost::json::array>>>
      definitions_;
};

}  // namespace forkline
