#pragma once
// The `Host` allow-list that keeps DNS rebinding away from a daemon on loopback
// (docs/design.md, "Exposure"): a web page on evil.example whose name resolves to
// 127.0.0.1 still sends `Host: evil.example`, and gets 403. Pure functions, no state;
// thread-safe.
//
// An entry is "*" (any host), a host name or IP literal ("localhost", "127.0.0.1",
// "[::1]"; any port), or host:port (that port only). Names compare case-insensitively
// and a trailing dot is ignored.

#include <string>
#include <string_view>
#include <vector>

#include "eventstore/status.h"

namespace forkline {

// bad_request naming the entry when one is empty or not host[:port].
Status CheckAllowedHosts(const std::vector<std::string>& entries);

// What `http.allowed_hosts = []` means for the listener `bind` ("host:port"): when the
// host is a loopback address or "localhost": localhost, 127.0.0.1 and [::1] with any
// port, plus the bind address itself; otherwise {} (no check — a daemon exposed on
// purpose lists the names its clients use).
std::vector<std::string> DefaultAllowedHosts(std::string_view bind);

// True when `host_header` (the Host header's value) matches an entry; an empty
// `allowed` list admits every host.
bool HostAllowed(const std::vector<std::string>& allowed, std::string_view host_header);

}  // namespace forkline
