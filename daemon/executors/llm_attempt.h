#pragma once
// One HTTP request of an `llm` step (daemon/executors/llm_executor.h): reads the reply
// as it streams in, reports deltas, and classifies how the request ended. Internal to
// LlmExecutor; one instance per request, used on one thread.

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "daemon/executors/chat_stream.h"
#include "daemon/executors/executor.h"
#include "daemon/executors/http_stream_client.h"

namespace forkline {

struct AttemptEnd {
  enum class Kind {
    kSuccess,    // chat() holds the reply
    kTransient,  // worth another request: `message`, `retry_after`
    kFailed,     // `failure` is the step's result
  };
  Kind kind = Kind::kSuccess;
  std::string message;
  std::optional<std::chrono::milliseconds> retry_after;
  StepResult failure;
};

class LlmAttempt {
 public:
  // `progress` gets each delta; text beyond `max_output_bytes` (0: no limit) stops the
  // request. `timeout` is the idle limit, for messages.
  LlmAttempt(const ProgressFn& progress, std::size_t max_output_bytes, std::size_t max_event_bytes,
             std::chrono::milliseconds timeout);

  // The handlers to give StreamingPost.
  HttpHandlers Handlers();
  // How the request ended, given StreamingPost's outcome.
  AttemptEnd Finish(const HttpOutcome& outcome);

  const ChatAccumulator& chat() const { return chat_; }

 private:
  enum class Mode { kStream, kWholeBody, kErrorBody };

  bool OnHead(const HttpResponseHead& head);
  bool OnBody(std::string_view bytes);
  Status OnEvent(std::string_view data);
  AttemptEnd FromStatus(const Status& status) const;
  AttemptEnd FinishComplete();
  AttemptEnd FinishHttpError() const;

  const ProgressFn& progress_;
  const std::size_t max_output_bytes_;
  const std::chrono::milliseconds timeout_;
  SseParser sse_;
  ChatAccumulator chat_;
  Mode mode_ = Mode::kStream;
  HttpResponseHead head_;
  std::string body_;    // kWholeBody / kErrorBody: the reply, up to a limit
  Status stop_reason_;  // why a handler stopped the request
};

}  // namespace forkline
