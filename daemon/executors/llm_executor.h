#pragma once
// The `llm` executor (DESIGN §6): one chat completion from an OpenAI-compatible endpoint,
// `POST {base_url}/chat/completions` with `stream: true`, over http:// or https://.
//
// * Request: model = step.model, else options.model. Messages: a system message when
//   step.params.system is a string, then the user message step.prompt; both are
//   templates over the context (daemon/executors/prompt_template.h). The other keys of
//   step.params (temperature, max_tokens, response_format, …) are passed through; see
//   BuildChatRequest. `Authorization: Bearer <api_key>` when api_key is not empty.
// * Every token delta of the stream becomes task.progress({delta}); retries are
//   announced as task.progress({message}).
// * Output: {text, model, latency_ms, attempts, usage: {prompt_tokens,
//   completion_tokens} (when the server sent it), finish_reason (when sent), json (JSON
//   mode)}. `model` is the one the server named (else the one asked for); latency_ms is
//   the successful request's, from sending it to the end of the reply. JSON mode
//   (step.params.json == true, or params.response_format.type "json_object" /
//   "json_schema"): the text, without a surrounding ``` fence, parsed as JSON.
// * Failures, as StepResult (code, retryable):
//     HTTP 429, 408, 5xx, connection refused/reset, a reply cut short, an error event
//       in the stream: retried inside this Run with exponential backoff (Retry-After
//       honoured up to backoff_max), at most max_attempts requests in all; then
//       "llm_unavailable", retryable, with the last error
//     another 4xx (bad key, unknown model, …)      -> "llm_error" with the body's message
//     a bad base_url, a failed TLS handshake       -> "llm_error"
//     no byte from the endpoint for options.timeout -> "timeout", retryable
//     task.timeout passed (retries and backoff included) -> "timeout", retryable
//     task.abort set                                -> "aborted"; the connection is closed
//                                                      within about poll_interval
//     a stream chunk that is not chat-completion JSON -> "bad_output"
//     JSON mode and the text is not JSON            -> "bad_output", retryable (a model
//                                                      may well answer better next time)
//     text over task.max_output_bytes               -> "output_too_large"
//     a placeholder naming nothing, an empty prompt -> "bad_prompt" / "bad_definition"
// * The API key is sent only in the Authorization header: never logged, never in
//   outputs or error messages.
// * Thread-safe: Run may be called from several threads at once; each call has its own
//   connection and io_context.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "daemon/executors/executor.h"
#include "daemon/executors/http_stream_client.h"
#include "eventstore/status.h"

namespace forkline {

// Mirrors config's [llm] section (daemon/config/config.h LlmConfig), with the key
// already read from the environment variable it names.
struct LlmOptions {
  // OpenAI-compatible endpoint; "/chat/completions" is appended.
  // Default: "https://api.openai.com/v1".
  std::string base_url = "https://api.openai.com/v1";
  // Model for steps that name none. Default: "gpt-4o-mini".
  std::string model = "gpt-4o-mini";
  // Sent as a Bearer token; "" sends no Authorization header. Default: "".
  std::string api_key;
  // Longest wait for the endpoint to connect, answer or send the next part of the
  // stream (LlmConfig::timeout_s). Default: 120 s.
  std::chrono::milliseconds timeout{120000};
  // Requests per Run for transient failures (429, 408, 5xx, connection errors); 1 = no
  // retry. Default: 3.
  std::uint32_t max_attempts = 3;
  // Wait before the second request, doubled for each later one, capped at backoff_max.
  // Default: 500 ms, 8 s.
  std::chrono::milliseconds backoff_initial{500};
  std::chrono::milliseconds backoff_max{8000};
  // Ask for token usage in the stream (stream_options.include_usage). Some older
  // compatible servers refuse the key. Default: true.
  bool include_usage = true;
  // https: check the certificate against the system CAs and ca_file (PEM) when set.
  // Default: true, "".
  bool verify_tls = true;
  std::string ca_file;
  // Longest single server-sent event accepted. Default: 1 MiB.
  std::size_t max_event_bytes = 1 << 20;
  // How often, at most, abort and the limits are checked. Default: 20 ms.
  std::chrono::milliseconds poll_interval{20};
};

class LlmExecutor final : public Executor {
 public:
  explicit LlmExecutor(LlmOptions options);

  // Ok, or BadRequest saying why options.base_url is unusable (Run then fails every
  // step with "llm_error"). For a warning at start-up.
  Status CheckOptions() const { return endpoint_.ok() ? Status::Ok() : endpoint_.status(); }

  // REQUIRES: task.step.prompt is not empty (else "bad_definition").
  // task.timeout <= 0 and task.max_output_bytes == 0 mean no limit.
  StepResult Run(const StepTask& task) override;

 private:
  const LlmOptions options_;
  const Result<HttpEndpoint> endpoint_;
};

}  // namespace forkline
