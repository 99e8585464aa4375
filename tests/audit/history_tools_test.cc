// Time travel and comparison tools: the Myers line diff and its unified form, replay
// to a version or a time, and the step-by-step diff of a run and its fork.

#include <limits>
#include <random>

#include <gtest/gtest.h>

#include "eventstore/memory_event_store.h"
#include "projections/fold.h"
#include "tests/audit/sample_log.h"
#include "tests/testutil/status_matchers.h"
#include "tools/line_diff.h"
#include "tools/replay.h"
#include "tools/run_diff.h"

namespace forkline {
namespace {

namespace json = boost::json;
using tools::DiffOp;

// Applies an edit script to `a`, which must give `b`; returns the number of changes.
std::size_t CheckScript(const std::vector<std::string_view>& a,
                        const std::vector<std::string_view>& b,
                        const std::vector<tools::DiffLine>& edits) {
  std::vector<std::string_view> built;
  std::size_t ai = 0;
  std::size_t changes = 0;
  for (const tools::DiffLine& e : edits) {
    if (e.op == DiffOp::kInsert) {
      built.push_back(b.at(e.b));
      ++changes;
      continue;
    }
    EXPECT_EQ(e.a, ai);
    ++ai;
    if (e.op == DiffOp::kEqual) {
      EXPECT_EQ(a.at(e.a), b.at(e.b));
      built.push_back(a[e.a]);
    } else {
      ++changes;
    }
  }
  EXPECT_EQ(ai, a.size());
  EXPECT_EQ(built, b);
  return changes;
}

TEST(LineDiffTest, UnifiedDiffOfAChangedLine) {
  const std::string a = "1\n2\n3\n4\n5\n6\n7\n8\n9\n";
  const std::string b = "1\n2\n3\n4\nFIVE\n6\n7\n8\n9\n10\n";
  EXPECT_EQ(tools::UnifiedDiff(a, b, "a", "b"),
            "--- a\n+++ b\n"
            "@@ -2,8 +2,9 @@\n 2\n 3\n 4\n-5\n+FIVE\n 6\n 7\n 8\n 9\n+10\n");
  EXPECT_EQ(tools::UnifiedDiff(a, a, "a", "b"), "");
  EXPECT_EQ(tools::UnifiedDiff("", "x\n", "a", "b"), "--- a\n+++ b\n@@ -0,0 +1,1 @@\n+x\n");
}

TEST(LineDiffTest, FarApartChangesMakeTwoHunks) {
  std::string a;
  for (int i = 0; i < 30; ++i)
    a += std::to_string(i) + "\n";
  std::string b = a;
  b.replace(b.find("3\n"), 2, "three\n");
  b.replace(b.find("25\n"), 3, "twenty-five\n");
  const std::string diff = tools::UnifiedDiff(a, b, "a", "b");
  EXPECT_NE(diff.find("@@ -1,7 +1,7 @@"), std::string::npos) << diff;
  EXPECT_NE(diff.find("@@ -23,7 +23,7 @@"), std::string::npos) << diff;
}

TEST(LineDiffTest, ScriptsAreCorrectAndShortest) {
  const std::vector<std::string_view> a = {"a", "b", "c", "a", "b", "b", "a"};
  const std::vector<std::string_view> b = {"c", "b", "a", "b", "a", "c"};
  EXPECT_EQ(CheckScript(a, b, tools::DiffLines(a, b)), 5u);  // Myers' paper: D = 5
  std::mt19937 rng(7);
  const std::vector<std::string_view> words = {"x", "y", "z", "w"};
  for (int round = 0; round < 300; ++round) {
    std::vector<std::string_view> p;
    std::vector<std::string_view> q;
    for (int i = static_cast<int>(rng() % 20); i > 0; --i)
      p.push_back(words[rng() % 4]);
    for (int i = static_cast<int>(rng() % 20); i > 0; --i)
      q.push_back(words[rng() % 4]);
    const std::size_t d = CheckScript(p, q, tools::DiffLines(p, q));
    // Shortest: n + m - 2 * LCS(p, q), the LCS by dynamic programming.
    std::vector<std::vector<std::size_t>> lcs(p.size() + 1,
                                              std::vector<std::size_t>(q.size() + 1, 0));
    for (std::size_t i = 1; i <= p.size(); ++i) {
      for (std::size_t j = 1; j <= q.size(); ++j) {
        lcs[i][j] =
            p[i - 1] == q[j - 1] ? lcs[i - 1][j - 1] + 1 : std::max(lcs[i - 1][j], lcs[i][j - 1]);
      }
    }
    EXPECT_EQ(d, p.size() + q.size() - 2 * lcs[p.size()][q.size()]);
    // Over the limit the script is still correct.
    CheckScript(p, q, tools::DiffLines(p, q, 1));
  }
}

class HistoryToolsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = NewMemoryEventStore();
    ASSERT_OK(testing::WriteSampleLog(*store_, runs_));
  }
  EventList History(const std::string& run) {
    auto h = store_->ReadStream(run, 0, std::numeric_limits<std::size_t>::max());
    EXPECT_TRUE(h.ok());
    return h.ok() ? *h : EventList{};
  }
  std::unique_ptr<EventStore> store_;
  testing::SampleRuns runs_;
};

