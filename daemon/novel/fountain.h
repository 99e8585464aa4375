#pragma once
// The `assemble` step: a Fountain screenplay (https://fountain.io) from the scene
// scripts, and its statistics.

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/novel/screenplay.h"

namespace forkline {

struct TitlePage {
  std::string title;   // "Untitled" when empty
  std::string author;  // left out when empty
};

struct ScreenplayStats {
  std::size_t scenes = 0;
  std::size_t characters = 0;                         // distinct cues that speak
  std::map<std::string, std::size_t> dialogue_lines;  // cue -> dialogue blocks
  std::size_t pages = 0;  // estimated: 55 lines a page, standard margins
  std::size_t words = 0;
};

// A scene script seen in place, e.g. in the screenplay step's JSON output, so that
// assemble renders it without copying every element first. The views must outlive the
// call.
struct ElementView {
  std::string_view type;
  std::string_view text;
  std::string_view character;
};
struct SceneView {
  std::string_view heading;
  std::vector<ElementView> elements;
};

// Renders the document: title page, then per scene its heading and elements, each a
// block separated by a blank line. Text that a Fountain parser would read as
// something else (an action line that starts with "INT." or ".", ends in "TO:", a
// cue with lower case or parentheses, "/*" boneyard marks) is escaped or forced, so
// that the document has exactly one scene heading per scene.
std::string RenderFountain(const TitlePage& title_page, const std::vector<SceneScript>& scenes,
                           ScreenplayStats* stats);
std::string RenderFountain(const TitlePage& title_page, const std::vector<SceneView>& scenes,
                           ScreenplayStats* stats);

}  // namespace forkline
