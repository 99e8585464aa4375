#pragma once
// Words that place a scene: locations (interior or exterior), times of day, the
// phrases that open a new scene in time ("The next morning"), and motion verbs.

#include <string_view>

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
// nullptr for a word the lexicon does not know.
const WordRole* RoleOf(std::string_view lower_word);

// The paragraph opens with a jump in time: "The next morning", "That night",
// "Meanwhile", "Some hours later", "Later that day".
bool OpensWithTimeJump(std::string_view paragraph);

}  // namespace forkline::places
