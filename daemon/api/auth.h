#pragma once
// Shared-token check for the front ends (DESIGN §7): constant time in the token's length.

#include <string_view>

namespace forkline {

// True when no token is configured, or `presented` equals it. Runs in time that does
// not depend on where the two strings differ.
inline bool TokenAccepted(std::string_view configured, std::string_view presented) {
  if (configured.empty()) return true;
  unsigned char diff = configured.size() == presented.size() ? 0 : 1;
  for (std::size_t i = 0; i < configured.size(); ++i) {
    const unsigned char p = i < presented.size() ? static_cast<unsigned char>(presented[i]) : 0;
    diff |= static_cast<unsigned char>(configured[i]) ^ p;
  }
  return diff == 0;
}

}  // namespace forkline
