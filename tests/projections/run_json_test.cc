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

// A run with a bit of everything: every step status, strings that need escaping, outputs
// of every JSON kind, a parent, an error.
RunState Varied(bool failed, bool with_parent) {
  RunState r;
  r.id = "r_1a2b";
  r.kind = "novel_to_script";
  r.title = "Alice \"in\" W\xc3\xb6nderland\n\t\x01\x1f/\\";
  r.status = failed ? RunStatus::kFailed : RunStatus::kPaused;
  r.cursor = 2;
  r.autorun = !failed;
  r.version = 18446744073709551615ull;
  r.created_at = "2026-11-30T07:00:00.000Z";
  r.updated_at = "2026-11-30T07:00:01.500Z";
  if (with_parent) r.parent = ParentLink{"r_parent\x7f", 3, 9};
  r.last_error_code = failed ? "step_failed" : "";
  r.last_error_message = "exit status 2: \"oops\"\r\n";
  r.input = json::parse(R"({"text":"It was the best\nof times","n":1.5e3,"deep":[{"a":null},true,-7]})")
                .as_object();
  const StepStatus statuses[] = {StepStatus::kCompleted, StepStatus::kFailed, StepStatus::kRunning,
                                 StepStatus::kAborted, StepStatus::kPending, StepStatus::kCompleted};
  const char* outputs[] = {R"({"chapters":[1,2,3],"title":"\u00e9\u0000"})", "null", "\"x\"",
                           "[]", "{}", "3.25"};
  for (std::uint32_t i = 0; i < 6; ++i) {
    StepRecord s;
    s.index = i;
    s.name = i == 3 ? "sc\"enes" : "step" + std::to_string(i);
    s.executor = i % 2 ? "exec" : "builtin";
    s.status = statuses[i];
    s.attempt = i;
    s.started_at = i < 4 ? "2026-11-30T07:00:00.100Z" : "";
    s.ended_at = i < 2 ? "2026-11-30T07:00:00.900Z" : "";
    s.duration_ms = i < 2 ? 800 : -1;
    s.output = json::parse(outputs[i]);
    s.output_version = s.status == StepStatus::kCompleted ? 10 + i : 0;
    s.error_code = s.status == StepStatus::kFailed ? "timeout" : "";
    s.error_message = s.status == StepStatus::kFailed ? "took \x02 too long" : "";
    r.steps.push_back(std::move(s));
  }
  return r;
}

TEST(RunJsonTest, TextIsTheSerialisedDom) {
  for (bool failed : {false, true}) {
    for (bool with_parent : {false, true}) {
      const RunState full = Varied(failed, with_parent);
      for (RunDetail detail : {RunDetail::kSummary, RunDetail::kFull}) {
        std::string text = "{";  // appends after what is there
        AppendRunJson(text, full, detail, full);
        EXPECT_EQ(text.substr(1), json::serialize(RunToJson(full, detail)));
      }
      for (const StepRecord& step : full.steps) {
        std::string text;
        AppendStepJson(text, step);
        EXPECT_EQ(text, json::serialize(StepToJson(step)));
      }
      // The compact state (no input, no outputs) rendered with the payloads of `full`.
      RunState compact = full;
      compact.input = json::object();
      for (StepRecord& s : compact.steps) s.output = nullptr;
      ASSERT_TRUE(PayloadsCover(compact, full));
      std::string text;
      AppendRunJson(text, compact, RunDetail::kFull, full);
      EXPECT_EQ(text, json::serialize(RunToJson(compact, full)));
      EXPECT_EQ(text, json::serialize(RunToJson(full, RunDetail::kFull)));
    }
  }
}

}  // namespace
}  // namespace forkline
