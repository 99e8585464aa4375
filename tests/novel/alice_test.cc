// Quality bars of issue 5 on ../shared/corpus/alice.txt, a hand-labelled attribution
// sample, Fountain validity with the fountain-js parser, and speed.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>

#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include "daemon/novel/text_util.h"
#include "tests/novel/pipeline.h"

namespace forkline::testing {
namespace {
namespace json = boost::json;

std::int64_t Int(const json::value& v) {
  return v.to_number<std::int64_t>();
}

class AliceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    text_ = new std::string(ReadAlice());
    if (!text_->empty()) pipeline_ = new Pipeline(RunPipeline(*text_));
  }
  static void TearDownTestSuite() {
    delete pipeline_;
    delete text_;
  }
  void SetUp() override {
    ASSERT_FALSE(text_->empty()) << "../shared/corpus/alice.txt is missing or empty";
    ASSERT_TRUE(pipeline_->ok) << pipeline_->failed_action << ": " << pipeline_->error.message;
  }
  static const json::object& Stats() { return pipeline_->assemble.at("stats").as_object(); }
  static std::size_t Lines(std::string_view cue) {
    const json::object& lines = Stats().at("dialogue_lines").as_object();
    const json::value* v = lines.if_contains(cue);
    return v == nullptr ? 0 : static_cast<std::size_t>(v->to_number<std::int64_t>());
  }

  static std::string* text_;
  static Pipeline* pipeline_;
};
std::string* AliceTest::text_ = nullptr;
Pipeline* AliceTest::pipeline_ = nullptr;

TEST_F(AliceTest, TwelveChaptersWithTheirTitles) {
  const char* kTitles[] = {"Down the Rabbit-Hole",
                           "The Pool of Tears",
                           "A Caucus-Race and a Long Tale",
                           "The Rabbit Sends in a Little Bill",
                           "Advice from a Caterpillar",
                           "Pig and Pepper",
                           "A Mad Tea-Party",
                           "The Queen's Croquet-Ground",
                           "The Mock Turtle's Story",
                           "The Lobster Quadrille",
                           "Who Stole the Tarts?",
                           "Alice's Evidence"};
  const json::array& chapters = pipeline_->ingest.at("chapters").as_array();
  ASSERT_EQ(chapters.size(), 12u);
  for (std::size_t i = 0; i < 12; ++i) {
    EXPECT_EQ(chapters[i].at("title").as_string(), kTitles[i]);
    EXPECT_GT(Int(chapters[i].at("words")), 1000);
  }
  EXPECT_EQ(pipeline_->ingest.at("title").as_string(), "ALICE'S ADVENTURES IN WONDERLAND");
  EXPECT_EQ(pipeline_->ingest.at("author").as_string(), "Lewis Carroll");
}

TEST_F(AliceTest, AliceHasTheMostLines) {
  const json::array& characters = pipeline_->characters.at("characters").as_array();
  ASSERT_FALSE(characters.empty());
  EXPECT_EQ(characters[0].at("name").as_string(), "ALICE");
  for (const auto& [cue, n] : Stats().at("dialogue_lines").as_object()) {
    if (cue != "ALICE") {
      EXPECT_LT(Int(n), static_cast<std::int64_t>(Lines("ALICE"))) << cue;
    }
  }
}

TEST_F(AliceTest, AtLeastNineOfTheSupportingCastAreCues) {
  std::size_t found = 0;
  for (const char* cue :
       {"WHITE RABBIT", "QUEEN", "KING", "HATTER", "DUCHESS", "CAT", "MOCK TURTLE", "GRYPHON",
        "CATERPILLAR", "MARCH HARE", "DORMOUSE", "MOUSE"}) {
    if (Lines(cue) > 0) ++found;
    EXPECT_GT(Lines(cue), 0u) << cue << " (informational)";
  }
  EXPECT_GE(found, 9u);
}

TEST_F(AliceTest, CharacterLinesMatchTheScreenplay) {
  for (const json::value& c : pipeline_->characters.at("characters").as_array()) {
    const std::string_view name = c.at("name").as_string();
    EXPECT_EQ(static_cast<std::size_t>(Int(c.at("lines"))), Lines(name)) << name;
  }
}

