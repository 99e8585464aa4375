#pragma once
// One line per event of interest, to stderr: text ("2026-…Z info message key=value …") or
// JSON ({"at":…,"level":…,"msg":…,"key":"value",…}). Thread-safe; lines never interleave.
// Callers never pass an auth token or a run's input here (DESIGN §7; tests/ops checks it).

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace forkline::log {

enum class Level { kDebug, kInfo, kWarn, kError };

// Extra key/value pairs of one line (request ids, run ids, versions).
using Fields = std::vector<std::pair<std::string_view, std::string>>;

// Sets the threshold and format ("text" | "json"). Default: info, text.
void Configure(std::string_view level, std::string_view format);
void Write(Level level, std::string_view message, const Fields& fields = {});
// True when a line at `level` would be written (skip building costly fields otherwise).
bool Enabled(Level level);
inline void Debug(std::string_view m, const Fields& f = {}) { Write(Level::kDebug, m, f); }
inline void Info(std::string_view m, const Fields& f = {}) { Write(Level::kInfo, m, f); }
inline void Warn(std::string_view m, const Fields& f = {}) { Write(Level::kWarn, m, f); }
inline void Error(std::string_view m, const Fields& f = {}) { Write(Level::kError, m, f); }
// "trace" and "debug" | "info" | "warn" | "error" (anything else: info).
Level ParseLevel(std::string_view name);
// The line Write would print (without the trailing newline), for tests.
std::string Format(Level level, std::string_view message, const Fields& fields, bool json,
                   std::string_view at);

}  // namespace forkline::log
