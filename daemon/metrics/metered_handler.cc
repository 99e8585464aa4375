#include "daemon/metrics/metered_handler.h"

#include <array>
#include <chrono>
#include <string_view>

namespace forkline {
namespace {

std::string_view KnownCommand(std::string_view cmd) {
  static constexpr std::array<std::string_view, 14> kCommands = {
      "workflows.list", "run.create", "run.get",    "run.list",   "run.next",
      "run.pause",      "run.resume", "run.autorun", "run.cancel", "run.retry",
      "run.fork",       "run.events", "run.lineage", "system.health"};
  for (std::string_view known : kCommands) {
    if (cmd == known) return known;
  }
  return "unknown";
}

}  // namespace

void MeteredCommandHandler::Handle(CommandRequest request, ReplyFn reply) {
  const std::string_view cmd = KnownCommand(request.cmd);  // static storage
  const auto start = std::chrono::steady_clock::now();
  Metrics* metrics = &metrics_;
  inner_.Handle(std::move(request),
                [metrics, cmd, start, reply = std::move(reply)](CommandReply result) {
                  const std::chrono::duration<double> took =
                      std::chrono::steady_clock::now() - start;
                  metrics->CommandDone(cmd, result.ok() ? "ok" : CodeName(result.status().code()),
                                       took.count());
                  reply(std::move(result));
                });
}

}  // namespace forkline
