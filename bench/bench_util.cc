#include "bench/bench_util.h"

#include <stdlib.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace forkline::bench {

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double Micros(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double, std::micro>(to - from).count();
}

TempDir::TempDir(const std::string& prefix) {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/" + prefix + "-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) {
    throw std::runtime_error("cannot create a temporary folder from " + tmpl);
  }
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

double Percentile(std::vector<double>& samples, double p) {
  if (samples.empty()) return 0;
  std::sort(samples.begin(), samples.end());
  const double rank = p / 100.0 * static_cast<double>(samples.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(rank));
  const std::size_t hi = std::min(lo + 1, samples.size() - 1);
  const double frac = rank - static_cast<double>(lo);
  return samples[lo] + (samples[hi] - samples[lo]) * frac;
}

Flags::Flags(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--", 0) != 0) {
      given_.emplace_back("?" + arg, "");
      continue;
    }
    arg = arg.substr(2);
    const auto eq = arg.find('=');
    if (eq != std::string::npos) {
      given_.emplace_back(arg.substr(0, eq), arg.substr(eq + 1));
    } else if (i + 1 < argc && std::strncmp(argv[i + 1], "--", 2) != 0) {
      given_.emplace_back(arg, argv[++i]);
    } else {
      given_.emplace_back(arg, "");
    }
  }
}

std::int64_t Flags::Int(const std::string& name, std::int64_t fallback) {
  known_.push_back(name);
  for (const auto& [k, v] : given_) {
    if (k == name) return std::stoll(v);
  }
  return fallback;
}

std::string Flags::String(const std::string& name, const std::string& fallback) {
  known_.push_back(name);
  for (const auto& [k, v] : given_) {
    if (k == name) return v;
  }
  return fallback;
}

bool Flags::Has(const std::string& name) const {
  for (const auto& [k, v] : given_) {
    if (k == name) return true;
  }
  return false;
}

bool Flags::Check(const char* usage) const {
  bool ok = true;
  for (const auto& [k, v] : given_) {
    if (k == "help") ok = false;
    else if (std::find(known_.begin(), known_.end(), k) == known_.end()) {
      std::fprintf(stderr, "unknown argument: %s\n", k.c_str());
      ok = false;
    }
  }
  if (!ok) std::fprintf(stderr, "%s", usage);
  return ok;
}

void Table::Print(const std::string& title) const {
  std::vector<std::size_t> width;
  for (const auto& row : rows_) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      if (width.size() <= i) width.push_back(0);
      width[i] = std::max(width[i], row[i].size());
    }
  }
  std::printf("\n%s\n", title.c_str());
  for (std::size_t r = 0; r < rows_.size(); ++r) {
    std::string line = "|";
    for (std::size_t i = 0; i < width.size(); ++i) {
      const std::string cell = i < rows_[r].size() ? rows_[r][i] : "";
      const std::string pad(width[i] - cell.size(), ' ');
      line += " " + (i == 0 ? cell + pad : pad + cell) + " |";
    }
    std::printf("%s\n", line.c_str());
    if (r == 0) {
      std::string sep = "|";
      for (std::size_t i = 0; i < width.size(); ++i) {
        sep += std::string(width[i] + 1, '-') + (i == 0 ? "-|" : ":|");
      }
      std::printf("%s\n", sep.c_str());
    }
  }
  std::fflush(stdout);
}

std::string Count(double value) {
  auto n = static_cast<long long>(std::llround(value));
  std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}

std::string Fixed(double value, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
  return buf;
}

std::string Ratio(double numerator, double denominator) {
  if (denominator <= 0) return "n/a";
  return Fixed(numerator / denominator, 2) + "x";
}

}  // namespace forkline::bench
