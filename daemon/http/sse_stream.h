#pragma once
// What one SSE stream asks for (DESIGN §5) and the WHATWG framing of its messages.
// Transport-free and immutable once built: safe to read from any thread.
//
//   retry: 1000\n\n                       first, once
//   event: <type>\nid: <n>\ndata: <json>\n\n   per event (no id: line for step.progress)
//   : keepalive\n\n                       when idle

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/api/feed.h"
#include "daemon/http/router.h"

namespace forkline {

using Frame = std::shared_ptr<const std::string>;

struct SseRequest {
  bool global = false;         // /v1/events (id = position) vs /v1/runs/{id}/events (version)
  std::string run_id;          // the run of a run stream, or the ?run= filter
  std::string kind;            // ?kind= (global only)
  std::vector<std::string> types;  // ?types=a,b
  std::uint64_t after = 0;     // Last-Event-ID, else ?after=
  bool until_terminal = false; // ?until=terminal (run streams)

  // True when the stream carries `item` (run, kind and type filters).
  bool Wants(const FeedItem& item) const;
  // The id the stream gives a durable item: its version or its position.
  std::uint64_t IdOf(const FeedItem& item) const {
    return global ? item.position : item.version;
  }
};

// The stream asked for by a kRunEvents / kGlobalEvents route. `last_event_id` is the
// header's value (empty when absent); it wins over ?after=. bad_request for ids that are
// not numbers or an unknown ?until= value.
Result<SseRequest> ParseSseRequest(const Route& route, std::string_view last_event_id);

// One message: event, id (unless transient) and data lines. Data containing line
// breaks is split over several data: lines, as the WHATWG parser joins them again.
Frame EncodeFrame(const FeedItem& item, bool id_is_position);
// "retry: 1000\n\n" and ": keepalive\n\n", allocated once.
const Frame& RetryFrame();
const Frame& KeepaliveFrame();

}  // namespace forkline
