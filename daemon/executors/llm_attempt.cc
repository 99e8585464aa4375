#include "daemon/executors/llm_attempt.h"

#include <charconv>

namespace forkline {
namespace {

constexpr std::size_t kMaxErrorBody = 64 * 1024;
constexpr std::size_t kMaxWholeBody = 16 * 1024 * 1024;

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.substr(0, prefix.size()) == prefix;
}

std::optional<std::chrono::milliseconds> ParseRetryAfter(std::string_view value) {
  unsigned seconds = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (ec != std::errc() || end != value.data() + value.size()) return std::nullopt;  // a date
  return std::chrono::milliseconds(std::chrono::seconds(seconds));
}

AttemptEnd Transient(std::string message) {
  AttemptEnd end;
  end.kind = AttemptEnd::Kind::kTransient;
  end.message = std::move(message);
  return end;
}

AttemptEnd Failed(std::string code, std::string message, bool retryable = false) {
  AttemptEnd end;
  end.kind = AttemptEnd::Kind::kFailed;
  end.failure = StepResult::Failure(std::move(code), std::move(message), retryable);
  return end;
}

}  // namespace

LlmAttempt::LlmAttempt(const ProgressFn& progress, std::size_t max_output_bytes,
                       std::size_t max_event_bytes, std::chrono::milliseconds timeout)
    : progress_(progress),
      max_output_bytes_(max_output_bytes),
      timeout_(timeout),
      sse_(max_event_bytes) {}

HttpHandlers LlmAttempt::Handlers() {
  return HttpHandlers{[this](const HttpResponseHead& head) { return OnHead(head); },
                      [this](std::string_view bytes) { return OnBody(bytes); }};
}

bool LlmAttempt::OnHead(const HttpResponseHead& head) {
  head_ = head;
  if (head.status < 200 || head.status > 299) {
    mode_ = Mode::kErrorBody;
  } else if (StartsWith(head.content_type, "application/json")) {
    mode_ = Mode::kWholeBody;  // a server that ignored stream: true
  } else {
    mode_ = Mode::kStream;
  }
  return true;
}

bool LlmAttempt::OnBody(std::string_view bytes) {
  if (mode_ == Mode::kStream) {
    stop_reason_ = sse_.Feed(bytes, [this](std::string_view data) { return OnEvent(data); });
    return stop_reason_.ok();
  }
  const std::size_t limit = mode_ == Mode::kErrorBody ? kMaxErrorBody : kMaxWholeBody;
  body_.append(bytes.substr(0, limit - std::min(limit, body_.size())));
  if (mode_ == Mode::kWholeBody && body_.size() >= limit) {
    stop_reason_ = Status::TooLarge("the reply exceeds " + std::to_string(limit) + " bytes");
    return false;
  }
  return true;  // an error body past its limit is read and dropped
}

Status LlmAttempt::OnEvent(std::string_view data) {
  std::string delta;
  FL_RETURN_IF_ERROR(chat_.Consume(data, &delta));
  if (max_output_bytes_ > 0 && chat_.text().size() > max_output_bytes_) {
    return Status::TooLarge("the model's text exceeded max_output_bytes (" +
                            std::to_string(max_output_bytes_) + ")");
  }
  if (!delta.empty() && progress_) progress_(StepProgress{"", std::move(delta), std::nullopt});
  return Status::Ok();
}

AttemptEnd LlmAttempt::FromStatus(const Status& status) const {
  switch (status.code()) {
    case Code::kUnavailable:
      return Transient(status.message());
    case Code::kTooLarge:
      return Failed("output_too_large", status.message());
    default:
      return Failed("bad_output", status.message());
  }
}

AttemptEnd LlmAttempt::Finish(const HttpOutcome& outcome) {
  switch (outcome.end) {
    case HttpEnd::kAborted:
      return Failed("aborted", "step aborted; the request to the model was closed");
    case HttpEnd::kDeadline:
      return Failed("timeout", "the step's timeout passed while the model was answering", true);
    case HttpEnd::kStalled:
      return Failed("timeout",
                    "no data from the model for " + std::to_string(timeout_.count()) + " ms", true);
    case HttpEnd::kStopped:
      return FromStatus(stop_reason_);
    case HttpEnd::kConnectFailed:
      return Transient(outcome.message);
    case HttpEnd::kTlsFailed:  // a refused certificate does not heal by itself
      return Failed("llm_error", outcome.message);
    case HttpEnd::kBroken:
      if (head_.status != 0 && mode_ == Mode::kErrorBody) return FinishHttpError();
      return Transient(outcome.message);
    case HttpEnd::kComplete:
      break;
  }
  return mode_ == Mode::kErrorBody ? FinishHttpError() : FinishComplete();
}

AttemptEnd LlmAttempt::FinishComplete() {
  if (mode_ == Mode::kWholeBody) {
    Status s = chat_.ConsumeCompletion(body_);
    if (!s.ok()) return FromStatus(s);
    return AttemptEnd{};
  }
  Status s = sse_.Finish([this](std::string_view data) { return OnEvent(data); });
  if (!s.ok()) return FromStatus(s);
  // Without "[DONE]" a reply is whole only if it said why it finished.
  if (!chat_.done() && chat_.finish_reason().empty()) {
    return Transient("the stream ended before its end ([DONE]) after " +
                     std::to_string(chat_.text().size()) + " bytes of text");
  }
  return AttemptEnd{};
}

AttemptEnd LlmAttempt::FinishHttpError() const {
  const unsigned status = head_.status;
  std::string message = "HTTP " + std::to_string(status) + ": " + ErrorMessageOf(body_);
  if (status == 429 || status == 408 || status >= 500) {
    AttemptEnd end = Transient(std::move(message));
    end.retry_after = ParseRetryAfter(head_.retry_after);
    return end;
  }
  return Failed("llm_error", std::move(message));
}

}  // namespace forkline
