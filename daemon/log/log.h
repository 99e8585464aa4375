#pragma once
// One line per event of interest, to stderr: text ("2026-…Z info  message") or JSON
// ({"at":…,"level":…,"msg":…}). Thread-safe; lines never interleave.

#include <string_view>

namespace forkline::log {

enum class Level { kDebug, kInfo, kWarn, kError };

// Sets the threshold and format ("text" | "json"). Default: info, text.
void Configure(std::string_view level, std::string_view format);
void Write(Level level, std::string_view message);
inline void Info(std::string_view m) { Write(Level::kInfo, m); }
inline void Warn(std::string_view m) { Write(Level::kWarn, m); }
inline void Error(std::string_view m) { Write(Level::kError, m); }
// "debug" | "info" | "warn" | "error" (anything else: info).
Level ParseLevel(std::string_view name);

}  // namespace forkline::log
