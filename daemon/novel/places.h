#pragma once
// Words that place a scene: locations (interior or exterior), times of day, the
// phrases that open a new scene in time ("The next morning"), and motion verbs.

#include <cstddef>
#include <string_view>

#include "daemon/novel/text_util.h"

namespace forkline::places {

enum class Setting { kNone, kInterior, kExterior };
enum class Daylight { kNone, kDay, kNight };

// "hall" -> interior, "garden" -> exterior; "croquet-ground" is read by its last part.
// `lower_word` is lower case.
Setting SettingOf(std::string_view lower_word);
// "night", "moon", "candle" -> night; "sun", "morning", "noon" -> day.
Daylight DaylightOf(std::string_view lower_word);
// "into", "in", "at", "through", "inside", …: a place noun after it is where we are.
bool IsPlacePreposition(std::string_view lower_word);
// "found", "came", "entered", "went", "reached", "arrived", …
bool IsMotionVerb(std::string_view lower_word);
// Everything the lexicon knows of one lower-case word, in one lookup (hot path).
struct WordRole {
  Setting setting = Setting::kNone;
  Daylight daylight = Daylight::kNone;
  bool preposition = false;
  bool motion = false;
};
// nullptr for a word the lexicon does not know, or one longer than kMaxRoleWordBytes.
inline constexpr std::size_t kMaxRoleWordBytes = 20;
const WordRole* RoleOf(std::string_view lower_word);

// A quick test in front of RoleOf, on a word in any case: false means RoleOf(its
// lower-case form) is nullptr for sure, so most words need not be lowered at all.
// Inline and cheap to copy: scenes run it on every word of a novel.
class RoleFilter {
 public:
  RoleFilter();
  bool MayHaveRole(std::string_view word) const {
    if (word.size() < 2 || word.size() > kMaxRoleWordBytes) return false;
    if (shapes_->MayContain(word.size(), text::ToLower(word.front()), text::ToLower(word.back()))) {
      return true;
    }
    if (word.size() < min_dashed_size_) return false;  // "x-" + the shortest place
    for (char c : word) {
      if (c == '-') return true;  // RoleOf reads a place noun after the last '-'
    }
    return false;
  }

 private:
  const text::WordShapes* shapes_;  // the lexicon's; lives as long as the program
  std::size_t min_dashed_size_;
};

// The paragraph opens with a jump in time: "The next morning", "That night",
// "Meanwhile", "Some hours later", "Later that day".
bool OpensWithTimeJump(std::string_view paragraph);

}  // namespace forkline::places
