// Forks of forks whose link lies before the source's own first event: the history must
// be the source's history up to the link, nothing of the source's own branch.
#include <boost/json.hpp>

#include "tests/engine/engine_fixture.h"
#include "tests/engine/run_checks.h"

namespace forkline::testing {
namespace {
namespace json = boost::json;

// root: created, step 0 done (v3). f1 = fork(root, at 1) links root@3. f2 = fork(f1,
// at 0) links f1@1, which is root@1: f2's history is root/1 then f2's run.forked at 2.
// Found by the property test: the store's fork-chain resolution raised its version cap
// to f1's link (3) instead of keeping the lower one (1), so f2 read root/1..3 and then
// its own version 2, which no fold accepts.
TEST_F(EngineTest, ForkAtZeroOfAForkSharesOnlyTheRootsCreation) {
  StartEngine();
  const std::string root = Create();
  Ok("run.next", {{"run_id", root}});
  const std::string f1(Ok("run.fork", {{"run_id", root}, {"at", 1}}).at("run").at("id").as_string());
  auto f2 = Call("run.fork", {{"run_id", f1}, {"at", 0}});
  ASSERT_OK(f2);
  const std::string id(f2->at("run").at("id").as_string());
  const EventList history = History(id);
  std::string versions;
  for (const EventPtr& e : history) versions += " " + e->run_id + "/" + std::to_string(e->version);
  ASSERT_EQ(history.size(), 2u) << versions;
  EXPECT_EQ(history[0]->run_id, root);
  EXPECT_EQ(history[1]->run_id, id);
  auto info = store_->GetStream(id);
  ASSERT_OK(info);
  EXPECT_EQ(CheckHistory(*info, history), "");
  EXPECT_EQ(Get(id).at("cursor").to_number<int>(), 0);
}

}  // namespace
}  // namespace forkline::testing
