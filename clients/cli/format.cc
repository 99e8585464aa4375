#include "clients/cli/format.h"

#include <algorithm>

#include <boost/json.hpp>

namespace forkline::cli {
namespace {

namespace json = boost::json;

void Pretty(const json::value& v, int indent, std::string& out) {
  const std::string pad(static_cast<std::size_t>(indent) * 2 + 2, ' ');
  const std::string close_pad(static_cast<std::size_t>(indent) * 2, ' ');
  if (v.is_object() && !v.get_object().empty()) {
    out += "{\n";
    bool first = true;
    for (const auto& kv : v.get_object()) {
      if (!first) out += ",\n";
      first = false;
      out += pad + json::serialize(json::value(kv.key())) + ": ";
      Pretty(kv.value(), indent + 1, out);
    }
    out += "\n" + close_pad + "}";
  } else if (v.is_array() && !v.get_array().empty()) {
    out += "[\n";
    bool first = true;
    for (const json::value& e : v.get_array()) {
      if (!first) out += ",\n";
      first = false;
      out += pad;
      Pretty(e, indent + 1, out);
    }
    out += "\n" + close_pad + "]";
  } else {
    out += json::serialize(v);
  }
}

std::string OnOff(const json::object& obj, const char* name) {
  const json::value* v = obj.if_contains(name);
  return v != nullptr && v->is_bool() && v->get_bool() ? "on" : "off";
}

std::string Duration(const json::object& step) {
  const json::value* d = step.if_contains("duration_ms");
  if (d == nullptr || d->is_null()) return "";
  return json::serialize(*d) + " ms";
}

std::string StepError(const json::object& step) {
  const json::value* e = step.if_contains("error");
  if (e == nullptr || !e->is_object()) return "";
  return Text(e->get_object(), "code") + ": " + Text(e->get_object(), "message");
}

}  // namespace

std::string Text(const json::object& obj, const char* name) {
  const json::value* v = obj.if_contains(name);
  if (v == nullptr || v->is_null()) return "";
  if (v->is_string()) return std::string(v->get_string());
  return json::serialize(*v);
}

std::string PrettyJson(const json::value& v) {
  std::string out;
  Pretty(v, 0, out);
  return out;
}

std::string Table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> widths;
  for (const auto& row : rows) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (std::size_t i = 0; i < row.size(); ++i) {
      widths[i] = std::max(widths[i], row[i].size());
    }
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - row[i].size() + 2, ' ');
    }
    out += line + "\n";
  }
  return out;
}

std::string RunLine(const json::object& run) {
  return Text(run, "id") + "  " + Text(run, "status") + "  cursor " + Text(run, "cursor") + "/" +
         Text(run, "total_steps") + "  autorun " + OnOff(run, "autorun") + "  version " +
         Text(run, "version");
}

std::string StepLine(const json::object& step) {
  std::string line = "#" + Text(step, "index") + " " + Text(step, "name") + "  " +
                     Text(step, "status") + "  attempt " + Text(step, "attempt");
  if (std::string d = Duration(step); !d.empty()) line += "  " + d;
  if (std::string e = StepError(step); !e.empty()) line += "  " + e;
  return line;
}

std::string RunDetails(const json::object& run) {
  std::string out = "run " + Text(run, "id") + "  " + Text(run, "kind");
  if (std::string title = Text(run, "title"); !title.empty()) out += "  \"" + title + "\"";
  out += "\nstatus " + Text(run, "status") + "  cursor " + Text(run, "cursor") + "/" +
         Text(run, "total_steps") + "  autorun " + OnOff(run, "autorun") + "  version " +
         Text(run, "version") + "\ncreated " + Text(run, "created_at") + "  updated " +
         Text(run, "updated_at") + "\n";
  if (const json::value* p = run.if_contains("parent"); p != nullptr && p->is_object()) {
    out += "forked from " + Text(p->get_object(), "run_id") + " at " + Text(p->get_object(), "at") +
           " (version " + Text(p->get_object(), "version") + ")\n";
  }
  const json::value* steps = run.if_contains("steps");
  if (steps == nullptr || !steps->is_array()) return out;
  std::vector<std::vector<std::string>> rows = {
      {"#", "STEP", "STATUS", "ATTEMPT", "DURATION", "EXECUTOR", "ERROR"}};
  for (const json::value& s : steps->get_array()) {
    if (!s.is_object()) continue;
    const json::object& step = s.get_object();
    rows.push_back({Text(step, "index"), Text(step, "name"), Text(step, "status"),
                    Text(step, "attempt"), Duration(step), Text(step, "executor"),
                    StepError(step)});
  }
  return out + "\n" + Table(rows);
}

std::string EventLine(const json::object& event) {
  const std::string type = Text(event, "type");
  std::string line = event.contains("version") ? "v" + Text(event, "version") + " " : "- ";
  line += type;
  const json::value* data_value = event.if_contains("data");
  const json::object& data =
      data_value != nullptr && data_value->is_object() ? data_value->get_object() : event;
  if (data.contains("index") && data.contains("name")) {
    line += " #" + Text(data, "index") + " " + Text(data, "name");
  }
  if (type == "step.failed" || type == "run.failed") {
    if (const json::value* e = data.if_contains("error"); e != nullptr && e->is_object()) {
      line += "  " + Text(e->get_object(), "code") + ": " + Text(e->get_object(), "message");
    }
  } else if (type == "step.completed" && data.contains("duration_ms")) {
    line += "  " + Text(data, "duration_ms") + " ms";
  } else if (type == "step.progress") {
    std::string msg = Text(data, "message");
    if (msg.empty()) msg = Text(data, "delta");
    line += "  " + msg;
  } else if (type == "run.forked") {
    line += "  from " + Text(data, "source_run_id") + " at " + Text(data, "at");
  } else if (type == "run.created") {
    line += "  " + Text(data, "kind");
  }
  if (const json::value* r = event.if_contains("run"); r != nullptr && r->is_object()) {
    line += "  [" + Text(r->get_object(), "status") + " " + Text(r->get_object(), "cursor") +
            (OnOff(r->get_object(), "autorun") == "on" ? " autorun" : "") + "]";
  }
  return line;
}

}  // namespace forkline::cli
