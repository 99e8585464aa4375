#pragma once
// Request logging. LoggingCommandHandler is a CommandHandler decorator that gives every
// command a request id ("rq-<n>", unique in the process) and writes one line when it is
// answered: request_id, origin (zmq | http), cmd, the client's own id (ZeroMQ "id"),
// run_id, the outcome (ok or the error code and message), the run's version after it,
// the command_id its events carry ("<cmd>#<fingerprint>", mutating commands only) and
// the time taken. LogFeedEvents writes one line per durable event of interest with the
// same command_id, so a request ties to the events it appended: same run_id and
// command_id, version <= the version in the reply line.
//
// Never logged: args other than run_id (a run's input, overrides), the auth token, keys.
// Mutating commands and errors log at info, reads at debug. Thread-safe.

#include <atomic>
#include <cstdint>

#include "daemon/api/command.h"
#include "daemon/api/feed.h"

namespace forkline {

class LoggingCommandHandler final : public CommandHandler {
 public:
  explicit LoggingCommandHandler(CommandHandler& inner) : inner_(inner) {}
  void Handle(CommandRequest request, ReplyFn reply) override;

 private:
  CommandHandler& inner_;
  std::atomic<std::uint64_t> next_request_{1};
};

// Subscribes to `feed` and logs run.* events, step.failed and step.aborted at info,
// step.started / step.completed at debug; transient progress never. Returns the
// subscription id (for EventFeed::Unsubscribe).
std::uint64_t LogFeedEvents(EventFeed& feed);

// The top-level "command_id" of an event's wire JSON, or "" (exposed for tests).
std::string CommandIdOf(std::string_view event_json);

}  // namespace forkline