// Paragraphs of the source that hold speech: an opening quote at a word start.
std::size_t SpeechParagraphs(const std::string& text) {
  std::size_t count = 0;
  for (std::string_view p : text::SplitOnBlankLines(text)) {
    for (std::size_t i = 0; i + 1 < p.size(); ++i) {
      if (p[i] == '\'' && (i == 0 || p[i - 1] == ' ' || p[i - 1] == '\n' || p[i - 1] == '(') &&
          (text::IsUpper(p[i + 1]) || p[i + 1] == '-' || p[i + 1] == '"')) {
        ++count;
        break;
      }
    }
  }
  return count;
}

TEST_F(AliceTest, DialogueBlocksCoverTheSpeechParagraphs) {
  std::size_t blocks = 0;
  for (const json::value& scene : pipeline_->screenplay.at("scenes").as_array()) {
    for (const json::value& e : scene.at("elements").as_array()) {
      if (e.at("type").as_string() == "dialogue") ++blocks;
    }
  }
  const std::size_t paragraphs = SpeechParagraphs(*text_);
  EXPECT_GE(blocks * 100, paragraphs * 80) << blocks << " blocks, " << paragraphs << " paragraphs";
}

struct Label {
  const char* starts;  // how the speech starts (quoted pieces joined by a space)
  const char* speaker;
};

// Labelled by hand from the text of chapters V, VII and IX, in text order.
const Label kLabels[] = {
    {"Who are YOU?", "CATERPILLAR"},
    {"I--I hardly know, sir", "ALICE"},
    {"What do you mean by that?", "CATERPILLAR"},
    {"I can't explain MYSELF", "ALICE"},
    {"I don't see", "CATERPILLAR"},
    {"I'm afraid I can't put it more clearly", "ALICE"},
    {"It isn't", "CATERPILLAR"},
    {"Well, perhaps you haven't found it so yet", "ALICE"},
    {"Not a bit", "CATERPILLAR"},
    {"Well, perhaps your feelings may be different", "ALICE"},
    {"You!", "CATERPILLAR"},
    {"I think, you ought to tell me who YOU are", "ALICE"},
    {"Why?", "CATERPILLAR"},
    {"Come back!", "CATERPILLAR"},
    {"Keep your temper", "CATERPILLAR"},
    {"Is that all?", "ALICE"},
    {"So you think you're changed", "CATERPILLAR"},
    {"I'm afraid I am, sir", "ALICE"},
    {"Can't remember WHAT things?", "CATERPILLAR"},
    {"Well, I've tried to say", "ALICE"},
    {"Repeat, \"YOU ARE OLD", "CATERPILLAR"},
    // Chapter VII, A Mad Tea-Party.
    {"It wasn't very civil of you", "MARCH HARE"},
    {"I didn't know it was YOUR table", "ALICE"},
    {"Your hair wants cutting", "HATTER"},
    {"You should learn not to make", "ALICE"},
    {"Come, we shall have some fun now", "ALICE"},
    {"Do you mean that you think", "MARCH HARE"},
    {"Exactly so", "ALICE"},
    {"Then you should say what you mean", "MARCH HARE"},
    {"I do, at least", "ALICE"},
    {"Not the same thing a bit", "HATTER"},
    {"You might just as well say, that \"I like", "MARCH HARE"},
    {"You might just as well say, that \"I breathe", "DORMOUSE"},
    {"It IS the same thing with you", "HATTER"},
    {"What day of the month", "HATTER"},
    {"The fourth", "ALICE"},
    {"Two days wrong!", "HATTER"},
    {"It was the BEST butter", "MARCH HARE"},
    {"Yes, but some crumbs", "HATTER"},
    {"What a funny watch!", "ALICE"},
    {"Why should it?", "HATTER"},
    {"Of course not", "ALICE"},
    {"Which is just the case with MINE", "HATTER"},
    {"I don't quite understand you", "ALICE"},
    {"The Dormouse is asleep again", "HATTER"},
    {"Of course, of course", "DORMOUSE"},
    {"Have you guessed the riddle yet?", "HATTER"},
    {"No, I give it up", "ALICE"},
    {"I haven't the slightest idea", "HATTER"},
    {"Nor I", "MARCH HARE"},
    {"I think you might do something better", "ALICE"},
    {"If you knew Time as well as I do", "HATTER"},
    {"I don't know what you mean", "ALICE"},
    {"Of course you don't!", "HATTER"},
    {"Perhaps not", "ALICE"},
    {"Ah! that accounts for it", "HATTER"},
    {"I only wish it was", "MARCH HARE"},
    {"That would be grand, certainly", "ALICE"},
    {"Not at first, perhaps", "HATTER"},
    {"Is that the way YOU manage?", "ALICE"},
    {"Not I!", "HATTER"},
    {"I've heard something like it", "ALICE"},
    {"It goes on, you know", "HATTER"},
    // Chapter IX, The Mock Turtle's Story.
    {"Let's go on with the game", "QUEEN"},
    {"Have you seen the Mock Turtle yet?", "QUEEN"},
    {"No, I don't even know", "ALICE"},
    {"It's the thing Mock Turtle Soup", "QUEEN"},
    {"I never saw one, or heard of one", "ALICE"},
    {"Come on, then", "QUEEN"},
    {"Up, lazy thing!", "QUEEN"},
    {"What fun!", "GRYPHON"},
    {"What IS the fun?", "ALICE"},
    {"Why, SHE", "GRYPHON"},
    {"Everybody says", "ALICE"},
    {"This here young lady", "GRYPHON"},
    {"I'll tell it her", "MOCK TURTLE"},
    {"Once, I was a real Turtle", "MOCK TURTLE"},
};

