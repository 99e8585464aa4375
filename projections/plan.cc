#include "projections/plan.h"

#include <algorithm>
#include <charconv>

namespace forkline {
namespace {

namespace json = boost::json;

std::string DefString(const json::array& definition, std::size_t i, std::string_view key) {
  if (i >= definition.size() || !definition[i].is_object()) return {};
  const json::value* v = definition[i].get_object().if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

std::uint32_t DefMaxAttempts(const json::value& def) {
  const json::value* v = def.is_object() ? def.get_object().if_contains("max_attempts") : nullptr;
  std::uint64_t n = 1;
  if (v && v->is_uint64()) n = v->get_uint64();
  if (v && v->is_int64() && v->get_int64() > 0) n = static_cast<std::uint64_t>(v->get_int64());
  return static_cast<std::uint32_t>(std::max<std::uint64_t>(1, n));
}

bool DefRepeatable(const json::value& def) {
  const json::value* v = def.is_object() ? def.get_object().if_contains("repeatable") : nullptr;
  return !(v && v->is_bool() && !v->get_bool());
}

StepRecord Pending(const json::array& definition, std::uint32_t def_index,
                   std::optional<std::uint32_t> item) {
  StepRecord r;
  r.def_index = def_index;
  r.item = item;
  r.name = DefString(definition, def_index, "name");
  if (item) r.name += "[" + std::to_string(*item) + "]";
  r.executor = DefString(definition, def_index, "executor");
  r.max_attempts = DefMaxAttempts(definition[def_index]);
  r.repeatable = DefRepeatable(definition[def_index]);
  return r;
}

// The plan's records from the definition and the expansion counts, all pending.
std::vector<StepRecord> BuildPlan(const json::array& definition,
                                  const std::vector<std::int64_t>& counts) {
  std::vector<StepRecord> plan;
  for (std::uint32_t d = 0; d < definition.size(); ++d) {
    const std::int64_t n = d < counts.size() ? counts[d] : -1;
    if (n < 0 || DefString(definition, d, "foreach").empty()) {
      plan.push_back(Pending(definition, d, std::nullopt));
      continue;
    }
    for (std::uint32_t i = 0; i < n; ++i) plan.push_back(Pending(definition, d, i));
  }
  for (std::uint32_t i = 0; i < plan.size(); ++i) plan[i].index = i;
  plan.shrink_to_fit();  // kept for the run's life: no spare capacity per run
  return plan;
}

// Rebuilds the plan from the counts, keeping the records before `from`.
void Replan(RunState& s, std::uint32_t from) {
  std::vector<StepRecord> plan = BuildPlan(s.definition, s.foreach_counts);
  const std::size_t keep = std::min<std::size_t>({from, plan.size(), s.steps.size()});
  for (std::size_t i = 0; i < keep; ++i) plan[i] = std::move(s.steps[i]);
  s.steps = std::move(plan);
}

// Sets the counts of the foreach steps that range over the (non-foreach) step at
// `index`; false when there are none.
bool ExpandOver(RunState& s, std::uint32_t index, const json::value& output) {
  if (index >= s.steps.size() || s.steps[index].item) return false;
  const std::uint32_t source = s.steps[index].def_index;
  if (!DefString(s.definition, source, "foreach").empty()) return false;
  const std::string name = DefString(s.definition, source, "name");
  bool any = false;
  for (std::size_t d = source + 1; d < s.definition.size(); ++d) {
    auto path = ParseForeach(DefString(s.definition, d, "foreach"));
    if (!path || path->step != name) continue;
    auto array = ForeachArray(output, *path);
    s.foreach_counts[d] = array.ok() ? static_cast<std::int64_t>((*array)->size()) : -1;
    any = true;
  }
  return any;
}

bool HasForeach(const RunState& s) {
  for (std::size_t d = 0; d < s.definition.size(); ++d) {
    if (!DefString(s.definition, d, "foreach").empty()) return true;
  }
  return false;
}

// A copy with what planning needs: no input, no outputs.
RunState PlanOnly(const RunState& s) {
  RunState c;
  c.definition = s.definition;
  c.foreach_counts = s.foreach_counts;
  c.steps.reserve(s.steps.size());
  for (const StepRecord& r : s.steps) {
    StepRecord k;
    k.index = r.index;
    k.name = r.name;
    k.def_index = r.def_index;
    k.item = r.item;
    c.steps.push_back(std::move(k));
  }
  return c;
}

}  // namespace

std::optional<ForeachPath> ParseForeach(std::string_view text) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t dot = std::min(text.find('.', start), text.size());
    if (dot == start) return std::nullopt;
    parts.emplace_back(text.substr(start, dot - start));
    start = dot + 1;
  }
  if (parts.size() < 3 || parts[0] != "steps") return std::nullopt;
  ForeachPath path{parts[1], {parts.begin() + 2, parts.end()}};
  return path;
}

