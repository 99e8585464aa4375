#include "projections/run_json.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/serializer.hpp>

#include <charconv>

#include "eventstore/canonical.h"

namespace forkline {
namespace json = boost::json;

namespace {

json::value OrNull(const std::string& s) { return s.empty() ? json::value() : json::value(s); }

// A step record whose output is `output` (the record's own, or one from a full state).
json::object StepJson(const StepRecord& s, const json::value& output, std::size_t max_output_bytes) {
  json::object o(11);
  o["index"] = s.index;
  o["name"] = s.name;
  o["status"] = Name(s.status);
  o["attempt"] = s.attempt;
  o["started_at"] = OrNull(s.started_at);
  o["ended_at"] = OrNull(s.ended_at);
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
    o["error"] = json::object{{"code", s.error_code}, {"message", s.error_message}};
  } else {
    o["error"] = nullptr;
  }
  return o;
}

// The run's own fields, then (kFull) the input and the steps with outputs from `payloads`.
json::object RunJson(const RunState& r, RunDetail detail, const RunState& payloads) {
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
    o["input"] = payloads.input.get();
    json::array steps;
    steps.reserve(r.steps.size());
    for (std::size_t i = 0; i < r.steps.size(); ++i) {
      // An output is the one of the event that holds it (PayloadsCover).
      const StepRecord& s = r.steps[i];
      const bool from_payloads = &payloads != &r && s.output_version != 0;
      steps.push_back(StepJson(s, from_payloads ? payloads.steps[i].output : s.output, 0));
    }
    o["steps"] = std::move(steps);
  }
  return o;
}

}  // namespace

json::object StepToJson(const StepRecord& s, std::size_t max_output_bytes) {
  return StepJson(s, s.output, max_output_bytes);
}

json::object BriefToJson(const RunBrief& b) {
  return {{"status", Name(b.status)}, {"cursor", b.cursor}, {"autorun", b.autorun},
          {"version", b.version}};
}

json::object RunToJson(const RunState& r, RunDetail detail) { return RunJson(r, detail, r); }

bool PayloadsCover(const RunState& run, const RunState& full) {
  if (run.id != full.id) return false;
  for (std::size_t i = 0; i < run.steps.size(); ++i) {
    const std::uint64_t v = run.steps[i].output_version;
    if (v != 0 && (i >= full.steps.size() || full.steps[i].output_version != v)) return false;
  }
  return true;
}

json::object RunToJson(const RunState& run, const RunState& payloads) {
  return RunJson(run, RunDetail::kFull, payloads);
}

namespace {

// The text twins of RunJson / StepJson: the same keys in the same order, the bytes
// json::serialize writes for them (RunJsonTest.TextIsTheSerialisedDom).
void Key(std::string& out, std::string_view key) {
  if (out.back() != '{') out += ',';
  out += '"';
  out += key;
  out += "\":";
}

template <typename Integer>
void Number(std::string& out, Integer v) {
  char buf[24];
  out.append(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
}

void StringOrNull(std::string& out, const std::string& s) {
  if (s.empty()) {
    out += "null";
  } else {
    AppendJsonString(out, s);
  }
}

void ErrorText(std::string& out, const std::string& code, const std::string& message) {
  out += "{\"code\":";
  AppendJsonString(out, code);
  out += ",\"message\":";
  AppendJsonString(out, message);
  out += '}';
}

template <typename Json>  // value or object
void AppendValue(std::string& out, const Json& v) {
  json::serializer sr;
  sr.reset(&v);
  char buf[4096];
  while (!sr.done()) out += sr.read(buf);
}

void StepText(std::string& out, const StepRecord& s, const json::value& output) {
  out += '{';
  Key(out, "index");
  Number(out, s.index);
  Key(out, "name");
  AppendJsonString(out, s.name);
  Key(out, "status");
  AppendJsonString(out, Name(s.status));
  Key(out, "attempt");
  Number(out, s.attempt);
  Key(out, "started_at");
  StringOrNull(out, s.started_at);
  Key(out, "ended_at");
  StringOrNull(out, s.ended_at);
  Key(out, "duration_ms");
  if (s.duration_ms >= 0) {
    Number(out, s.duration_ms);
  } else {
    out += "null";
  }
  Key(out, "executor");
  AppendJsonString(out, s.executor);
  Key(out, "output");
  if (s.status == StepStatus::kCompleted && !output.is_null()) {
    AppendValue(out, output);
  } else {
    out += "null";
  }
  Key(out, "error");
  if (s.status == StepStatus::kFailed) {
    ErrorText(out, s.error_code, s.error_message);
  } else {
    out += "null";
  }
  out += '}';
}

}  // namespace

void AppendStepJson(std::string& out, const StepRecord& step) { StepText(out, step, step.output); }

void AppendRunJson(std::string& out, const RunState& r, RunDetail detail,
                   const RunState& payloads) {
  out += '{';
  Key(out, "id");
  AppendJsonString(out, r.id);
  Key(out, "kind");
  AppendJsonString(out, r.kind);
  Key(out, "title");
  AppendJsonString(out, r.title);
  Key(out, "status");
  AppendJsonString(out, Name(r.status));
  Key(out, "cursor");
  Number(out, r.cursor);
  Key(out, "total_steps");
  Number(out, r.total_steps());
  Key(out, "autorun");
  out += r.autorun ? "true" : "false";
  Key(out, "version");
  Number(out, r.version);
  Key(out, "created_at");
  AppendJsonString(out, r.created_at);
  Key(out, "updated_at");
  AppendJsonString(out, r.updated_at);
  Key(out, "parent");
  if (r.parent) {
    out += "{\"run_id\":";
    AppendJsonString(out, r.parent->run_id);
    out += ",\"at\":";
    Number(out, r.parent->at);
    out += ",\"version\":";
    Number(out, r.parent->version);
    out += '}';
  } else {
    out += "null";
  }
  if (r.status == RunStatus::kFailed && !r.last_error_code.empty()) {
    Key(out, "error");
    ErrorText(out, r.last_error_code, r.last_error_message);
  }
  if (detail == RunDetail::kFull) {
    Key(out, "input");
    AppendValue(out, payloads.input.get());
    Key(out, "steps");
    out += '[';
    for (std::size_t i = 0; i < r.steps.size(); ++i) {
      if (i > 0) out += ',';
      const StepRecord& s = r.steps[i];
      const bool from_payloads = &payloads != &r && s.output_version != 0;
      StepText(out, s, from_payloads ? payloads.steps[i].output : s.output);
    }
    out += ']';
  }
  out += '}';
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
