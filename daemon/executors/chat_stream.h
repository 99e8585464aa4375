#pragma once
// The wire format of OpenAI-compatible chat completions (`POST …/chat/completions`):
// the request body, the server-sent-event stream of `chat.completion.chunk` objects
// that `stream: true` asks for, and the plain JSON reply of servers that ignore it.
// No I/O; not thread-safe (one instance per response).

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "eventstore/status.h"

namespace forkline {

// The request body: {model, messages: [{role: "system", …}?, {role: "user", …}],
// stream: true, stream_options: {include_usage: true}?, <params…>}. Every key of
// `params` is passed through (temperature, max_tokens, response_format, …) except the
// ones Forkline reads itself (`system`, `json`) or sets itself (`model`, `messages`,
// `stream`). `system` empty: no system message.
boost::json::object BuildChatRequest(std::string_view model, std::string_view system,
                                     std::string_view prompt, const boost::json::object& params,
                                     bool include_usage);

// An incremental text/event-stream parser: bytes in, the `data` of each event out
// (several data lines joined by '\n'). Comments (":…") and other fields are skipped.
class SseParser {
 public:
  using DataFn = std::function<Status(std::string_view data)>;
  // REQUIRES: max_event_bytes > 0.
  explicit SseParser(std::size_t max_event_bytes) : max_event_bytes_(max_event_bytes) {}

  // Parses `bytes`, calling `on_data` for every event completed by them. Returns the
  // first error of `on_data` (parsing stops there), or TooLarge for a line or event
  // longer than max_event_bytes.
  Status Feed(std::string_view bytes, const DataFn& on_data);
  // At the end of the body: dispatches an event left without its closing blank line.
  Status Finish(const DataFn& on_data);

 private:
  Status Line(std::string_view line, const DataFn& on_data);

  const std::size_t max_event_bytes_;
  std::string line_;  // the incomplete last line
  std::string data_;  // the data lines of the event being read
  bool has_data_ = false;
};

struct ChatUsage {
  std::int64_t prompt_tokens = 0;
  std::int64_t completion_tokens = 0;
};

// Folds the events of one streamed completion into its text, model and usage.
class ChatAccumulator {
 public:
  // Consumes one event's data: a chunk ({choices: [{delta: {content}}], model, usage}),
  // "[DONE]", or an error object ({error: {message}}). Sets *delta to the text the chunk
  // adds ("" if none). Errors: BadRequest "malformed chunk …" for data that is not a
  // JSON object of that shape; Unavailable with the server's message for an error
  // object (servers send one when generation fails mid-stream).
  Status Consume(std::string_view data, std::string* delta);
  // Parses a whole non-streamed reply ({choices: [{message: {content}}], model, usage}).
  Status ConsumeCompletion(std::string_view body);

  bool done() const { return done_; }  // "[DONE]" seen (or a whole reply consumed)
  const std::string& text() const { return text_; }
  const std::string& model() const { return model_; }  // "" until a chunk names it
  const std::optional<ChatUsage>& usage() const { return usage_; }
  const std::string& finish_reason() const { return finish_reason_; }

 private:
  void TakeCommon(const boost::json::object& chunk);

  bool done_ = false;
  std::string text_;
  std::string model_;
  std::optional<ChatUsage> usage_;
  std::string finish_reason_;
};

// The message of an error reply body ({error: {message}} or {message} or {detail}), else
// the body itself cut to `limit` bytes.
std::string ErrorMessageOf(std::string_view body, std::size_t limit = 500);

}  // namespace forkline
