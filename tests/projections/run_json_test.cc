// The wire forms of projections/run_json.h against the DOM forms they stand for.
#include "projections/run_json.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "eventstore/canonical.h"

namespace forkline {
namespace {

namespace json = boost::json;

TEST(RunJsonTest, EventWireLineIsTheCanonicalEventWithTheBriefOfEveryStatus) {
  Event e;
  e.run_id = "r_1";
  e.version = 7;
  e.position = 42;
  e.type = "run.paused";
  e.at = "2026-11-30T04:00:00.000Z";
  e.command_id = "run.pause#0123456789abcdef";
  e.data = R"({"abort_step":false})";
  for (RunStatus status : {RunStatus::kQueued, RunStatus::kRunning, RunStatus::kPaused,
                           RunStatus::kCompleted, RunStatus::kFailed, RunStatus::kCanceled}) {
    for (bool autorun : {false, true}) {
      const RunBrief brief{status, 3, autorun, 18446744073709551615ull};
      std::string expected = CanonicalJson(e, CanonicalForm::kFull);
      expected.pop_back();
      expected += ",\"run\":" + json::serialize(BriefToJson(brief)) + "}";
      EXPECT_EQ(EventWireLine(e, brief), expected);
      EXPECT_TRUE(json::parse(expected).is_object());
    }
  }
}

}  // namespace
}  // namespace forkline
