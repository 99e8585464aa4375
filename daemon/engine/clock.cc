#include "daemon/engine/clock.h"

#include <cstdio>
#include <ctime>

namespace forkline {

std::string FormatTime(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  // Digits written by hand from the civil date: one per event on the hot path, where
  // gmtime_r takes glibc's time zone lock and snprintf parses its format every time.
  const auto ms = floor<milliseconds>(t);
  const auto day = floor<days>(ms);
  const year_month_day ymd{day};
  const hh_mm_ss hms{ms - day};
  const int year = static_cast<int>(ymd.year());
  if (year < 0 || year > 9999) return "0000-00-00T00:00:00.000Z";  // not a time we record
  char buf[] = "0000-00-00T00:00:00.000Z";
  auto put = [&buf](int at, unsigned value, int width) {
    for (int i = at + width - 1; i >= at; --i, value /= 10) buf[i] = static_cast<char>('0' + value % 10);
  };
  put(0, static_cast<unsigned>(year), 4);
  put(5, static_cast<unsigned>(ymd.month()), 2);
  put(8, static_cast<unsigned>(ymd.day()), 2);
  put(11, static_cast<unsigned>(hms.hours().count()), 2);
  put(14, static_cast<unsigned>(hms.minutes().count()), 2);
  put(17, static_cast<unsigned>(hms.seconds().count()), 2);
  put(20, static_cast<unsigned>(hms.subseconds().count()), 3);
  return std::string(buf, sizeof buf - 1);
}

bool ParseTime(const std::string& s, std::chrono::system_clock::time_point* out) {
  std::tm tm{};
  int millis = 0;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &millis) != 7) {
    return false;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  *out = std::chrono::system_clock::from_time_t(timegm(&tm)) + std::chrono::milliseconds(millis);
  return true;
}

}  // namespace forkline
