#pragma once
// The daemon's configuration (DESIGN §7): one TOML file, every key optional, then
// environment overrides named FORKLINE_<SECTION>_<KEY> (FORKLINE_HTTP_BIND,
// FORKLINE_STORE_PATH; the top-level key as FORKLINE_WORKFLOWS_DIR).
//
// LoadConfig refuses an unknown section or key, a value of the wrong type and a value out
// of range with BadRequest naming the key and "file:line" (or the environment variable).
// Environment variables starting with FORKLINE_ that name no key are ignored: the CLI
// has variables of its own (FORKLINE_CONNECT, FORKLINE_TOKEN, …).
// Relative paths stay as written; the daemon resolves them against its working folder.
// config/forkline.toml shows every key with its default.

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "eventstore/status.h"

namespace forkline {

struct StoreConfig {
  // "rocksdb" (embedded, one node) or "postgres" (several nodes share one store).
  // Default: "rocksdb".
  std::string backend = "rocksdb";
  // RocksDB: the data folder. Default: "data".
  std::string path = "data";
  // PostgreSQL connection string, required when backend = "postgres"
  // ("postgresql://user:pass@host/db"). Default: "".
  std::string postgres_url;
  // PostgreSQL schema that holds the store's tables (a quoted identifier, so any name of
  // 1..63 bytes; several deployments or tests can share one database). Default: "forkline".
  std::string postgres_schema = "forkline";
  // PostgreSQL: this node's name in run leases; must differ between running nodes (a
  // node that starts with the name of one that died takes its leases at once rather than
  // after lease_ttl_s). At most 128 bytes. Default: "" (<hostname>-<pid>).
  std::string node_id;
  // PostgreSQL: a node drives a run (autorun, a step in flight) while it holds its lease;
  // it renews every lease_ttl_s/3 and stops acting for a run after lease_ttl_s*4/5
  // without a renewal; another node takes the run over once it expired. Range 2..3600.
  // Default: 10.
  std::uint32_t lease_ttl_s = 10;

  bool operator==(const StoreConfig&) const = default;
};

struct ZmqConfig {
  // ROUTER endpoint. Default: "tcp://127.0.0.1:7710" (loopback only).
  std::string bind = "tcp://127.0.0.1:7710";
  // Larger requests are answered `too_large`. Range 1 KiB..1 GiB. Default: 16 MiB.
  std::size_t max_message_bytes = 16u << 20;
  // CURVE: the server's key pair as 40-character Z85 strings. Both or neither; when set,
  // the socket only accepts encrypted clients. Default: "" (no encryption).
  std::string curve_server_secret_key;
  std::string curve_server_public_key;
  // Z85 public keys of the clients allowed in; empty: any client that knows the server
  // key. Needs the server keys. In the environment: comma-separated. Default: [].
  std::vector<std::string> curve_allowed_client_keys;

  bool operator==(const ZmqConfig&) const = default;
};

struct HttpConfig {
  // "host:port" of the HTTP/SSE listener. Default: "127.0.0.1:7711" (loopback only).
  std::string bind = "127.0.0.1:7711";
  // Seconds between `: keepalive` comments on SSE streams. Range 1..3600. Default: 15.
  std::uint32_t sse_keepalive_s = 15;
  // Larger request bodies get 413. Range 1 KiB..1 GiB. Default: 16 MiB.
  std::size_t max_body_bytes = 16u << 20;
  // A connection idle this long (no request, no read progress) is closed; SSE streams
  // are kept alive by keepalives. Range 1..86400. Default: 60.
  std::uint32_t idle_timeout_s = 60;
  // Frames queued for one SSE subscriber before it is cut off (it resumes with
  // Last-Event-ID). Range 1..1000000. Default: 1024.
  std::uint32_t sse_queue_limit = 1024;
  // Once a request has begun, its request line and headers must arrive within this many
  // seconds (or idle_timeout_s, if shorter) or the connection is closed (slowloris).
  // Range 1..3600. Default: 10.
  std::uint32_t header_timeout_s = 10;
  // Host header values accepted ("name", "name:port", "[::1]", "*"); others get 403
  // (DNS rebinding). Empty: with a loopback `bind`, localhost, 127.0.0.1 and [::1] on
  // any port plus the bind host; with any other `bind`, every host. In the environment:
  // comma-separated. Default: [].
  std::vector<std::string> allowed_hosts;
  // Folder with the web UI's static files served under `/`. Default: "web".
  std::string web_dir = "web";

