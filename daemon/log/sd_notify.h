#pragma once
// The systemd notification protocol (sd_notify(3)) without libsystemd: one datagram with
// "READY=1", "WATCHDOG=1", "STOPPING=1" or "STATUS=…" to the Unix datagram socket named
// by $NOTIFY_SOCKET (a path, or "@name" for the abstract namespace). Without
// NOTIFY_SOCKET (not started by systemd with Type=notify) every call is a no-op.
// Thread-safe: each call opens, sends and closes its own socket.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace forkline {

// Sends `state` to `socket_path` (as NOTIFY_SOCKET would name it). Returns false when the
// path is empty or malformed or the send failed (systemd gone: nothing else to do).
bool NotifyTo(const std::string& socket_path, std::string_view state);

// NotifyTo($NOTIFY_SOCKET, state).
bool SdNotify(std::string_view state);

// How often to send WATCHDOG=1: half of $WATCHDOG_USEC, when it is set (and
// $WATCHDOG_PID, when set, is this process). Without it: nullopt, no pings.
std::optional<std::chrono::microseconds> WatchdogPingInterval();

}  // namespace forkline
