#include "tests/audit/sample_log.h"

#include <boost/json.hpp>

namespace forkline::testing {
namespace {

namespace json = boost::json;

NewEvent Make(std::string type, const json::object& data, int second) {
  char at[32];
  std::snprintf(at, sizeof at, "2026-01-02T03:04:%02d.000Z", second);
  return NewEvent{std::move(type), at, "", "", json::serialize(data)};
}

json::object Step(int index, const char* name) {
  return {{"index", index}, {"name", name}, {"attempt", 1}};
}

json::object Completed(int index, const char* name, json::object output) {
  json::object d = Step(index, name);
  d["output"] = std::move(output);
  d["duration_ms"] = 1;
  return d;
}

std::vector<NewEvent> TwoStepRun(const std::string& text, int t0) {
  const json::array definition{json::object{{"name", "split"}, {"executor", "builtin"}},
                               json::object{{"name", "join"}, {"executor", "builtin"}}};
  json::object started0 = Step(0, "split");
  started0["executor"] = "builtin";
  json::object started1 = Step(1, "join");
  started1["executor"] = "builtin";
  return {Make("run.created",
               {{"kind", "demo"},
                {"title", "T"},
                {"input", {{"text", text}}},
                {"definition", definition}},
               t0),
          Make("step.started", started0, t0 + 1),
          Make("step.completed", Completed(0, "split", {{"lines", json::array{"a", "b", "c"}}}),
               t0 + 2),
          Make("step.started", started1, t0 + 3),
          Make("step.completed", Completed(1, "join", {{"text", text}}), t0 + 4),
          Make("run.completed", {}, t0 + 5)};
}

}  // namespace

Status WriteSampleLog(EventStore& store, const SampleRuns& runs) {
  AppendRequest source{runs.source, 0, std::nullopt, TwoStepRun("one\ntwo\nthree\nfour\n", 0)};
  if (auto r = store.Append(std::move(source)); !r.ok()) return r.status();
  // The fork after step 0 (version 3), with an edited output of step 0, then step 1 again.
  json::object forked{{"source_run_id", runs.source},
                      {"source_version", 3},
                      {"at", 1},
                      {"override", {{"output", {{"lines", json::array{"a", "B"}}}}}},
                      {"title", "F"}};
  json::object started1{{"index", 1}, {"name", "join"}, {"attempt", 1}, {"executor", "builtin"}};
  AppendRequest fork{
      runs.fork,
      3,
      ForkLink{runs.source, 3},
      {Make("run.forked", forked, 20), Make("step.started", started1, 21),
       Make("step.completed", Completed(1, "join", {{"text", "one\nTWO\nthree\nfour\n"}}), 22),
       Make("run.completed", {}, 23)}};
  if (auto r = store.Append(std::move(fork)); !r.ok()) return r.status();
  AppendRequest other{runs.other, 0, std::nullopt, TwoStepRun("other\n", 30)};
  if (auto r = store.Append(std::move(other)); !r.ok()) return r.status();
  return Status::Ok();
}

}  // namespace forkline::testing