TEST_F(AliceTest, AttributionOnAHandLabelledSample) {
  std::vector<std::pair<std::string, std::string>> dialogue;  // text, cue
  for (const json::value& scene : pipeline_->screenplay.at("scenes").as_array()) {
    for (const json::value& e : scene.at("elements").as_array()) {
      if (e.at("type").as_string() != "dialogue") continue;
      dialogue.emplace_back(e.at("text").as_string(), e.at("character").as_string());
    }
  }
  std::size_t cursor = 0, right = 0, total = 0;
  for (const Label& label : kLabels) {
    ++total;
    std::size_t i = cursor;
    while (i < dialogue.size() && !text::StartsWith(dialogue[i].first, label.starts))
      ++i;
    if (i == dialogue.size()) {
      ADD_FAILURE() << "no dialogue starts with: " << label.starts;
      continue;
    }
    cursor = i + 1;
    if (dialogue[i].second == label.speaker) {
      ++right;
    } else {
      std::printf("  misattributed: \"%s\" -> %s (labelled %s)\n", label.starts,
                  dialogue[i].second.c_str(), label.speaker);
    }
  }
  ASSERT_GE(total, 60u);
  std::printf("  attribution: %zu of %zu right (%.1f%%)\n", right, total, 100.0 * right / total);
  EXPECT_GE(right * 100, total * 90);
}

TEST_F(AliceTest, SceneCountsAgree) {
  EXPECT_EQ(static_cast<std::size_t>(Int(Stats().at("scenes"))),
            pipeline_->scenes.at("scenes").as_array().size());
  EXPECT_GE(Int(Stats().at("scenes")), 12);
  EXPECT_GT(Int(Stats().at("pages")), 20);
}

TEST_F(AliceTest, FountainParsesWithFountainJs) {
  const std::string root = FORKLINE_SOURCE_DIR;
  const std::string file = ::testing::TempDir() + "/alice.fountain";
  {
    std::ofstream out(file, std::ios::binary);
    out << std::string_view(pipeline_->assemble.at("fountain").as_string());
  }
  const std::string cmd = "NODE_PATH='" + root + "/node_modules' node '" + root +
                          "/tests/novel/fountain_check.js' '" + file + "' " +
                          std::to_string(Int(Stats().at("scenes")));
  const int rc = std::system(cmd.c_str());
  EXPECT_EQ(rc, 0) << cmd << "\n(needs node and fountain-js: run scripts/npm-deps)";
}

// Eight megabytes of novel go through all five steps (speed is measured by
// bench/novel_bench, not asserted here).
TEST_F(AliceTest, EightMegabytesGoThroughAllFiveSteps) {
  std::string big;
  while (big.size() < (8u << 20))
    big += *text_;
  const Pipeline p = RunPipeline(big);
  ASSERT_TRUE(p.ok) << p.error.message;
  const std::size_t copies = big.size() / text_->size();
  EXPECT_GE(static_cast<std::size_t>(Int(p.assemble.at("stats").as_object().at("scenes"))),
            copies * static_cast<std::size_t>(Int(Stats().at("scenes"))) / 2);
}

}  // namespace
}  // namespace forkline::testing