Result<const json::array*> ForeachArray(const json::value& output, const ForeachPath& path) {
  const json::value* at = &output;
  std::string where = "steps." + path.step;
  for (const std::string& field : path.fields) {
    const json::value* next = nullptr;
    if (const auto* o = at->if_object()) {
      next = o->if_contains(field);
    } else if (const auto* a = at->if_array()) {
      std::size_t i = 0;
      auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), i);
      if (ec == std::errc() && end == field.data() + field.size() && i < a->size()) next = &(*a)[i];
    }
    where += "." + field;
    if (next == nullptr) return Status::BadRequest(where + " is missing from the output");
    at = next;
  }
  if (!at->is_array()) {
    return Status::BadRequest(where + " is " + std::string(to_string(at->kind())) +
                              ", not an array");
  }
  return &at->get_array();
}

void PlanCreated(RunState& s) {
  s.foreach_counts.assign(s.definition.size(), -1);
  s.steps = BuildPlan(s.definition, s.foreach_counts);
}

void PlanCompleted(RunState& s, std::uint32_t index, const json::value& output) {
  if (ExpandOver(s, index, output)) Replan(s, index + 1);
}

void PlanForked(RunState& s, std::uint32_t at, const json::value* override_output) {
  if (!HasForeach(s)) {  // the plan is the definition: only the records reset
    for (std::uint32_t i = at; i < s.steps.size(); ++i) {
      s.steps[i] = Pending(s.definition, s.steps[i].def_index, s.steps[i].item);
      s.steps[i].index = i;
    }
    return;
  }
  s.foreach_counts.resize(s.definition.size(), -1);
  for (std::size_t d = 0; d < s.definition.size(); ++d) {
    auto path = ParseForeach(DefString(s.definition, d, "foreach"));
    if (!path) continue;
    auto source = std::find_if(s.steps.begin(), s.steps.end(), [&](const StepRecord& r) {
      return !r.item && r.def_index < d &&
             DefString(s.definition, r.def_index, "foreach").empty() && DefString(s.definition, r.def_index, "name") == path->step;
    });
    if (source == s.steps.end() || source->index >= at) s.foreach_counts[d] = -1;
  }
  if (override_output != nullptr && at > 0) ExpandOver(s, at - 1, *override_output);
  Replan(s, at);
}

std::uint32_t TotalAfterCompletion(const RunState& s, std::uint32_t index, const json::value& output) {
  if (!HasForeach(s)) return s.total_steps();
  RunState c = PlanOnly(s);
  PlanCompleted(c, index, output);
  return c.total_steps();
}

std::uint32_t TotalAfterFork(const RunState& s, std::uint32_t at, const json::value* override_output) {
  if (!HasForeach(s)) return s.total_steps();
  RunState c = PlanOnly(s);
  PlanForked(c, at, override_output);
  return c.total_steps();
}

std::string ForeachProblem(const RunState& full, std::uint32_t index) {
  if (index >= full.steps.size() || full.steps[index].item) return {};
  const std::uint32_t d = full.steps[index].def_index;
  const std::string text = DefString(full.definition, d, "foreach");
  if (text.empty()) return {};
  const std::string what = "foreach \"" + text + "\": ";
  auto path = ParseForeach(text);
  if (!path) return what + "expected steps.<step>.<field>";
  for (const StepRecord& r : full.steps) {
    if (r.def_index >= d || DefString(full.definition, r.def_index, "name") != path->step) continue;
    if (!DefString(full.definition, r.def_index, "foreach").empty()) return what + "step '" + path->step + "' is a foreach step itself";
    if (r.status != StepStatus::kCompleted) return what + "step '" + path->step + "' has not completed";
    auto array = ForeachArray(r.output, *path);
    return what + (array.ok() ? "the array was not expanded" : array.status().message());
  }
  return what + "no earlier step named '" + path->step + "'";
}

}  // namespace forkline
