// Fountain rendering: escaping and statistics.
#include "daemon/novel/fountain.h"

#include <gtest/gtest.h>

namespace forkline {
namespace {

TEST(Fountain, TitlePageScenesDialogueAndStats) {
  SceneScript scene;
  scene.heading = "INT. HALL - DAY";
  scene.elements = {{"action", "Alice looks about.", ""},
                    {"parenthetical", "(whispering)", "ALICE"},
                    {"dialogue", "Curiouser!", "ALICE"},
                    {"dialogue", "Late!", "WHITE RABBIT"},
                    {"transition", "FADE OUT.", ""}};
  ScreenplayStats stats;
  const std::string f = RenderFountain({"Alice", "Lewis Carroll"}, {scene}, &stats);
  EXPECT_EQ(f.rfind("Title: Alice\n", 0), 0u);
  EXPECT_NE(f.find("Author: Lewis Carroll\n"), std::string::npos);
  EXPECT_NE(f.find("\n\nINT. HALL - DAY\n\n"), std::string::npos);
  EXPECT_NE(f.find("\nALICE\n(whispering)\nCuriouser!\n\n"), std::string::npos);
  EXPECT_NE(f.find("\nWHITE RABBIT\nLate!\n\n"), std::string::npos);
  EXPECT_EQ(stats.scenes, 1u);
  EXPECT_EQ(stats.characters, 2u);
  EXPECT_EQ(stats.dialogue_lines["ALICE"], 1u);
  EXPECT_EQ(stats.pages, 1u);
}

TEST(Fountain, TextThatWouldParseAsSomethingElseIsForcedOrEscaped) {
  SceneScript scene;
  scene.heading = "The Garden";  // no INT./EXT.: forced with '.'
  scene.elements = {{"action", "Int. was the word she wrote.", ""},
                    {"action", ".. and then", ""},
                    {"action", "She said WAIT TO:", ""},
                    {"action", "a /* b */ c [[note]]", ""},
                    {"dialogue", "Hi", "mr. (odd) name"},
                    {"dialogue", "Hi", "42"}};
  const std::string f = RenderFountain({"", ""}, {scene}, nullptr);
  EXPECT_NE(f.find("Title: Untitled\n"), std::string::npos);
  EXPECT_NE(f.find("\n.The Garden\n"), std::string::npos);
  EXPECT_NE(f.find("\n!Int. was the word"), std::string::npos);
  EXPECT_NE(f.find("\n!.. and then"), std::string::npos);
  EXPECT_NE(f.find("\n!She said WAIT TO:"), std::string::npos);
  EXPECT_EQ(f.find("/*"), std::string::npos);
  EXPECT_EQ(f.find("[["), std::string::npos);
  EXPECT_NE(f.find("\nMR. ODD NAME\nHi\n"), std::string::npos);
  EXPECT_NE(f.find("\n@42\nHi\n"), std::string::npos);
}

}  // namespace
}  // namespace forkline
