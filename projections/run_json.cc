#include "projections/run_json.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "eventstore/canonical.h"

namespace forkline {
namespace json = boost::json;

namespace {

json::value OrNull(const std::string& s, const json::storage_ptr& sp) {
  return s.empty() ? json::value(sp) : json::value(s, sp);
}

// A step record whose output is `output` (the record's own, or one from a full state).
json::object StepJson(const StepRecord& s, const json::value& output, std::size_t max_output_bytes,
                      const json::storage_ptr& sp) {
  json::object o(11, sp);
  o["index"] = s.index;
  o["name"] = s.name;
  o["status"] = Name(s.status);
  o["attempt"] = s.attempt;
  o["started_at"] = OrNull(s.started_at, sp);
  o["ended_at"] = OrNull(s.ended_at, sp);
  o["duration_ms"] = s.duration_ms >= 0 ? json::value(s.duration_ms) : json::value();
  o["executor"] = s.executor;
  const bool has_output = s.status == StepStatus::kCompleted && !output.is_null();
  if (has_output && max_output_bytes > 0 && json::serialize(output).size() > max_output_bytes) {
    o["output"] = nullptr;
    o["output_truncated"] = true;
  } else {
    o["output"] = has_output ? output : json::value();
  }
  if (s.status == StepStatus::kFailed) {
    o["error"] = json::object({{"code", s.error_code}, {"message", s.error_message}}, sp);
  } else {
    o["error"] = nullptr;
  }
  return o;
}

// The run's own fields, then (kFull) the input and the steps with outputs from `payloads`.
json::object RunJson(const RunState& r, RunDetail detail, const RunState& payloads,
                     const json::storage_ptr& sp) {
  json::object o(14, sp);
  o["id"] = r.id;
  o["kind"] = r.kind;
  o["title"] = r.title;
  o["status"] = Name(r.status);
  o["cursor"] = r.cursor;
  o["total_steps"] = r.total_steps();
  o["autorun"] = r.autorun;
  o["version"] = r.version;
  o["created_at"] = r.created_at;
  o["updated_at"] = r.updated_at;
  if (r.parent) {
    o["parent"] = json::object(
        {{"run_id", r.parent->run_id}, {"at", r.parent->at}, {"version", r.parent->version}}, sp);
  } else {
    o["parent"] = nullptr;
  }
  if (r.status == RunStatus::kFailed && !r.last_error_code.empty()) {
    o["error"] = json::object({{"code", r.last_error_code}, {"message", r.last_error_message}}, sp);
  }
  if (detail == RunDetail::kFull) {
    o["input"] = payloads.input.get();
    json::array steps(sp);
    steps.reserve(r.steps.size());
    for (std::size_t i = 0; i < r.steps.size(); ++i) {
      // An output is the one of the event that holds it (PayloadsCover).
      const StepRecord& s = r.steps[i];
      const bool from_payloads = &payloads != &r && s.output_version != 0;
      steps.push_back(StepJson(s, from_payloads ? payloads.steps[i].output : s.output, 0, sp));
    }
    o["steps"] = std::move(steps);
  }
  return o;
}

}  // namespace

json::object StepToJson(const StepRecord& s, std::size_t max_output_bytes) {
  return StepJson(s, s.output, max_output_bytes, {});
}

json::object BriefToJson(const RunBrief& b) {
  return {{"status", Name(b.status)}, {"cursor", b.cursor}, {"autorun", b.autorun},
          {"version", b.version}};
}

json::object RunToJson(const RunState& r, RunDetail detail, const json::storage_ptr& sp) {
  return RunJson(r, detail, r, sp);
}

bool PayloadsCover(const RunState& run, const RunState& full) {
  if (run.id != full.id) return false;
  for (std::size_t i = 0; i < run.steps.size(); ++i) {
    const std::uint64_t v = run.steps[i].output_version;
    if (v != 0 && (i >= full.steps.size() || full.steps[i].output_version != v)) return false;
  }
  return true;
}

json::object RunToJson(const RunState& run, const RunState& payloads,
                       const json::storage_ptr& sp) {
  return RunJson(run, RunDetail::kFull, payloads, sp);
}

json::parse_options StoredJsonOptions() {
  json::parse_options o;
  o.max_depth = kMaxJsonDepth;
  return o;
}

json::object EventToJson(const Event& event) {
  boost::system::error_code ec;
  json::value v = json::parse(CanonicalJson(event, CanonicalForm::kFull), ec, {}, StoredJsonOptions());
  if (ec || !v.is_object()) {
    return {{"run_id", event.run_id}, {"version", event.version}, {"type", event.type},
            {"error", "stored payload does not parse: " + ec.message()}};
  }
  return std::move(v.get_object());
}

std::string EventWireLine(const Event& event, const RunBrief& after) {
  std::string line = CanonicalJson(event, CanonicalForm::kFull);
  line.pop_back();  // the closing brace
  // serialize(BriefToJson(after)), written directly: the status names are bare words.
  line += ",\"run\":{\"status\":\"";
  line += Name(after.status);
  line += "\",\"cursor\":";
  line += std::to_string(after.cursor);
  line += after.autorun ? ",\"autorun\":true" : ",\"autorun\":false";
  line += ",\"version\":";
  line += std::to_string(after.version);
  line += "}}";
  return line;
}

}  // namespace forkline