TEST_F(HistoryToolsTest, ReplayStopsAtAVersionOrATime) {
  const EventList h = History(runs_.source);
  tools::ReplayPoint point;
  point.until_version = 3;
  auto at3 = tools::ReplayRun(runs_.source, h, point);
  ASSERT_OK(at3);
  EXPECT_EQ(at3->version, 3u);
  EXPECT_EQ(at3->cursor, 1u);
  EXPECT_EQ(at3->status, RunStatus::kRunning);
  tools::ReplayPoint by_time;
  by_time.until_time = "2026-01-02T03:04:02Z";  // the third event is at :02.000
  auto t = tools::ReplayRun(runs_.source, h, by_time);
  ASSERT_OK(t);
  EXPECT_EQ(t->version, 3u);
  auto whole = tools::ReplayRun(runs_.source, h, {});
  ASSERT_OK(whole);
  EXPECT_EQ(whole->status, RunStatus::kCompleted);

  point.until_version = 0;
  EXPECT_EQ(tools::ReplayRun(runs_.source, h, point).status().code(), Code::kBadRequest);
  point.until_version = 7;
  EXPECT_EQ(tools::ReplayRun(runs_.source, h, point).status().code(), Code::kNotFound);
  by_time.until_time = "2025-01-01T00:00:00Z";
  EXPECT_EQ(tools::ReplayRun(runs_.source, h, by_time).status().code(), Code::kNotFound);
  for (const char* bad :
       {"yesterday", "2026-01-02 03:04:02Z", "2026-01-02T03:04:02", "2026-01-02T03:04:02.1Z"}) {
    EXPECT_EQ(tools::NormalizeTime(bad).status().code(), Code::kBadRequest) << bad;
  }
  EXPECT_EQ(*tools::NormalizeTime("2026-01-02T03:04:02Z"), "2026-01-02T03:04:02.000Z");
}

TEST_F(HistoryToolsTest, DiffOfARunAndItsFork) {
  const EventList ha = History(runs_.source);
  const EventList hb = History(runs_.fork);
  auto a = Fold(ha, Payloads::kKeep);
  auto b = Fold(hb, Payloads::kKeep);
  ASSERT_OK(a);
  ASSERT_OK(b);
  const json::object diff = tools::DiffRuns({ha, *a}, {hb, *b});
  EXPECT_EQ(diff.at("shared"), (json::value{{"run_id", runs_.source}, {"version", 3}}));
  EXPECT_EQ(diff.at("diverge_at"), json::value(4));
  const json::array& steps = diff.at("steps").as_array();
  ASSERT_EQ(steps.size(), 2u);
  EXPECT_EQ(steps[0].at("verdict"), "differs");  // the fork's override
  EXPECT_EQ(steps[1].at("verdict"), "differs");
  const std::string text_diff(steps[1].at("fields").at(0).at("diff").as_string());
  EXPECT_NE(text_diff.find("-two\n+TWO\n"), std::string::npos) << text_diff;
  const std::string text = tools::DiffText(diff);
  EXPECT_NE(text.find("shared history: versions 1..3"), std::string::npos) << text;
  EXPECT_NE(text.find("they diverge at version 4"), std::string::npos) << text;

  const EventList hc = History(runs_.other);
  auto c = Fold(hc, Payloads::kKeep);
  ASSERT_OK(c);
  const json::object unrelated = tools::DiffRuns({ha, *a}, {hc, *c});
  EXPECT_TRUE(unrelated.at("shared").is_null());
  EXPECT_EQ(unrelated.at("diverge_at"), json::value(1));
}

}  // namespace
}  // namespace forkline
