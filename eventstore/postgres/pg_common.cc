#include "eventstore/postgres/pg_common.h"

#include <cstdio>
#include <utility>

namespace forkline::pg {

namespace {

// Whether the connection string sets `key` (as `key=` at the start, after a space, or
// after a URI's `?` or `&`).
bool SetsKey(const std::string& url, const std::string& key) {
  const std::string needle = key + "=";
  for (std::size_t at = url.find(needle); at != std::string::npos; at = url.find(needle, at + 1)) {
    if (at == 0 || url[at - 1] == ' ' || url[at - 1] == '?' || url[at - 1] == '&') return true;
  }
  return false;
}

}  // namespace

std::string WithNetworkDefaults(const std::string& url) {
  static constexpr std::pair<const char*, const char*> kDefaults[] = {
      {"connect_timeout", "5"},    {"keepalives", "1"},          {"keepalives_idle", "5"},
      {"keepalives_interval", "2"}, {"keepalives_count", "3"},   {"tcp_user_timeout", "5000"}};
  const bool uri = url.rfind("postgresql://", 0) == 0 || url.rfind("postgres://", 0) == 0;
  std::string out = url;
  for (const auto& [key, value] : kDefaults) {
    if (SetsKey(url, key)) continue;
    if (uri) {
      out += out.find('?') == std::string::npos ? '?' : '&';
    } else if (!out.empty()) {
      out += ' ';
    }
    out += std::string(key) + "=" + value;
  }
  return out;
}

std::unique_ptr<pqxx::connection> Connect(const std::string& url, const std::string& schema) {
  auto conn = std::make_unique<pqxx::connection>(WithNetworkDefaults(url));
  conn->set_client_encoding("UTF8");
  pqxx::nontransaction setup(*conn);
  setup.exec0("SET search_path TO " + conn->quote_name(schema));
  setup.exec0("SET synchronous_commit TO on");
  return conn;
}

std::string ChannelFor(const std::string& schema) {
  std::uint64_t h = 14695981039346656037ull;  // FNV-1a: the same on every node
  for (unsigned char c : schema)
    h = (h ^ c) * 1099511628211ull;
  char buf[32];
  std::snprintf(buf, sizeof buf, "forkline_%016llx", static_cast<unsigned long long>(h));
  return buf;
}

Status ToStatus(const std::exception& e, std::string_view what) {
  std::string msg = std::string(what) + ": " + e.what();
  while (!msg.empty() && msg.back() == '\n')
    msg.pop_back();
  if (dynamic_cast<const pqxx::broken_connection*>(&e) != nullptr ||
      dynamic_cast<const pqxx::in_doubt_error*>(&e) != nullptr) {
    return Status::Unavailable(std::move(msg));
  }
  if (dynamic_cast<const pqxx::unique_violation*>(&e) != nullptr) {
    return Status::Conflict(std::move(msg));
  }
  if (const auto* sql = dynamic_cast<const pqxx::sql_error*>(&e); sql != nullptr) {
    const std::string& state = sql->sqlstate();
    if (state.rfind("22", 0) == 0) return Status::BadRequest(std::move(msg));
    // 08 connection, 53 resources, 57 operator intervention (shutdown), 40 rollback.
    for (const char* cls : {"08", "53", "57", "40"}) {
      if (state.rfind(cls, 0) == 0) return Status::Unavailable(std::move(msg));
    }
  }
  return Status::Internal(std::move(msg));
}

Event DecodeEvent(const pqxx::row& row) {
  Event e;
  e.run_id = row[0].as<std::string>();
  e.version = row[1].as<std::uint64_t>();
  e.position = row[2].as<std::uint64_t>();
  e.type = row[3].as<std::string>();
  e.at = row[4].as<std::string>();
  e.command_id = row[5].as<std::string>();
  e.key = row[6].as<std::string>();
  e.data = row[7].as<std::string>();
  e.prev_hash = row[8].as<std::string>();
  e.hash = row[9].as<std::string>();
  return e;
}

StreamInfo DecodeStream(const pqxx::row& row) {
  StreamInfo info;
  info.run_id = row[0].as<std::string>();
  info.head_version = row[1].as<std::uint64_t>();
  info.head_hash = row[2].as<std::string>();
  if (!row[3].is_null())
    info.parent = ForkLink{row[3].as<std::string>(), row[4].as<std::uint64_t>()};
  return info;
}

namespace {

// Length of the UTF-8 sequence starting at s[i], or 0 when it is not well formed.
std::size_t Utf8Length(std::string_view s, std::size_t i) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  if (c < 0x80) return c == 0 ? 0 : 1;
  std::size_t n = 0;
  unsigned lo = 0x80, hi = 0xBF;  // the range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;  // no overlong forms
    if (c == 0xED) hi = 0x9F;  // no surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  if (b(i + 1) < lo || b(i + 1) > hi) return 0;
  for (std::size_t k = 2; k < n; ++k) {
    if (b(i + k) < 0x80 || b(i + k) > 0xBF) return 0;
  }
  return n;
}

}  // namespace

Status CheckText(std::string_view field, std::string_view value) {
  for (std::size_t i = 0; i < value.size();) {
    const std::size_t n = Utf8Length(value, i);
    if (n == 0) {
      return Status::BadRequest(std::string(field) + " holds a NUL byte or invalid UTF-8 at byte " +
                                std::to_string(i));
    }
    i += n;
  }
  return Status::Ok();
}

}  // namespace forkline::pg
