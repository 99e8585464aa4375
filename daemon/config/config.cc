#include "daemon/config/config.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <exception>
#include <string_view>
#include <utility>
#include <variant>

#include <toml++/toml.h>

extern char** environ;  // NOLINT(readability-redundant-declaration): POSIX, from unistd.h

namespace forkline {
namespace {

constexpr std::int64_t kKiB = 1024;
constexpr std::int64_t kGiB = kKiB * kKiB * kKiB;

using Target = std::variant<std::string*, std::uint32_t*, std::size_t*, std::vector<std::string>*>;
using Value = std::variant<std::string, std::int64_t, std::vector<std::string>>;

// One configurable key: where it lives, where it is stored, what it accepts.
struct Field {
  std::string_view section;  // "" for top-level keys
  std::string_view key;
  Target target;
  std::int64_t min = 0;  // integers only
  std::int64_t max = 0;
  std::vector<std::string_view> choices = {};  // strings only; empty: any
  // Strings and list items: returns what is wrong with a value, or nullptr.
  const char* (*check)(const std::string& value) = nullptr;

  std::string Name() const {
    return section.empty() ? std::string(key) : std::string(section) + "." + std::string(key);
  }
  std::string EnvName() const {
    std::string name = "FORKLINE_";
    if (!section.empty()) name += std::string(section) + "_";
    name += key;
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return name;
  }
  const char* TypeName() const {
    if (std::holds_alternative<std::string*>(target)) return "a string";
    if (std::holds_alternative<std::vector<std::string>*>(target)) return "an array of strings";
    return "an integer";
  }
};

bool IsZ85Key(const std::string& key) {
  static constexpr std::string_view kZ85 =
      "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";
  return key.size() == 40 && std::all_of(key.begin(), key.end(), [](char c) {
           return kZ85.find(c) != std::string_view::npos;
         });
}

const char* Z85KeyProblem(const std::string& key) {
  return key.empty() || IsZ85Key(key) ? nullptr : "is not a 40-character Z85 key";
}

const char* HostPortProblem(const std::string& bind) {
  const auto colon = bind.rfind(':');
  const std::string port = colon == std::string::npos ? "" : bind.substr(colon + 1);
  int n = 0;
  auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), n);
  const bool ok = colon != std::string::npos && colon > 0 && !port.empty() && ec == std::errc() &&
                  ptr == port.data() + port.size() && n >= 0 && n <= 65535;
  return ok ? nullptr : "is not host:port";
}

const char* EndpointProblem(const std::string& endpoint) {
  return endpoint.find("://") != std::string::npos && endpoint.find("://") > 0
             ? nullptr
             : "is not a ZeroMQ endpoint (tcp://host:port)";
}

// A rough check; daemon/http/host_check.h parses entries fully when the server starts.
const char* HostEntryProblem(const std::string& entry) {
  const bool bad = entry.empty() || entry.find_first_of(" \t/@,?#") != std::string::npos;
  return bad ? "is not a host, host:port or \"*\"" : nullptr;
}

const char* NotEmptyProblem(const std::string& value) {
  return value.empty() ? "must not be empty" : nullptr;
}

// PostgreSQL cuts identifiers longer than 63 bytes, which could make two names one.
const char* SchemaNameProblem(const std::string& value) {
  return value.empty() || value.size() > 63 || value.find('\0') != std::string::npos
             ? "must be a name of 1..63 bytes"
             : nullptr;
}

const char* NodeIdProblem(const std::string& value) {
  for (unsigned char ch : value) {
    if (ch < 0x20 || ch == 0x7f) return "must not hold control characters";
  }
  return value.size() > 128 ? "must be at most 128 bytes" : nullptr;
}

