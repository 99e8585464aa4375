// Every answer that carries a run is the fold of the log at that moment: the engine
// builds it from its compact state plus cached outputs when no step completed since it
// last folded them (no read), and folds the newer events otherwise.
#include "projections/fold.h"
#include "projections/run_json.h"
#include "tests/engine/engine_fixture.h"

namespace forkline::testing {
namespace {

namespace json = boost::json;

class RunReplyTest : public EngineTest {
 protected:
  // The run as the log folds it, in the form run.get answers with.
  json::object Folded(const std::string& run) {
    auto state = Fold(History(run), Payloads::kKeep);
    EXPECT_TRUE(state.ok()) << state.status().ToString();
    return state.ok() ? RunToJson(*state, RunDetail::kFull) : json::object();
  }
  void ExpectFolded(const json::object& reply, const std::string& run) {
    EXPECT_EQ(reply.at("run").as_object(), Folded(run)) << json::serialize(reply);
  }
};

TEST_F(RunReplyTest, ControlAnswersCarryInputAndEveryOutputAsTheLogFoldsThem) {
  StartEngine();
  const std::string run = Create();
  ExpectFolded(Ok("run.pause", {{"run_id", run}}), run);  // nothing folded before: a read
  ExpectFolded(Ok("run.resume", {{"run_id", run}}), run);
  ExpectFolded(Ok("run.next", {{"run_id", run}}), run);   // a new output: folded again
  for (int i = 0; i < 3; ++i) {                            // outputs unchanged: no read
    const json::object paused = Ok("run.pause", {{"run_id", run}});
    ExpectFolded(paused, run);
    EXPECT_EQ(paused.at("run").at("input").at("text").as_string(), "hello");
    EXPECT_EQ(paused.at("run").at("steps").at(0).at("output").at("step").as_string(), "one");
    ExpectFolded(Ok("run.resume", {{"run_id", run}}), run);
    EXPECT_EQ(Get(run), Folded(run));
  }
  ExpectFolded(Ok("run.next", {{"run_id", run}}), run);
  EXPECT_EQ(Get(run).at("steps").at(1).at("output").at("step").as_string(), "two");
  ExpectFolded(Ok("run.cancel", {{"run_id", run}}), run);
  EXPECT_EQ(Get(run), Folded(run));
}

TEST_F(RunReplyTest, AForkWithAnOverrideAnswersWithTheOverride) {
  StartEngine();
  const std::string source = Create();
  Ok("run.next", {{"run_id", source}});
  Ok("run.next", {{"run_id", source}});
  const json::object fork =
      Ok("run.fork", {{"run_id", source}, {"at", 1}, {"override", {{"output", {{"edited", true}}}}}});
  const std::string id(fork.at("run").at("id").as_string());
  ExpectFolded(fork, id);
  ExpectFolded(Ok("run.pause", {{"run_id", id}}), id);
  EXPECT_TRUE(Get(id).at("steps").at(0).at("output").at("edited").as_bool());
  ExpectFolded(Ok("run.resume", {{"run_id", id}}), id);
  ExpectFolded(Ok("run.next", {{"run_id", id}}), id);
  EXPECT_EQ(Get(source), Folded(source));  // the source is untouched
}

TEST_F(RunReplyTest, RunsBeyondTheKeptFullStatesStillAnswerAsTheLogFoldsThem) {
  StartEngine();
  // More runs with an output than the registry keeps full states for (128): the
  // earliest have lost theirs by the end and fold them from the log again.
  std::vector<std::string> runs;
  for (int i = 0; i < 140; ++i) {
    runs.push_back(Create());
    Ok("run.next", {{"run_id", runs.back()}});
  }
  for (const std::string& run : runs) {
    ExpectFolded(Ok("run.pause", {{"run_id", run}}), run);
    EXPECT_EQ(Get(run).at("steps").at(0).at("output").at("step").as_string(), "one");
  }
}

}  // namespace
}  // namespace forkline::testing
