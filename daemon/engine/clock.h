#pragma once
// Wall-clock time in the event format: UTC, RFC 3339 with milliseconds.

#include <chrono>
#include <string>

namespace forkline {

std::string FormatTime(std::chrono::system_clock::time_point t);
inline std::string NowString() { return FormatTime(std::chrono::system_clock::now()); }
// Parses what FormatTime writes; false otherwise.
bool ParseTime(const std::string& s, std::chrono::system_clock::time_point* out);

}  // namespace forkline
