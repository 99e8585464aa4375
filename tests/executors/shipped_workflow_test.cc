// The exec step of the shipped example workflow (config/workflows/novel_stats.toml) runs
// its script from the file's folder and returns the documented output.

#include <atomic>

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include "daemon/executors/exec_executor.h"
#include "daemon/workflow/workflow_catalog.h"
#include "daemon/workflow/workflow_loader.h"
#include "tests/testutil/status_matchers.h"

namespace forkline {
namespace {

TEST(ShippedWorkflowTest, NovelStatsExecStepRuns) {
  auto def = LoadWorkflowFile(
      std::string(FORKLINE_SOURCE_DIR) + "/config/workflows/novel_stats.toml", IsNovelAction);
  ASSERT_OK(def);
  ASSERT_EQ(def->steps.size(), 3u);
  const StepDefinition& stats = def->steps[2];
  ASSERT_EQ(stats.executor, "exec");
  const boost::json::object context = boost::json::parse(R"({
    "run_id": "r_1", "kind": "novel_stats", "title": "Alice", "input": {"text": "..."},
    "step": {"index": 2, "name": "stats", "params": {"top": 1}},
    "steps": {
      "ingest": {"words": 30, "chapters": [{"index": 0, "title": "I", "words": 10, "text": ""},
                                           {"index": 1, "title": "II", "words": 20, "text": ""}]},
      "characters": {"characters": [{"name": "HATTER", "lines": 3, "mentions": 4, "aliases": []},
                                    {"name": "ALICE", "lines": 9, "mentions": 12, "aliases": []}]}
    }})")
                                          .as_object();
  std::atomic<bool> abort{false};
  std::vector<std::string> lines;
  StepTask task{context,
                stats,
                abort,
                [&](StepProgress p) { lines.push_back(p.message); },
                std::chrono::seconds(60),
                1 << 20};
  const StepResult r = ExecExecutor().Run(task);
  ASSERT_TRUE(r.ok) << r.error.code << ": " << r.error.message;
  EXPECT_EQ(r.output.at("chapters"), 2);
  EXPECT_EQ(r.output.at("words"), 30);
  EXPECT_EQ(r.output.at("longest_chapter_words"), 20);
  EXPECT_EQ(r.output.at("speakers"), boost::json::parse(R"([{"name": "ALICE", "lines": 9}])"));
  EXPECT_FALSE(lines.empty());
}

}  // namespace
}  // namespace forkline
