#include "daemon/http/host_check.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cctype>

namespace forkline {
namespace {

// A Host value or an allow-list entry, split and normalised: host lower-cased, an
// IPv6 literal in brackets, no trailing dot; port digits or "" (none given).
struct HostPort {
  std::string host;
  std::string port;
};

bool AllDigits(std::string_view s) {
  return !s.empty() && s.size() <= 5 &&
         std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
}

bool HostCharsOk(std::string_view host) {
  return !host.empty() && std::all_of(host.begin(), host.end(), [](unsigned char c) {
    return std::isalnum(c) != 0 || c == '-' || c == '.' || c == '_' || c == ':' || c == '[' ||
           c == ']';
  });
}

// False when `text` is not host[:port].
bool Split(std::string_view text, HostPort& out) {
  std::string_view host = text;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos) return false;
    host = text.substr(0, close + 1);
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return false;
      port = rest.substr(1);
      if (!AllDigits(port)) return false;
    }
  } else if (std::count(text.begin(), text.end(), ':') == 1) {
    const std::size_t colon = text.find(':');
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (!AllDigits(port)) return false;
  }
  std::string h(host);
  if (h.find(':') != std::string::npos && h.front() != '[') h = "[" + h + "]";  // bare IPv6
  std::transform(h.begin(), h.end(), h.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (!h.empty() && h.back() == '.') h.pop_back();
  if (!HostCharsOk(h) || h == "[]") return false;
  out.host = std::move(h);
  out.port = std::string(port);
  return true;
}

bool IsLoopbackHost(const std::string& host) {
  if (host == "localhost") return true;
  std::array<unsigned char, 16> addr{};
  if (host.size() > 2 && host.front() == '[') {
    const std::string inner = host.substr(1, host.size() - 2);
    static constexpr std::array<unsigned char, 16> kLoopback6 = {0, 0, 0, 0, 0, 0, 0, 0,
                                                                 0, 0, 0, 0, 0, 0, 0, 1};
    return inet_pton(AF_INET6, inner.c_str(), addr.data()) == 1 && addr == kLoopback6;
  }
  return inet_pton(AF_INET, host.c_str(), addr.data()) == 1 && addr[0] == 127;
}

}  // namespace

Status CheckAllowedHosts(const std::vector<std::string>& entries) {
  for (const std::string& entry : entries) {
    HostPort hp;
    if (entry != "*" && !Split(entry, hp)) {
      return Status::BadRequest("http.allowed_hosts: \"" + entry +
                                "\" is not a host, host:port or \"*\"");
    }
  }
  return Status::Ok();
}

std::vector<std::string> DefaultAllowedHosts(std::string_view bind) {
  HostPort hp;
  if (!Split(bind, hp) || !IsLoopbackHost(hp.host)) return {};
  std::vector<std::string> hosts = {"localhost", "127.0.0.1", "[::1]"};
  if (std::find(hosts.begin(), hosts.end(), hp.host) == hosts.end()) hosts.push_back(hp.host);
  return hosts;
}

bool HostAllowed(const std::vector<std::string>& allowed, std::string_view host_header) {
  if (allowed.empty()) return true;
  while (!host_header.empty() && (host_header.back() == ' ' || host_header.back() == '\t')) {
    host_header.remove_suffix(1);
  }
  HostPort got;
  const bool parsed = Split(host_header, got);
  for (const std::string& entry : allowed) {
    if (entry == "*") return true;
    HostPort want;
    if (!parsed || !Split(entry, want)) continue;
    if (want.host == got.host && (want.port.empty() || want.port == got.port)) return true;
  }
  return false;
}

}  // namespace forkline
