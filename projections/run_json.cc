#include "projections/run_json.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "eventstore/canonical.h"

namespace forkline {
namespace json = boost::json;

namespace {
json::value OrNull(const std::string& s) { return s.empty() ? json::value() : json::value(s); }
}  // namespace

json::object StepToJson(const StepRecord& s, std::size_t max_output_bytes) {
  json::object o(11);
  o["index"] = s.index;
  o["name"] = s.name;
  o["status"] = Name(s.status);
  o["attempt"] = s.attempt;
  o["started_at"] = OrNull(s.started_at);
  o["ended_at"] = OrNull(s.ended_at);
  o["duration_ms"] = s.duration_ms >= 0 ? json::value(s.duration_ms) : json::value();
  o["executor"] = s.executor;
  const bool has_output = s.status == StepStatus::kCompleted && !s.output.is_null();
  if (has_output && max_output_bytes > 0 && json::serialize(s.output).size() > max_output_bytes) {
    o["output"] = nullptr;
    o["output_truncated"] = true;
  } else {
    o["output"] = has_output ? s.output : json::value();
  }
  if (s.status == StepStatus::kFailed) {
    o["error"] = json::object{{"code", s.error_code}, {"message", s.error_message}};
  } else {
    o["error"] = nullptr;
  }
  return o;
}

json::object BriefToJson(const RunBrief& b) {
  return {{"status", Name(b.status)}, {"cursor", b.cursor}, {"autorun", b.autorun},
          {"version", b.version}};
}

json::object RunToJson(const RunState& r, RunDetail detail) {
  json::object o(14);
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
    o["parent"] = json::object{{"run_id", r.parent->run_id}, {"at", r.parent->at},
                               {"version", r.parent->version}};
  } else {
    o["parent"] = nullptr;
  }
  if (r.status == RunStatus::kFailed && !r.last_error_code.empty()) {
    o["error"] = json::object{{"code", r.last_error_code}, {"message", r.last_error_message}};
  }
  if (detail == RunDetail::kFull) {
    o["input"] = r.input.get();
    json::array steps;
    steps.reserve(r.steps.size());
    for (const StepRecord& s : r.steps) steps.push_back(StepToJson(s));
    o["steps"] = std::move(steps);
  }
  return o;
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
  line += ",\"run\":";
  line += json::serialize(BriefToJson(after));
  line += '}';
  return line;
}

}  // namespace forkline
