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
std::mutex g_mu;  // guards stderr writes, so lines never interleave

std::string_view Name(Level l) {
  switch (l) {
    case Level::kDebug: return "debug";
    case Level::kInfo: return "info";
    case Level::kWarn: return "warn";
    case Level::kError: return "error";
  }
  return "info";
}

// A text value is quoted when it would not read back as one word.
void AppendTextValue(std::string& out, std::string_view v) {
  const bool plain = !v.empty() && v.find_first_of(" \"=\n\t") == std::string_view::npos;
  if (plain) {
    out += v;
  } else {
    AppendJsonString(out, v);
  }
}

}  // namespace

Level ParseLevel(std::string_view name) {
  if (name == "debug" || name == "trace") return Level::kDebug;
  if (name == "warn") return Level::kWarn;
  if (name == "error") return Level::kError;
  return Level::kInfo;
}

void Configure(std::string_view level, std::string_view format) {
  g_threshold = ParseLevel(level);
  g_json = format == "json";
}

bool Enabled(Level level) { return level >= g_threshold.load(); }

std::string Format(Level level, std::string_view message, const Fields& fields, bool json,
                   std::string_view at) {
  std::string line;
  if (json) {
    line = "{\"at\":\"" + std::string(at) + "\",\"level\":\"" + std::string(Name(level)) + "\",\"msg\":";
    AppendJsonString(line, message);
    for (const auto& [k, v] : fields) {
      line += ',';
      AppendJsonString(line, k);
      line += ':';
      AppendJsonString(line, v);
    }
    line += "}";
  } else {
    line = std::string(at) + " " + std::string(Name(level)) + " " + std::string(message);
    for (const auto& [k, v] : fields) {
      line += ' ';
      line += k;
      line += '=';
      AppendTextValue(line, v);
    }
  }
  return line;
}

void Write(Level level, std::string_view message, const Fields& fields) {
  if (!Enabled(level)) return;
  std::string line = Format(level, message, fields, g_json.load(), NowString());
  line += '\n';
  std::lock_guard lock(g_mu);
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace forkline::log
