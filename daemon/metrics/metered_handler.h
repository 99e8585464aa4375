#pragma once
// A CommandHandler decorator that records forkline_commands_total{cmd,outcome} and
// forkline_command_seconds{cmd} for every command, whichever front end sent it: wrap
// the engine's handler once and give the wrapper to the ZeroMQ and HTTP front ends.
// Commands not in DESIGN §4 are recorded as cmd="unknown" (clients cannot grow the
// label set). Thread-safe if the wrapped handler is.

#include "daemon/api/command.h"
#include "daemon/metrics/metrics.h"

namespace forkline {

class MeteredCommandHandler final : public CommandHandler {
 public:
  explicit MeteredCommandHandler(CommandHandler& inner, Metrics& metrics = GlobalMetrics())
      : inner_(inner), metrics_(metrics) {}

  void Handle(CommandRequest request, ReplyFn reply) override;

 private:
  CommandHandler& inner_;
  Metrics& metrics_;
};

}  // namespace forkline