std::vector<Field> Fields(Config& c) {
  return {
      {"store", "backend", &c.store.backend, 0, 0, {"rocksdb", "postgres"}},
      {"store", "path", &c.store.path, 0, 0, {}, NotEmptyProblem},
      {"store", "postgres_url", &c.store.postgres_url},
      {"store", "postgres_schema", &c.store.postgres_schema, 0, 0, {}, SchemaNameProblem},
      {"store", "node_id", &c.store.node_id, 0, 0, {}, NodeIdProblem},
      {"store", "lease_ttl_s", &c.store.lease_ttl_s, 2, 3600},
      {"zmq", "bind", &c.zmq.bind, 0, 0, {}, EndpointProblem},
      {"zmq", "max_message_bytes", &c.zmq.max_message_bytes, kKiB, kGiB},
      {"zmq", "curve_server_secret_key", &c.zmq.curve_server_secret_key, 0, 0, {}, Z85KeyProblem},
      {"zmq", "curve_server_public_key", &c.zmq.curve_server_public_key, 0, 0, {}, Z85KeyProblem},
      {"zmq",
       "curve_allowed_client_keys",
       &c.zmq.curve_allowed_client_keys,
       0,
       0,
       {},
       Z85KeyProblem},
      {"http", "bind", &c.http.bind, 0, 0, {}, HostPortProblem},
      {"http", "sse_keepalive_s", &c.http.sse_keepalive_s, 1, 3600},
      {"http", "max_body_bytes", &c.http.max_body_bytes, kKiB, kGiB},
      {"http", "idle_timeout_s", &c.http.idle_timeout_s, 1, 86400},
      {"http", "sse_queue_limit", &c.http.sse_queue_limit, 1, 1000000},
      {"http", "header_timeout_s", &c.http.header_timeout_s, 1, 3600},
      {"http", "allowed_hosts", &c.http.allowed_hosts, 0, 0, {}, HostEntryProblem},
      {"http", "web_dir", &c.http.web_dir},
      {"auth", "token", &c.auth.token},
      {"auth", "token_env", &c.auth.token_env},
      {"engine", "max_concurrent_steps", &c.engine.max_concurrent_steps, 1, 1024},
      {"engine", "step_timeout_s", &c.engine.step_timeout_s, 1, 604800},
      {"engine", "max_output_bytes", &c.engine.max_output_bytes, kKiB, kGiB},
      {"engine", "shutdown_grace_s", &c.engine.shutdown_grace_s, 0, 3600},
      {"engine", "idempotency_retention_h", &c.engine.idempotency_retention_h, 1, 8760},
      {"llm", "base_url", &c.llm.base_url},
      {"llm", "model", &c.llm.model},
      {"llm", "api_key_env", &c.llm.api_key_env},
      {"llm", "timeout_s", &c.llm.timeout_s, 1, 3600},
      {"log", "level", &c.log.level, 0, 0, {"trace", "debug", "info", "warn", "error"}},
      {"log", "format", &c.log.format, 0, 0, {"text", "json"}},
      {"", "workflows_dir", &c.workflows_dir, 0, 0, {}, NotEmptyProblem},
  };
}

std::string Join(const std::vector<std::string_view>& words) {
  std::string out;
  for (const auto& w : words) {
    out += (out.empty() ? "\"" : ", \"") + std::string(w) + "\"";
  }
  return out;
}

// Stores `v` into the field, checking type, range and choices. `where` prefixes the
// error ("file:line: " or "FORKLINE_X: ").
Status Assign(const Field& f, const std::string& where, Value v) {
  const std::string bad = where + f.Name() + ": ";
  const std::string expected = bad + "expected " + f.TypeName();
  if (auto* s = std::get_if<std::string*>(&f.target)) {
    auto* str = std::get_if<std::string>(&v);
    if (str == nullptr) return Status::BadRequest(expected);
    if (!f.choices.empty() &&
        std::find(f.choices.begin(), f.choices.end(), *str) == f.choices.end()) {
      return Status::BadRequest(bad + "\"" + *str + "\" is not one of " + Join(f.choices));
    }
    if (const char* problem = f.check ? f.check(*str) : nullptr) {
      return Status::BadRequest(bad + "\"" + *str + "\" " + problem);
    }
    **s = std::move(*str);
    return Status::Ok();
  }
  if (auto* list = std::get_if<std::vector<std::string>*>(&f.target)) {
    auto* strs = std::get_if<std::vector<std::string>>(&v);
    if (strs == nullptr) return Status::BadRequest(expected);
    for (const auto& item : *strs) {
      if (const char* problem = f.check ? f.check(item) : nullptr) {
        return Status::BadRequest(bad + "\"" + item + "\" " + problem);
      }
    }
    **list = std::move(*strs);
    return Status::Ok();
  }
  auto* n = std::get_if<std::int64_t>(&v);
  if (n == nullptr) return Status::BadRequest(expected);
  if (*n < f.min || *n > f.max) {
    return Status::BadRequest(bad + std::to_string(*n) + " is out of range " +
                              std::to_string(f.min) + ".." + std::to_string(f.max));
  }
  if (auto* u32 = std::get_if<std::uint32_t*>(&f.target)) {
    **u32 = static_cast<std::uint32_t>(*n);
  } else {
    **std::get_if<std::size_t*>(&f.target) = static_cast<std::size_t>(*n);
  }
  return Status::Ok();
}

std::string Where(const std::string& path, const toml::node& node) {
  return path + ":" + std::to_string(node.source().begin.line) + ": ";
}

Status AssignFromToml(const Field& f, const std::string& path, const toml::node& node) {
  const std::string where = Where(path, node);
  if (const auto* s = node.as_string()) return Assign(f, where, s->get());
  if (const auto* i = node.as_integer()) return Assign(f, where, i->get());
  if (const auto* arr = node.as_array()) {
    std::vector<std::string> strs;
    for (const auto& item : *arr) {
      const auto* s = item.as_string();
      if (s == nullptr) {
        return Status::BadRequest(Where(path, item) + f.Name() + ": expected " + f.TypeName());
      }
      strs.push_back(s->get());
    }
    return Assign(f, where, std::move(strs));
  }
  return Status::BadRequest(where + f.Name() + ": expected " + f.TypeName());
}

