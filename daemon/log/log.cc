#include "daemon/log/log.h"

#include <atomic>
#include <cstdio>
#include <mutex>
#include <string>

#include "daemon/engine/clock.h"
#include "eventstore/canonical.h"

namespace forkline::log {
namespace {

std::atomic<Level> g_threshold{Level::kInfo};
std::atomic<bool> g_json{false};
std::mutex g_mu;

std::string_view Name(Level l) {
  switch (l) {
    case Level::kDebug: return "debug";
    case Level::kInfo: return "info";
    case Level::kWarn: return "warn";
    case Level::kError: return "error";
  }
  return "info";
}

}  // namespace

Level ParseLevel(std::string_view name) {
  if (name == "debug") return Level::kDebug;
  if (name == "warn") return Level::kWarn;
  if (name == "error") return Level::kError;
  return Level::kInfo;
}

void Configure(std::string_view level, std::string_view format) {
  g_threshold = ParseLevel(level);
  g_json = format == "json";
}

void Write(Level level, std::string_view message) {
  if (level < g_threshold.load()) return;
  std::string line;
  if (g_json) {
    line = "{\"at\":\"" + NowString() + "\",\"level\":\"" + std::string(Name(level)) + "\",\"msg\":";
    AppendJsonString(line, message);
    line += "}\n";
  } else {
    line = NowString() + " " + std::string(Name(level)) + " " + std::string(message) + "\n";
  }
  std::lock_guard lock(g_mu);
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace forkline::log
