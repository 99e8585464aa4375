// Scenes (breaks, place and time) and screenplay elements (action, parentheticals).
#include "daemon/novel/scenes.h"

#include <gtest/gtest.h>

#include "daemon/novel/action_text.h"
#include "daemon/novel/text_util.h"
#include "tests/testutil/status_matchers.h"

namespace forkline {
namespace {

std::vector<Scene> Scenes(const ChapterParagraphs& chapters) {
  Result<std::vector<Scene>> r = SplitScenes(chapters, {"The First", "The Second"}, AbortCheck());
  EXPECT_TRUE(r.ok());
  return r.ok() ? *r : std::vector<Scene>{};
}

TEST(Scenes, BreakLinesAndChapterBoundaries) {
  const auto s = Scenes({{"She went into the kitchen.", "It was warm.", "* * *",
                          "She walked into the garden; the sun shone."},
                         {"Night fell over the town; the moon rose and the stars came out."}});
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s[0].heading, "INT. KITCHEN - DAY");
  EXPECT_EQ(s[1].first_paragraph, 3u);
  EXPECT_EQ(s[1].heading, "EXT. GARDEN - DAY");
  EXPECT_EQ(s[2].chapter, 1u);
  EXPECT_EQ(s[2].time, "NIGHT");
}

TEST(Scenes, StrongPlaceAndTimeChanges) {
  const auto s =
      Scenes({{"They sat in the parlour.", "They talked.", "They talked more.", "They drank tea.",
               "At last she found herself in a long, low hall.", "Doors all round.", "More doors.",
               "Still more.", "The next morning the rain had stopped."}});
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s[0].location, "PARLOUR");
  EXPECT_EQ(s[1].location, "HALL");
  EXPECT_EQ(s[1].first_paragraph, 4u);
  EXPECT_EQ(s[2].first_paragraph, 8u);
  EXPECT_EQ(s[2].location, "HALL");  // nothing named: the place of the scene before
}

TEST(Scenes, NoPlaceNamedUsesTheChapterTitle) {
  const auto s = Scenes({{"Nothing happened.", "Nothing at all."}});
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].heading, "INT./EXT. THE FIRST - DAY");
}

TEST(Action, PresentTenseAndCapped) {
  EXPECT_EQ(CondenseAction("Alice was tired (very tired) and she looked at the book."),
            "Alice is tired and she looks at the book.");
  EXPECT_EQ(CondenseAction("They went home."), "They go home.");
  std::string wall;
  for (int i = 0; i < 40; ++i)
    wall += "She walked on and on, and the road was long. ";
  const std::string action = CondenseAction(wall);
  EXPECT_LE(text::CountWords(action), kMaxActionWords);
  EXPECT_GT(text::CountWords(action), 5u);
}

}  // namespace
}  // namespace forkline
