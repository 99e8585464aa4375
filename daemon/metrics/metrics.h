#pragma once
// Forkline's own metrics (issue 4, GET /metrics). Every method is thread-safe and cheap
// enough for hot paths: a lock-free label lookup plus one or two relaxed atomics.
//
//   forkline_commands_total{cmd,outcome}   counter   outcome = "ok" or an error code
//   forkline_command_seconds{cmd}          histogram command latency, request to reply
//   forkline_steps_total{outcome}          counter   completed | failed | aborted
//   forkline_step_seconds                  histogram step duration
//   forkline_sse_subscribers               gauge     open SSE streams
//   forkline_sse_disconnects_total{reason} counter   slow | closed | until
//   forkline_events_appended_total         counter
//   forkline_store_sync_seconds            histogram one group-commit sync
//
// Who records what: the command handler (both front ends) records commands, the engine
// steps, the store appends and syncs, the HTTP server SSE subscribers.

#include <cstdint>
#include <string>
#include <string_view>

#include "daemon/metrics/registry.h"

namespace forkline {

class Metrics {
 public:
  Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  void CommandDone(std::string_view cmd, std::string_view outcome, double seconds);
  void StepDone(std::string_view outcome, double seconds);
  void EventsAppended(std::uint64_t n) { events_appended_.Inc(n); }
  void StoreSynced(double seconds) { store_sync_seconds_.Observe(seconds); }
  void SseSubscriberAdded() { sse_subscribers_.Add(1); }
  void SseSubscriberRemoved(std::string_view reason);

  // Everything above in the Prometheus text format (version 0.0.4).
  std::string RenderPrometheus() const { return registry_.Render(); }
  // For metrics other parts of the daemon want to add (register them at start-up).
  Registry& registry() { return registry_; }

 private:
  Registry registry_;
  Family<Counter>& commands_total_;
  Family<Histogram>& command_seconds_;
  Family<Counter>& steps_total_;
  Histogram& step_seconds_;
  Gauge& sse_subscribers_;
  Family<Counter>& sse_disconnects_;
  Counter& events_appended_;
  Histogram& store_sync_seconds_;
};

// The process-wide instance (constructed on first use, never destroyed).
Metrics& GlobalMetrics();

}  // namespace forkline
