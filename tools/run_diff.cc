#include "tools/run_diff.h"

#include <algorithm>

#include <boost/json.hpp>

#include "projections/event_types.h"
#include "tools/line_diff.h"

namespace forkline::tools {
namespace {

namespace json = boost::json;

void Indent(const json::value& v, int level, std::string& out) {
  const std::string pad(static_cast<std::size_t>(level + 1) * 2, ' ');
  const std::string close_pad(static_cast<std::size_t>(level) * 2, ' ');
  if (v.is_object() && !v.get_object().empty()) {
    out += "{\n";
    bool first = true;
    for (const auto& [k, x] : v.get_object()) {
      if (!first) out += ",\n";
      first = false;
      out += pad + json::serialize(json::value(k)) + ": ";
      Indent(x, level + 1, out);
    }
    out += "\n" + close_pad + "}";
  } else if (v.is_array() && !v.get_array().empty()) {
    out += "[\n";
    bool first = true;
    for (const json::value& x : v.get_array()) {
      if (!first) out += ",\n";
      first = false;
      out += pad;
      Indent(x, level + 1, out);
    }
    out += "\n" + close_pad + "]";
  } else {
    out += json::serialize(v);
  }
}

std::string AsText(const json::value& v) {
  return v.is_string() ? std::string(v.get_string()) : IndentedJson(v) + "\n";
}

json::object Side(const RunState& s) {
  return {
      {"run_id", s.id}, {"status", Name(s.status)}, {"cursor", s.cursor}, {"version", s.version}};
}

json::object StepSide(const StepRecord* r) {
  if (r == nullptr) return {{"status", "absent"}, {"attempt", 0}};
  return {{"status", Name(r->status)}, {"attempt", r->attempt}};
}

// One entry per top-level field of the outputs that differs.
json::array FieldDiffs(const json::value& a, const json::value& b, const std::string& a_name,
                       const std::string& b_name, const std::string& step) {
  json::array out;
  auto add = [&](const std::string& field, const json::value& x, const json::value& y) {
    const std::string suffix = step + (field.empty() ? "" : "." + field);
    out.push_back(
        json::object{{"field", field},
                     {"diff", UnifiedDiff(AsText(x), AsText(y), "a/" + a_name + " " + suffix,
                                          "b/" + b_name + " " + suffix)}});
  };
  if (!a.is_object() || !b.is_object()) {
    add("", a, b);
    return out;
  }
  for (const auto& [k, x] : a.get_object()) {
    const json::value* y = b.get_object().if_contains(k);
    if (y == nullptr) {
      add(std::string(k), x, json::value());
    } else if (*y != x) {
      add(std::string(k), x, *y);
    }
  }
  for (const auto& [k, y] : b.get_object()) {
    if (!a.get_object().contains(k)) add(std::string(k), json::value(), y);
  }
  return out;
}

}  // namespace

std::string IndentedJson(const json::value& v) {
  std::string out;
  Indent(v, 0, out);
  return out;
}

json::object DiffRuns(const RunForDiff& a, const RunForDiff& b) {
  std::size_t common = 0;
  while (common < a.history.size() && common < b.history.size() &&
         a.history[common]->hash == b.history[common]->hash) {
    ++common;
  }
  json::object out{{"a", Side(a.state)}, {"b", Side(b.state)}};
  if (common > 0) {
    out["shared"] = json::object{{"run_id", a.history[common - 1]->run_id},
                                 {"version", a.history[common - 1]->version}};
  } else {
    out["shared"] = nullptr;
  }
  const bool same = common == a.history.size() && common == b.history.size();
  out["diverge_at"] = same ? json::value(nullptr) : json::value(common + 1);
  json::array steps;
  const std::size_t n = std::max(a.state.steps.size(), b.state.steps.size());
  for (std::size_t i = 0; i < n; ++i) {
    const StepRecord* sa = i < a.state.steps.size() ? &a.state.steps[i] : nullptr;
    const StepRecord* sb = i < b.state.steps.size() ? &b.state.steps[i] : nullptr;
    const bool done_a = sa && sa->status == StepStatus::kCompleted;
    const bool done_b = sb && sb->status == StepStatus::kCompleted;
    const std::string name = sa ? sa->name : sb->name;
    json::object step{{"index", i}, {"name", name}, {"a", StepSide(sa)}, {"b", StepSide(sb)}};
    const bool shared = done_a && done_b && sa->output_version == sb->output_version &&
                        sa->output_version <= common;
    step["shared"] = shared;
    json::array fields;
    std::string verdict = "neither";
    if (done_a && done_b) {
      verdict = sa->output == sb->output ? "same" : "differs";
      if (verdict == "differs") {
        fields = FieldDiffs(sa->output, sb->output, a.state.id, b.state.id,
                            "#" + std::to_string(i) + " " + name);
      }
    } else if (done_a || done_b) {
      verdict = done_a ? "only_a" : "only_b";
    }
    step["verdict"] = verdict;
    step["fields"] = std::move(fields);
    steps.push_back(std::move(step));
  }
  out["steps"] = std::move(steps);
  return out;
}

std::string DiffText(const json::object& diff) {
  auto str = [](const json::value* v) {
    return v == nullptr     ? std::string()
           : v->is_string() ? std::string(v->get_string())
                            : json::serialize(*v);
  };
  auto side = [&](const char* which) {
    const json::object& s = diff.at(which).as_object();
    return std::string(which) + ": " + str(s.if_contains("run_id")) + "  " +
           str(s.if_contains("status")) + "  cursor " + str(s.if_contains("cursor")) +
           "  version " + str(s.if_contains("version")) + "\n";
  };
  std::string out = side("a") + side("b");
  const json::value& shared = diff.at("shared");
  if (shared.is_object()) {
    out += "shared history: versions 1.." + str(shared.as_object().if_contains("version")) +
           " (last shared event: " + str(shared.as_object().if_contains("run_id")) + " v" +
           str(shared.as_object().if_contains("version")) + ")\n";
  } else {
    out += "shared history: none\n";
  }
  const json::value& diverge = diff.at("diverge_at");
  out += diverge.is_null() ? "the histories are identical\n"
                           : "they diverge at version " + json::serialize(diverge) + "\n";
  for (const json::value& v : diff.at("steps").as_array()) {
    const json::object& s = v.as_object();
    std::string line = "#" + str(s.if_contains("index")) + " " + str(s.if_contains("name"));
    line.resize(std::max<std::size_t>(line.size() + 1, 16), ' ');
    std::string verdict = str(s.if_contains("verdict"));
    if (verdict == "same" && s.at("shared").as_bool()) verdict += " (shared)";
    if (verdict == "only_a" || verdict == "only_b" || verdict == "neither") {
      verdict += " (a " + str(s.at("a").as_object().if_contains("status")) + ", b " +
                 str(s.at("b").as_object().if_contains("status")) + ")";
    }
    out += line + verdict + "\n";
    for (const json::value& f : s.at("fields").as_array())
      out += str(f.as_object().if_contains("diff"));
  }
  return out;
}

}  // namespace forkline::tools
