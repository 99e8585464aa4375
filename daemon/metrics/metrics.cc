#include "daemon/metrics/metrics.h"

namespace forkline {
namespace {

std::vector<double> LatencyBounds() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
          0.25,   0.5,   1,      2.5,   5,    10,   30,   60,  300};
}

std::vector<double> StepBounds() {
  return {0.001, 0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600};
}

std::vector<double> SyncBounds() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1};
}

}  // namespace

Metrics::Metrics()
    : commands_total_(registry_.AddCounter("forkline_commands_total",
                                           "Commands handled, by command and outcome.",
                                           {"cmd", "outcome"})),
      command_seconds_(registry_.AddHistogram("forkline_command_seconds",
                                              "Command latency from request to reply.",
                                              LatencyBounds(), {"cmd"})),
      steps_total_(registry_.AddCounter("forkline_steps_total",
                                        "Step attempts ended, by outcome.", {"outcome"})),
      step_seconds_(registry_.AddHistogram("forkline_step_seconds",
                                           "Duration of one step attempt.", StepBounds())
                        .With({})),
      sse_subscribers_(
          registry_.AddGauge("forkline_sse_subscribers", "Open SSE streams.").With({})),
      sse_disconnects_(registry_.AddCounter("forkline_sse_disconnects_total",
                                            "SSE streams ended, by reason.", {"reason"})),
      events_appended_(registry_.AddCounter("forkline_events_appended_total",
                                            "Events appended to the log.")
                           .With({})),
      store_sync_seconds_(registry_.AddHistogram("forkline_store_sync_seconds",
                                                 "Latency of one event store sync.",
                                                 SyncBounds())
                              .With({})) {}

void Metrics::CommandDone(std::string_view cmd, std::string_view outcome, double seconds) {
  commands_total_.With({cmd, outcome}).Inc();
  command_seconds_.With({cmd}).Observe(seconds);
}

void Metrics::StepDone(std::string_view outcome, double seconds) {
  steps_total_.With({outcome}).Inc();
  step_seconds_.Observe(seconds);
}

void Metrics::SseSubscriberRemoved(std::string_view reason) {
  sse_subscribers_.Add(-1);
  sse_disconnects_.With({reason}).Inc();
}

Metrics& GlobalMetrics() {
  static Metrics* const metrics = new Metrics();  // never destroyed: used until exit
  return *metrics;
}

}  // namespace forkline
