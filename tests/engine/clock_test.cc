// FormatTime / ParseTime: the event time format (UTC, RFC 3339, milliseconds).
#include "daemon/engine/clock.h"

#include <cstdio>
#include <ctime>
#include <random>

#include <gtest/gtest.h>

namespace forkline {
namespace {

using std::chrono::milliseconds;
using std::chrono::system_clock;

// The format written the slow, obvious way (gmtime_r + snprintf).
std::string Reference(system_clock::time_point t) {
  const auto ms = std::chrono::duration_cast<milliseconds>(t.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return buf;
}

TEST(ClockTest, KnownInstants) {
  EXPECT_EQ(FormatTime(system_clock::time_point{}), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatTime(system_clock::time_point{milliseconds(951782400123)}),
            "2000-02-29T00:00:00.123Z");  // a leap day
  EXPECT_EQ(FormatTime(system_clock::time_point{milliseconds(7258118399999)}),
            "2199-12-31T23:59:59.999Z");
}

TEST(ClockTest, MatchesTheCalendarAndRoundTrips) {
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<long long> ms(0, 4102444800000LL);  // 1970 .. 2100
  for (int i = 0; i < 100000; ++i) {
    const system_clock::time_point t{milliseconds(ms(rng))};
    const std::string s = FormatTime(t);
    ASSERT_EQ(s, Reference(t));
    system_clock::time_point back;
    ASSERT_TRUE(ParseTime(s, &back)) << s;
    ASSERT_EQ(back, t) << s;
  }
  const auto now = system_clock::now();
  EXPECT_EQ(FormatTime(now), Reference(now));
}

}  // namespace
}  // namespace forkline
