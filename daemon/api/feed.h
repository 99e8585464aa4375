#pragma once
// The seam between the engine and the SSE streams: events already rendered to their
// wire JSON (DESIGN §5: the canonical event plus `run: {status, cursor, autorun,
// version}`), encoded once and shared by every subscriber.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "eventstore/status.h"

namespace forkline {

struct FeedItem {
  std::string run_id;     // the stream the event belongs to
  std::string kind;       // the run's workflow kind (for ?kind= filters)
  std::string type;       // event type, e.g. "step.completed" or "step.progress"
  std::uint64_t version = 0;   // 0 for transient items
  std::uint64_t position = 0;  // 0 for transient items
  bool transient = false;      // step.progress: no id:, never stored
  bool terminal = false;       // run.completed / run.canceled / run.failed
  std::string json;            // one line of JSON, the `data:` of the SSE message
};
using FeedItemPtr = std::shared_ptr<const FeedItem>;
using FeedList = std::vector<FeedItemPtr>;

class EventFeed {
 public:
  using Listener = std::function<void(const FeedItemPtr&)>;
  virtual ~EventFeed() = default;

  // The run's history (its fork prefix included) after `after_version`, at most
  // `limit` items. kNotFound for an unknown run.
  virtual Result<FeedList> ReadRun(std::string_view run_id, std::uint64_t after_version,
                                   std::size_t limit) = 0;
  // Every run's own events after `after_position` in global order, at most `limit`.
  virtual Result<FeedList> ReadGlobal(std::uint64_t after_position, std::size_t limit) = 0;
  // Live items (durable events in position order, and transient progress) as they
  // happen. Listeners must not block; they may be called from several threads, but
  // durable items always in position order.
  virtual std::uint64_t Subscribe(Listener listener) = 0;
  virtual void Unsubscribe(std::uint64_t id) = 0;
};

}  // namespace forkline
