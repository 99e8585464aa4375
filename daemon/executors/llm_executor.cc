#include "daemon/executors/llm_executor.h"

#include <algorithm>
#include <cctype>
#include <thread>
#include <utility>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "daemon/executors/chat_stream.h"
#include "daemon/executors/llm_attempt.h"
#include "daemon/executors/prompt_template.h"

namespace forkline {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

bool WantsJson(const boost::json::object& params) {
  if (auto it = params.find("json"); it != params.end() && it->value().is_bool()) {
    return it->value().get_bool();
  }
  auto it = params.find("response_format");
  if (it == params.end() || !it->value().is_object()) return false;
  const auto& format = it->value().get_object();
  auto type = format.find("type");
  return type != format.end() && type->value().is_string() &&
         (type->value().get_string() == "json_object" ||
          type->value().get_string() == "json_schema");
}

// The text without surrounding whitespace and ``` / ```json fences.
std::string_view StripFence(std::string_view text) {
  auto trim = [](std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) {
      s.remove_prefix(1);
    }
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) {
      s.remove_suffix(1);
    }
    return s;
  };
  text = trim(text);
  if (text.size() >= 6 && text.substr(0, 3) == "```" && text.substr(text.size() - 3) == "```") {
    text = text.substr(3, text.size() - 6);
    const std::size_t nl = text.find('\n');
    if (nl != std::string_view::npos) text.remove_prefix(nl + 1);  // the "json" tag line
    text = trim(text);
  }
  return text;
}

// Waits `delay`, or less when abort is set or the deadline comes first. False then.
bool Backoff(milliseconds delay, const std::atomic<bool>& abort, Clock::time_point deadline,
             milliseconds poll) {
  const auto until = Clock::now() + delay;
  if (until >= deadline) return false;
  while (Clock::now() < until) {
    if (abort.load()) return false;
    std::this_thread::sleep_for(std::min<Clock::duration>(poll, until - Clock::now()));
  }
  return !abort.load();
}

Result<std::string> RequestBody(const StepTask& task, const std::string& model,
                                bool include_usage) {
  auto prompt = RenderPrompt(task.step.prompt, task.context);
  if (!prompt.ok()) return prompt.status();
  std::string system;
  const auto& params = task.step.params;
  if (auto it = params.find("system"); it != params.end() && it->value().is_string()) {
    auto rendered = RenderPrompt(it->value().get_string(), task.context);
    if (!rendered.ok()) return rendered.status();
    system = std::move(*rendered);
  }
  return boost::json::serialize(BuildChatRequest(model, system, *prompt, params, include_usage));
}

StepResult Output(const ChatAccumulator& chat, const std::string& asked_model, bool json,
                  milliseconds latency, std::uint32_t attempts) {
  boost::json::object out;
  out["text"] = chat.text();
  out["model"] = chat.model().empty() ? asked_model : chat.model();
  out["latency_ms"] = latency.count();
  out["attempts"] = attempts;
  if (chat.usage()) {
    out["usage"] = boost::json::object{{"prompt_tokens", chat.usage()->prompt_tokens},
                                       {"completion_tokens", chat.usage()->completion_tokens}};
  }
  if (!chat.finish_reason().empty()) out["finish_reason"] = chat.finish_reason();
  if (json) {
    boost::system::error_code ec;
    boost::json::value parsed = boost::json::parse(StripFence(chat.text()), ec);
    if (ec) {
      std::string excerpt = chat.text().substr(0, 200);
      return StepResult::Failure("bad_output",
                                 "the step asks for JSON but the model's text is not JSON (" +
                                     ec.message() + "): " + excerpt,
                                 true);
    }
    out["json"] = std::move(parsed);
  }
  return StepResult::Success(std::move(out));
}

HttpPost MakePost(const HttpEndpoint& endpoint, std::string body, const LlmOptions& options) {
  HttpPost post;
  post.endpoint = endpoint;
  post.body = std::move(body);
  post.headers.emplace_back("Accept", "text/event-stream");
  if (!options.api_key.empty()) {
    post.headers.emplace_back("Authorization", "Bearer " + options.api_key);
  }
  post.verify_tls = options.verify_tls;
  post.ca_file = options.ca_file;
  return post;
}

HttpLimits MakeLimits(const StepTask& task, const LlmOptions& options) {
  HttpLimits limits;
  limits.idle_timeout = options.timeout;
  if (task.timeout.count() > 0) limits.deadline = Clock::now() + task.timeout;
  limits.abort = &task.abort;
  limits.poll_interval = options.poll_interval;
  return limits;
}

void ReportRetry(const StepTask& task, const std::string& error, milliseconds delay) {
  if (!task.progress) return;
  task.progress(StepProgress{
      "model endpoint: " + error + "; retrying in " + std::to_string(delay.count()) + " ms", "",
      std::nullopt});
}

}  // namespace

LlmExecutor::LlmExecutor(LlmOptions options)
    : options_(std::move(options)),
      endpoint_(ParseEndpoint(options_.base_url, "/chat/completions")) {}

StepResult LlmExecutor::Run(const StepTask& task) {
  if (!endpoint_.ok()) {
    return StepResult::Failure("llm_error", "llm.base_url: " + endpoint_.status().message());
  }
  if (task.step.prompt.empty()) {
    return StepResult::Failure("bad_definition", "llm step '" + task.step.name + "' has no prompt");
  }
  const std::string model = task.step.model.empty() ? options_.model : task.step.model;
  auto body = RequestBody(task, model, options_.include_usage);
  if (!body.ok()) return StepResult::Failure("bad_prompt", body.status().message());
  const HttpPost post = MakePost(*endpoint_, std::move(*body), options_);
  const HttpLimits limits = MakeLimits(task, options_);

  const std::uint32_t max_attempts = std::max<std::uint32_t>(1, options_.max_attempts);
  milliseconds backoff = options_.backoff_initial;
  std::string last_error;
  for (std::uint32_t attempt = 1; attempt <= max_attempts; ++attempt) {
    const auto started = Clock::now();
    LlmAttempt request(task.progress, task.max_output_bytes, options_.max_event_bytes,
                       options_.timeout);
    AttemptEnd end = request.Finish(StreamingPost(post, limits, request.Handlers()));
    if (end.kind == AttemptEnd::Kind::kFailed) return std::move(end.failure);
    if (end.kind == AttemptEnd::Kind::kSuccess) {
      const auto latency = std::chrono::duration_cast<milliseconds>(Clock::now() - started);
      return Output(request.chat(), model, WantsJson(task.step.params), latency, attempt);
    }
    last_error = std::move(end.message);
    if (attempt == max_attempts) break;
    const milliseconds delay =
        end.retry_after ? std::min(*end.retry_after, options_.backoff_max) : backoff;
    backoff = std::min(backoff * 2, options_.backoff_max);
    ReportRetry(task, last_error, delay);
    if (!Backoff(delay, task.abort, limits.deadline, options_.poll_interval)) {
      if (task.abort.load()) return StepResult::Failure("aborted", "step aborted");
      return StepResult::Failure(
          "timeout", "the step's timeout leaves no time to retry after: " + last_error, true);
    }
  }
  return StepResult::Failure(
      "llm_unavailable",
      "the model endpoint failed " + std::to_string(max_attempts) + " time(s); last: " + last_error,
      true);
}

}  // namespace forkline
