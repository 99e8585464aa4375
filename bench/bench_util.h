#pragma once
// Small helpers shared by the benchmark programs: a temporary folder, a clock,
// percentiles, flags and a plain-text table. Benchmarks are programs, not tests: they
// print what they measure and never assert on timing.

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace forkline::bench {

using Clock = std::chrono::steady_clock;

// Seconds since `start`.
double SecondsSince(Clock::time_point start);
// Microseconds between two points.
double Micros(Clock::time_point from, Clock::time_point to);

// A fresh folder under $TMPDIR (or /tmp), removed with everything in it on destruction.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// The p-th percentile (0..100) of `samples` (sorted in place); 0 when empty.
double Percentile(std::vector<double>& samples, double p);

// Flags of the form --name=value or --name value; unknown flags are reported by Check.
class Flags {
 public:
  Flags(int argc, char** argv);
  std::int64_t Int(const std::string& name, std::int64_t fallback);
  std::string String(const std::string& name, const std::string& fallback);
  bool Has(const std::string& name) const;
  // Prints unknown flags and returns false when there are some (or --help was given).
  bool Check(const char* usage) const;

 private:
  std::vector<std::pair<std::string, std::string>> given_;
  std::vector<std::string> known_;
};

// A table printed with aligned columns: Row({"a", "b"}) then Print().
class Table {
 public:
  explicit Table(std::vector<std::string> header) { rows_.push_back(std::move(header)); }
  void Row(std::vector<std::string> cells) { rows_.push_back(std::move(cells)); }
  void Print(const std::string& title) const;

 private:
  std::vector<std::vector<std::string>> rows_;
};

// "12,345" / "1.23" style formatting for table cells.
std::string Count(double value);
std::string Fixed(double value, int decimals);
// A ratio "12.3x".
std::string Ratio(double numerator, double denominator);

}  // namespace forkline::bench