Status AssignFromEnv(const Field& f, const std::string& text) {
  const std::string where = f.EnvName() + ": ";
  if (std::holds_alternative<std::string*>(f.target)) return Assign(f, where, text);
  if (std::holds_alternative<std::vector<std::string>*>(f.target)) {
    std::vector<std::string> items;  // comma-separated, blanks around items dropped
    std::size_t start = 0;
    while (start <= text.size()) {
      std::size_t comma = text.find(',', start);
      if (comma == std::string::npos) comma = text.size();
      std::string item = text.substr(start, comma - start);
      item.erase(0, item.find_first_not_of(" \t"));
      item.erase(item.find_last_not_of(" \t") + 1);
      if (!item.empty()) items.push_back(std::move(item));
      start = comma + 1;
    }
    return Assign(f, where, std::move(items));
  }
  std::int64_t n = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, n);
  if (text.empty() || ec != std::errc() || ptr != end) {
    return Status::BadRequest(where + f.Name() + ": \"" + text + "\" is not an integer");
  }
  return Assign(f, where, n);
}

const Field* FindField(const std::vector<Field>& fields, std::string_view section,
                       std::string_view key) {
  for (const auto& f : fields) {
    if (f.section == section && f.key == key) return &f;
  }
  return nullptr;
}

bool IsSection(const std::vector<Field>& fields, std::string_view name) {
  return std::any_of(fields.begin(), fields.end(),
                     [&](const Field& f) { return !f.section.empty() && f.section == name; });
}

Status ApplyTable(const std::vector<Field>& fields, const std::string& path,
                  const toml::table& root) {
  for (const auto& [key, node] : root) {
    if (const Field* f = FindField(fields, "", key.str())) {
      FL_RETURN_IF_ERROR(AssignFromToml(*f, path, node));
      continue;
    }
    if (!IsSection(fields, key.str())) {
      return Status::BadRequest(Where(path, node) + "unknown key \"" + std::string(key.str()) +
                                "\"");
    }
    const toml::table* section = node.as_table();
    if (section == nullptr) {
      return Status::BadRequest(Where(path, node) + "\"" + std::string(key.str()) +
                                "\" must be a table ([" + std::string(key.str()) + "])");
    }
    for (const auto& [sub, value] : *section) {
      const Field* f = FindField(fields, key.str(), sub.str());
      if (f == nullptr) {
        return Status::BadRequest(Where(path, value) + "unknown key \"" + std::string(key.str()) +
                                  "." + std::string(sub.str()) + "\"");
      }
      FL_RETURN_IF_ERROR(AssignFromToml(*f, path, value));
    }
  }
  return Status::Ok();
}

Status ApplyFile(const std::vector<Field>& fields, const std::string& path) {
  toml::table root;
  try {
    root = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    const auto& begin = e.source().begin;
    // A file that cannot be opened is reported at line 0 by toml++.
    if (begin.line == 0) {
      return Status::BadRequest(path + ": " + std::string(e.description()));
    }
    return Status::BadRequest(path + ":" + std::to_string(begin.line) + ":" +
                              std::to_string(begin.column) + ": " + std::string(e.description()));
  } catch (const std::exception& e) {
    return Status::BadRequest(path + ": " + e.what());
  }
  return ApplyTable(fields, path, root);
}

Status CheckCurve(const ZmqConfig& zmq) {
  const bool secret = !zmq.curve_server_secret_key.empty();
  const bool pub = !zmq.curve_server_public_key.empty();
  if (secret != pub) {
    return Status::BadRequest(
        "zmq.curve_server_secret_key and zmq.curve_server_public_key must be set together");
  }
  if (!secret && !zmq.curve_allowed_client_keys.empty()) {
    return Status::BadRequest("zmq.curve_allowed_client_keys needs the CURVE server keys");
  }
  return Status::Ok();
}

// Cross-key checks, and the effective auth token.
Status Finish(Config& c, const std::map<std::string, std::string>& env) {
  if (c.store.backend == "postgres" && c.store.postgres_url.empty()) {
    return Status::BadRequest("store.postgres_url is required when store.backend = \"postgres\"");
  }
  FL_RETURN_IF_ERROR(CheckCurve(c.zmq));
  if (!c.auth.token_env.empty()) {
    if (!c.auth.token.empty()) {
      return Status::BadRequest("auth.token and auth.token_env are both set; keep one");
    }
    auto it = env.find(c.auth.token_env);
    if (it == env.end() || it->second.empty()) {
      return Status::BadRequest("auth.token_env: environment variable " + c.auth.token_env +
                                " is not set");
    }
    c.auth.token = it->second;
  }
  return Status::Ok();
}

}  // namespace

Result<Config> LoadConfig(const std::string& path, const std::map<std::string, std::string>& env) {
  Config config;
  const std::vector<Field> fields = Fields(config);
  if (!path.empty()) FL_RETURN_IF_ERROR(ApplyFile(fields, path));
  for (const auto& f : fields) {
    auto it = env.find(f.EnvName());
    if (it != env.end()) FL_RETURN_IF_ERROR(AssignFromEnv(f, it->second));
  }
  FL_RETURN_IF_ERROR(Finish(config, env));
  return config;
}

std::map<std::string, std::string> CurrentEnvironment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view entry(*e);
    const auto eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    env.emplace(std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1)));
  }
  return env;
}

}  // namespace forkline
