#include "daemon/novel/places.h"

#include <algorithm>
#include <array>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "daemon/novel/text_util.h"

namespace forkline::places {
namespace {

const std::unordered_map<std::string_view, Setting>& Settings() {
  using S = Setting;
  static const std::unordered_map<std::string_view, Setting> kSettings = {
      {"hall", S::kInterior},         {"room", S::kInterior},       {"kitchen", S::kInterior},
      {"house", S::kInterior},        {"parlour", S::kInterior},    {"parlor", S::kInterior},
      {"drawing-room", S::kInterior}, {"bedroom", S::kInterior},    {"library", S::kInterior},
      {"study", S::kInterior},        {"office", S::kInterior},     {"court", S::kInterior},
      {"courtroom", S::kInterior},    {"church", S::kInterior},     {"chapel", S::kInterior},
      {"cottage", S::kInterior},      {"castle", S::kInterior},     {"palace", S::kInterior},
      {"inn", S::kInterior},          {"tavern", S::kInterior},     {"shop", S::kInterior},
      {"school", S::kInterior},       {"schoolroom", S::kInterior}, {"hospital", S::kInterior},
      {"prison", S::kInterior},       {"cell", S::kInterior},       {"cellar", S::kInterior},
      {"attic", S::kInterior},        {"corridor", S::kInterior},   {"passage", S::kInterior},
      {"staircase", S::kInterior},    {"carriage", S::kInterior},   {"train", S::kInterior},
      {"cabin", S::kInterior},        {"chamber", S::kInterior},    {"ballroom", S::kInterior},
      {"dining-room", S::kInterior},  {"hut", S::kInterior},        {"cave", S::kInterior},
      {"tunnel", S::kInterior},       {"well", S::kInterior},       {"hole", S::kInterior},
      {"rabbit-hole", S::kInterior},  {"theatre", S::kInterior},    {"station", S::kInterior},
      {"restaurant", S::kInterior},   {"apartment", S::kInterior},  {"flat", S::kInterior},
      {"garden", S::kExterior},       {"wood", S::kExterior},       {"forest", S::kExterior},
      {"field", S::kExterior},        {"meadow", S::kExterior},     {"bank", S::kExterior},
      {"river", S::kExterior},        {"pool", S::kExterior},       {"lake", S::kExterior},
      {"sea", S::kExterior},          {"shore", S::kExterior},      {"beach", S::kExterior},
      {"street", S::kExterior},       {"road", S::kExterior},       {"lane", S::kExterior},
      {"square", S::kExterior},       {"park", S::kExterior},       {"hill", S::kExterior},
      {"mountain", S::kExterior},     {"valley", S::kExterior},     {"moor", S::kExterior},
      {"village", S::kExterior},      {"town", S::kExterior},       {"city", S::kExterior},
      {"market", S::kExterior},       {"yard", S::kExterior},       {"courtyard", S::kExterior},
      {"ground", S::kExterior},       {"lawn", S::kExterior},       {"orchard", S::kExterior},
      {"farm", S::kExterior},         {"bridge", S::kExterior},     {"harbour", S::kExterior},
      {"harbor", S::kExterior},       {"deck", S::kExterior},       {"island", S::kExterior},
      {"desert", S::kExterior},       {"cliff", S::kExterior},      {"heath", S::kExterior},
      {"churchyard", S::kExterior},   {"graveyard", S::kExterior},  {"platform", S::kExterior}};
  return kSettings;
}

std::string_view LastPart(std::string_view w) {
  const std::size_t dash = w.rfind('-');
  return dash == std::string_view::npos ? w : w.substr(dash + 1);
}

}  // namespace

Setting SettingOf(std::string_view w) {
  if (w.size() < 3 || w.size() > 20) return Setting::kNone;
  const auto& map = Settings();
  if (auto it = map.find(w); it != map.end()) return it->second;
  if (auto it = map.find(LastPart(w)); it != map.end()) return it->second;
  return Setting::kNone;
}

Daylight DaylightOf(std::string_view w) {
  static const std::unordered_map<std::string_view, Daylight> kWords = {
      {"night", Daylight::kNight},    {"midnight", Daylight::kNight},
      {"moon", Daylight::kNight},     {"moonlight", Daylight::kNight},
      {"candle", Daylight::kNight},   {"candles", Daylight::kNight},
      {"lamp", Daylight::kNight},     {"lamps", Daylight::kNight},
      {"stars", Daylight::kNight},    {"evening", Daylight::kNight},
      {"darkness", Daylight::kNight}, {"dusk", Daylight::kNight},
      {"tonight", Daylight::kNight},  {"sun", Daylight::kDay},
      {"sunshine", Daylight::kDay},   {"sunlight", Daylight::kDay},
      {"morning", Daylight::kDay},    {"noon", Daylight::kDay},
      {"afternoon", Daylight::kDay},  {"daylight", Daylight::kDay},
      {"day", Daylight::kDay},        {"breakfast", Daylight::kDay},
      {"dawn", Daylight::kDay},       {"today", Daylight::kDay}};
  if (w.size() < 3 || w.size() > 9) return Daylight::kNone;
  const auto it = kWords.find(w);
  return it == kWords.end() ? Daylight::kNone : it->second;
}

bool IsPlacePreposition(std::string_view w) {
  static constexpr std::array<std::string_view, 14> kPrepositions = {
      "in",      "into",   "at",      "to",   "through", "across",  "inside",
      "outside", "toward", "towards", "onto", "upon",    "entered", "reached"};
  for (std::string_view p : kPrepositions) {
    if (w == p) return true;
  }
  return false;
}

bool IsMotionVerb(std::string_view w) {
  static const std::unordered_set<std::string_view> kVerbs = {
      "found",   "came", "entered", "went",     "reached",  "arrived",
      "walked",  "ran",  "stepped", "wandered", "returned", "led",
      "hurried", "got",  "crept",   "climbed",  "drove",    "rode"};
  return kVerbs.count(w) != 0;
}

namespace {

// The lexicon of RoleOf: every word it knows, by view, and their shapes.
struct RoleTable {
  std::unordered_map<std::string, WordRole> roles;
  std::unordered_map<std::string_view, const WordRole*> by_view;  // into `roles`
  text::WordShapes shapes;
  std::size_t shortest_place = 0;  // bytes of the shortest word with a setting
};

const RoleTable& Roles() {
  static const RoleTable kTable = [] {
    RoleTable t;
    for (const auto& [word, setting] : Settings())
      t.roles[std::string(word)].setting = setting;
    for (std::string_view word :
         {"night",     "midnight", "moon",     "moonlight", "candle",   "candles",
          "lamp",      "lamps",    "stars",    "evening",   "darkness", "dusk",
          "tonight",   "sun",      "sunshine", "sunlight",  "morning",  "noon",
          "afternoon", "daylight", "day",      "breakfast", "dawn",     "today"}) {
      t.roles[std::string(word)].daylight = DaylightOf(word);
    }
    for (std::string_view word :
         {"in", "into", "at", "to", "through", "across", "inside", "outside", "toward", "towards",
          "onto", "upon", "entered", "reached"}) {
      t.roles[std::string(word)].preposition = true;
    }
    for (std::string_view word :
         {"found", "came", "entered", "went", "reached", "arrived", "walked", "ran", "stepped",
          "wandered", "returned", "led", "hurried", "got", "crept", "climbed", "drove", "rode"}) {
      t.roles[std::string(word)].motion = true;
    }
    for (const auto& [word, role] : t.roles) {
      t.by_view[word] = &role;
      t.shapes.Add(word);
      if (role.setting != Setting::kNone &&
          (t.shortest_place == 0 || word.size() < t.shortest_place)) {
        t.shortest_place = word.size();
      }
    }
    return t;
  }();
  return kTable;
}

// Offset just past the last '-' of `w`, or 0 when it has none. A plain loop: most
// words are short and have none.
std::size_t AfterLastDash(std::string_view w) {
  std::size_t after = w.size();
  while (after > 0 && w[after - 1] != '-')
    --after;
  return after;
}

}  // namespace

const WordRole* RoleOf(std::string_view w) {
  const RoleTable& t = Roles();
  if (w.size() < 2 || w.size() > kMaxRoleWordBytes) return nullptr;
  if (t.shapes.MayContain(w)) {
    if (auto it = t.by_view.find(w); it != t.by_view.end()) return it->second;
  }
  const std::size_t after_dash = AfterLastDash(w);
  if (after_dash == 0) return nullptr;
  const auto it = t.by_view.find(w.substr(after_dash));
  return it != t.by_view.end() && it->second->setting != Setting::kNone ? it->second : nullptr;
}

RoleFilter::RoleFilter() : shapes_(&Roles().shapes), min_dashed_size_(Roles().shortest_place + 2) {}

bool OpensWithTimeJump(std::string_view p) {
  static constexpr std::array<std::string_view, 16> kOpeners = {
      "the next morning", "next morning",     "the next day",  "next day",
      "that night",       "that evening",     "the following", "meanwhile",
      "later that",       "some hours later", "an hour later", "a week later",
      "the next night",   "early the next",   "hours later",   "days later"};
  char buffer[24];
  const std::size_t n = std::min(p.size(), sizeof(buffer));
  for (std::size_t i = 0; i < n; ++i)
    buffer[i] = text::ToLower(p[i]);
  const std::string_view head(buffer, n);
  for (std::string_view o : kOpeners) {
    if (!head.empty() && head[0] == o[0] && text::StartsWith(head, o)) return true;
  }
  return false;
}

}  // namespace forkline::places