  bool operator==(const HttpConfig&) const = default;
};

struct AuthConfig {
  // Shared token required on every command and /v1 request when non-empty. After
  // LoadConfig it holds the effective token (read from `token_env` when that is set).
  // Default: "" (no authentication).
  std::string token;
  // Name of an environment variable holding the token; it must be set and non-empty.
  // Not together with `token`. Default: "".
  std::string token_env;

  bool operator==(const AuthConfig&) const = default;
};

struct EngineConfig {
  // Steps executing at once across all runs. Range 1..1024. Default: 4.
  std::uint32_t max_concurrent_steps = 4;
  // Limit for one step attempt unless the step sets timeout_s. Range 1..604800.
  // Default: 300.
  std::uint32_t step_timeout_s = 300;
  // A larger step output fails the step ("output_too_large"). Range 1 KiB..1 GiB.
  // Default: 8 MiB.
  std::size_t max_output_bytes = 8u << 20;
  // On SIGTERM/SIGINT, in-flight steps get this long to end before they are aborted.
  // Range 0..3600. Default: 10.
  std::uint32_t shutdown_grace_s = 10;
  // How long an idempotency key is remembered (across restarts). Range 1..8760.
  // Default: 24.
  std::uint32_t idempotency_retention_h = 24;

  bool operator==(const EngineConfig&) const = default;
};

struct LlmConfig {
  // OpenAI-compatible endpoint; "/chat/completions" is appended.
  // Default: "https://api.openai.com/v1".
  std::string base_url = "https://api.openai.com/v1";
  // Model for llm steps that name none. Default: "gpt-4o-mini".
  std::string model = "gpt-4o-mini";
  // Environment variable holding the API key (sent as a Bearer token; none if unset).
  // Default: "OPENAI_API_KEY".
  std::string api_key_env = "OPENAI_API_KEY";
  // Limit for one HTTP request to the endpoint. Range 1..3600. Default: 120.
  std::uint32_t timeout_s = 120;

  bool operator==(const LlmConfig&) const = default;
};

struct LogConfig {
  // "trace" | "debug" | "info" | "warn" | "error". Default: "info".
  std::string level = "info";
  // "text" (one human-readable line) | "json" (one JSON object a line). Default: "text".
  std::string format = "text";

  bool operator==(const LogConfig&) const = default;
};

struct Config {
  StoreConfig store;
  ZmqConfig zmq;
  HttpConfig http;
  AuthConfig auth;
  EngineConfig engine;
  LlmConfig llm;
  LogConfig log;
  // Folder of workflow definitions (*.toml, DESIGN §6); a missing folder is no error.
  // Default: "config/workflows".
  std::string workflows_dir = "config/workflows";

  bool operator==(const Config&) const = default;
};

// Reads `path` (empty: defaults only) and applies the FORKLINE_* overrides from `env`.
// Errors (all BadRequest): unreadable file, TOML syntax ("file:line:col: …"), unknown
// section or key, wrong type or out-of-range value ("file:line: http.sse_keepalive_s:
// …"), bad environment value ("FORKLINE_HTTP_SSE_KEEPALIVE_S: …"), inconsistent keys.
Result<Config> LoadConfig(const std::string& path, const std::map<std::string, std::string>& env);

// The process environment as a map (for LoadConfig).
std::map<std::string, std::string> CurrentEnvironment();

}  // namespace forkline
