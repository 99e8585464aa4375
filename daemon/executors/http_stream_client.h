#pragma once
// One blocking HTTP/1.1 POST over TCP or TLS whose response body is handed over piece by
// piece as it arrives (for server-sent events), stoppable at any moment. Used by the
// `llm` executor; Beast and OpenSSL stay in the .cc file.
//
// Each call owns a private io_context, runs on the calling thread, and closes its
// connection before it returns (no keep-alive). Thread-safe: calls share nothing.

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "eventstore/status.h"

namespace forkline {

struct HttpEndpoint {
  bool tls = false;
  std::string host;
  std::string port;  // "80" / "443" unless the URL names one
  std::string path;  // starts with '/'
};

// "http[s]://host[:port][/prefix]" + `suffix` ("/chat/completions"): a trailing '/' of
// the prefix is dropped. BadRequest for another scheme, no host, a query or a fragment.
Result<HttpEndpoint> ParseEndpoint(std::string_view base_url, std::string_view suffix);

struct HttpPost {
  HttpEndpoint endpoint;
  std::vector<std::pair<std::string, std::string>> headers;  // besides Host, Content-*
  std::string body;
  std::string content_type = "application/json";
  // TLS: check the server's certificate and name against the system's CAs and, when not
  // empty, the PEM file `ca_file`.
  bool verify_tls = true;
  std::string ca_file;
};

struct HttpLimits {
  // No byte moved for this long (connect, TLS, writing, waiting for the header or the next
  // piece of the body) -> kStalled.
  std::chrono::milliseconds idle_timeout{120000};
  // The whole call must end by then -> kDeadline. Default: none.
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  // Checked every poll_interval: when set, the connection is closed -> kAborted.
  const std::atomic<bool>* abort = nullptr;
  std::chrono::milliseconds poll_interval{20};
};

struct HttpResponseHead {
  unsigned status = 0;
  std::string content_type;  // as sent, e.g. "text/event-stream; charset=utf-8"
  std::string retry_after;   // the Retry-After header, "" if none
};

struct HttpHandlers {
  // After the response header. Return false to stop (kStopped).
  std::function<bool(const HttpResponseHead&)> on_head;
  // For each piece of the (de-chunked) body, in order. Return false to stop (kStopped).
  std::function<bool(std::string_view)> on_body;
};

enum class HttpEnd {
  kComplete,       // the whole response was read
  kStopped,        // a handler returned false
  kConnectFailed,  // name resolution or TCP connect failed
  kTlsFailed,      // the TLS handshake failed (e.g. the certificate was refused)
  kBroken,         // the connection failed or closed before the response was complete
  kStalled,        // idle_timeout passed without progress
  kDeadline,       // limits.deadline passed
  kAborted,        // limits.abort was set
};

struct HttpOutcome {
  HttpEnd end = HttpEnd::kComplete;
  std::string message;  // what failed, for kConnectFailed, kTlsFailed and kBroken
};

// Sends `post` and reads the response, calling `handlers` as it goes. Never throws.
HttpOutcome StreamingPost(const HttpPost& post, const HttpLimits& limits,
                          const HttpHandlers& handlers);

}  // namespace forkline
