#include "daemon/workflow/workflow_loader.h"

#include <algorithm>
#include <cmath>
#include <exception>
#include <filesystem>
#include <map>
#include <sstream>
#include <utility>

#include <toml++/toml.h>

#include "projections/plan.h"

namespace forkline {
namespace {

namespace fs = std::filesystem;

constexpr std::uint32_t kMaxAttempts = 100;
constexpr std::uint32_t kMaxTimeoutS = 604800;  // a week

bool IsKind(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

bool IsStepName(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  });
}

// Reads one definition; every error names "source:line: ".
class Parser {
 public:
  Parser(const std::string& source, const std::string& workdir,
         const IsBuiltinAction& is_builtin_action)
      : source_(source), workdir_(workdir), is_builtin_action_(is_builtin_action) {}

  Result<WorkflowDefinition> Parse(const toml::table& root) {
    WorkflowDefinition def;
    def.source = source_;
    for (const auto& [key, node] : root) {
      if (key != "kind" && key != "description" && key != "steps") {
        return Error(node, "unknown key '" + std::string(key.str()) + "'");
      }
    }
    FL_RETURN_IF_ERROR(String(root, "kind", true, &def.kind));
    if (!IsKind(def.kind)) {
      return Error(*root.get("kind"), "kind '" + def.kind + "' must match [a-z0-9_]+");
    }
    kind_line_ = root.get("kind")->source().begin.line;
    FL_RETURN_IF_ERROR(String(root, "description", false, &def.description));
    const toml::node* steps = root.get("steps");
    if (steps == nullptr) return Error(root, "missing [[steps]]");
    const toml::array* arr = steps->as_array();
    if (arr == nullptr || arr->empty()) return Error(*steps, "steps: expected [[steps]] tables");
    for (const auto& item : *arr) {
      const toml::table* t = item.as_table();
      if (t == nullptr) return Error(item, "steps: expected a table");
      StepDefinition step;
      FL_RETURN_IF_ERROR(Step(*t, &step));
      for (const auto& other : def.steps) {
        if (other.name == step.name) {
          return Error(*t->get("name"), "duplicate step name '" + step.name + "'");
        }
      }
      FL_RETURN_IF_ERROR(Foreach(*t, step, def.steps));
      def.steps.push_back(std::move(step));
    }
    return def;
  }

  std::uint32_t kind_line() const { return kind_line_; }

 private:
  Status Error(const toml::node& node, const std::string& what) const {
    return Status::BadRequest(source_ + ":" + std::to_string(node.source().begin.line) + ": " +
                              what);
  }

  Status String(const toml::table& t, std::string_view key, bool required, std::string* out) {
    const toml::node* node = t.get(key);
    if (node == nullptr) {
      return required ? Error(t, "missing '" + std::string(key) + "'") : Status::Ok();
    }
    const auto* s = node->as_string();
    if (s == nullptr) return Error(*node, "'" + std::string(key) + "' must be a string");
    *out = s->get();
    if (required && out->empty()) {
      return Error(*node, "'" + std::string(key) + "' must not be empty");
    }
    return Status::Ok();
  }

  Status Integer(const toml::table& t, std::string_view key, std::uint32_t min, std::uint32_t max,
                 std::uint32_t* out) {
    const toml::node* node = t.get(key);
    if (node == nullptr) return Status::Ok();
    const auto* i = node->as_integer();
    if (i == nullptr || i->get() < min || i->get() > max) {
      return Error(*node, "'" + std::string(key) + "' must be an integer in " +
                              std::to_string(min) + ".." + std::to_string(max));
    }
    *out = static_cast<std::uint32_t>(i->get());
    return Status::Ok();
  }

  Status Boolean(const toml::table& t, std::string_view key, bool* out) {
    const toml::node* node = t.get(key);
    if (node == nullptr) return Status::Ok();
    const auto* b = node->as_boolean();
    if (b == nullptr) return Error(*node, "'" + std::string(key) + "' must be true or false");
    *out = b->get();
    return Status::Ok();
  }

  Status Step(const toml::table& t, StepDefinition* step);
  Status Foreach(const toml::table& t, const StepDefinition& step,
                 const std::vector<StepDefinition>& earlier);
  Status StepKeys(const toml::table& t, const std::string& executor);
  Status Argv(const toml::table& t, std::vector<std::string>* argv);
  Result<boost::json::value> ToJsonValue(const toml::node& node);

  const std::string& source_;
  const std::string& workdir_;
  const IsBuiltinAction& is_builtin_action_;
  std::uint32_t kind_line_ = 0;
};

// Refuses unknown keys and keys that belong to another executor.
Status Parser::StepKeys(const toml::table& t, const std::string& executor) {
  static const std::map<std::string_view, std::string_view> kOnlyFor = {
      {"action", "builtin"}, {"argv", "exec"}, {"prompt", "llm"}, {"model", "llm"}};
  static constexpr std::string_view kCommon[] = {"name",         "executor",  "foreach",
                                                 "max_attempts", "timeout_s", "params",
                                                 "repeatable"};
  for (const auto& [key, node] : t) {
    if (std::find(std::begin(kCommon), std::end(kCommon), key.str()) != std::end(kCommon)) {
      continue;
    }
    auto it = kOnlyFor.find(key.str());
    if (it == kOnlyFor.end()) return Error(node, "unknown key '" + std::string(key.str()) + "'");
    if (it->second != executor) {
      return Error(node, "key '" + std::string(key.str()) + "' is not allowed for executor '" +
                             executor + "'");
    }
  }
  return Status::Ok();
}

// A foreach path names an array in the output of an earlier step that is not a foreach
// step itself (projections/plan.h).
Status Parser::Foreach(const toml::table& t, const StepDefinition& step,
                       const std::vector<StepDefinition>& earlier) {
  if (step.foreach.empty()) return Status::Ok();
  const toml::node& node = *t.get("foreach");
  auto path = ParseForeach(step.foreach);
  if (!path) return Error(node, "foreach '" + step.foreach + "' must be steps.<step>.<field>");
  for (const auto& other : earlier) {
    if (other.name != path->step) continue;
    if (!other.foreach.empty()) {
      return Error(node, "foreach '" + step.foreach + "': step '" + other.name +
                             "' is a foreach step; range over its source's array instead");
    }
    return Status::Ok();
  }
  return Error(node, "foreach '" + step.foreach + "': no earlier step named '" + path->step + "'");
}

Status Parser::Argv(const toml::table& t, std::vector<std::string>* argv) {
  const toml::node* node = t.get("argv");
  if (node == nullptr) return Error(t, "missing 'argv' for executor 'exec'");
  const toml::array* arr = node->as_array();
  if (arr == nullptr || arr->empty()) {
    return Error(*node, "'argv' must be a non-empty array of strings");
  }
  for (const auto& item : *arr) {
    const auto* s = item.as_string();
    if (s == nullptr) return Error(item, "'argv' must be a non-empty array of strings");
    argv->push_back(s->get());
  }
  if (argv->front().empty()) return Error(*node, "'argv' names no program");
  return Status::Ok();
}

Status Parser::Step(const toml::table& t, StepDefinition* step) {
  FL_RETURN_IF_ERROR(String(t, "name", true, &step->name));
  if (!IsStepName(step->name)) {
    return Error(*t.get("name"), "step name '" + step->name + "' must match [A-Za-z0-9_-]+");
  }
  FL_RETURN_IF_ERROR(String(t, "executor", true, &step->executor));
  if (step->executor != "builtin" && step->executor != "exec" && step->executor != "llm") {
    return Error(*t.get("executor"), "unknown executor '" + step->executor + "'");
  }
  FL_RETURN_IF_ERROR(StepKeys(t, step->executor));
  if (step->executor == "builtin") {
    FL_RETURN_IF_ERROR(String(t, "action", true, &step->action));
    if (!is_builtin_action_ || !is_builtin_action_(step->action)) {
      return Error(*t.get("action"), "unknown action '" + step->action + "'");
    }
  } else if (step->executor == "exec") {
    FL_RETURN_IF_ERROR(Argv(t, &step->argv));
    step->workdir = workdir_;
  } else {
    FL_RETURN_IF_ERROR(String(t, "prompt", true, &step->prompt));
    FL_RETURN_IF_ERROR(String(t, "model", false, &step->model));
  }
  FL_RETURN_IF_ERROR(String(t, "foreach", false, &step->foreach));
  FL_RETURN_IF_ERROR(Integer(t, "max_attempts", 1, kMaxAttempts, &step->max_attempts));
  FL_RETURN_IF_ERROR(Integer(t, "timeout_s", 1, kMaxTimeoutS, &step->timeout_s));
  FL_RETURN_IF_ERROR(Boolean(t, "repeatable", &step->repeatable));
  if (const toml::node* params = t.get("params")) {
    if (!params->is_table()) return Error(*params, "'params' must be a table");
    auto json = ToJsonValue(*params);
    if (!json.ok()) return json.status();
    step->params = std::move(json->as_object());
  }
  return Status::Ok();
}

Result<boost::json::value> Parser::ToJsonValue(const toml::node& node) {
  if (const auto* t = node.as_table()) {
    boost::json::object obj;
    for (const auto& [key, value] : *t) {
      auto v = ToJsonValue(value);
      if (!v.ok()) return v.status();
      obj[key.str()] = std::move(v).value();
    }
    return boost::json::value(std::move(obj));
  }
  if (const auto* a = node.as_array()) {
    boost::json::array arr;
    for (const auto& item : *a) {
      auto v = ToJsonValue(item);
      if (!v.ok()) return v.status();
      arr.push_back(std::move(v).value());
    }
    return boost::json::value(std::move(arr));
  }
  if (const auto* s = node.as_string()) return boost::json::value(s->get());
  if (const auto* i = node.as_integer()) return boost::json::value(i->get());
  if (const auto* b = node.as_boolean()) return boost::json::value(b->get());
  if (const auto* f = node.as_floating_point()) {
    if (!std::isfinite(f->get())) return Error(node, "params: numbers must be finite");
    return boost::json::value(f->get());
  }
  std::ostringstream text;  // dates and times, as TOML writes them
  if (const auto* d = node.as_date()) text << *d;
  if (const auto* tm = node.as_time()) text << *tm;
  if (const auto* dt = node.as_date_time()) text << *dt;
  return boost::json::value(text.str());
}

Status ParseError(const std::string& source, const toml::parse_error& e) {
  const auto& begin = e.source().begin;
  if (begin.line == 0) return Status::BadRequest(source + ": " + std::string(e.description()));
  return Status::BadRequest(source + ":" + std::to_string(begin.line) + ":" +
                            std::to_string(begin.column) + ": " + std::string(e.description()));
}

// Parses `path`; `kind_line` gets the line of its `kind` key.
Result<WorkflowDefinition> LoadFile(const std::string& path, const std::string& workdir,
                                    const IsBuiltinAction& is_builtin_action,
                                    std::uint32_t* kind_line) {
  toml::table root;
  try {
    root = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    return ParseError(path, e);
  } catch (const std::exception& e) {
    return Status::BadRequest(path + ": " + e.what());
  }
  Parser parser(path, workdir, is_builtin_action);
  auto def = parser.Parse(root);
  *kind_line = parser.kind_line();
  return def;
}

std::string AbsoluteFolder(const fs::path& folder) {
  std::error_code ec;
  fs::path abs = fs::absolute(folder, ec).lexically_normal();
  if (ec) abs = folder;
  std::string s = abs.string();
  while (s.size() > 1 && s.back() == '/') {
    s.pop_back();
  }
  return s;
}

}  // namespace

Result<WorkflowDefinition> ParseWorkflow(std::string_view toml_text, const std::string& source,
                                         const std::string& workdir,
                                         const IsBuiltinAction& is_builtin_action) {
  toml::table root;
  try {
    root = toml::parse(toml_text, std::string_view(source));
  } catch (const toml::parse_error& e) {
    return ParseError(source, e);
  } catch (const std::exception& e) {
    return Status::BadRequest(source + ": " + e.what());
  }
  return Parser(source, workdir, is_builtin_action).Parse(root);
}

Result<WorkflowDefinition> LoadWorkflowFile(const std::string& path,
                                            const IsBuiltinAction& is_builtin_action) {
  std::uint32_t kind_line = 0;
  return LoadFile(path, AbsoluteFolder(fs::path(path).parent_path()), is_builtin_action,
                  &kind_line);
}

Result<std::vector<WorkflowDefinition>> LoadWorkflowDir(
    const std::string& dir, const IsBuiltinAction& is_builtin_action,
    const std::vector<std::string>& reserved_kinds) {
  std::vector<WorkflowDefinition> defs;
  std::error_code ec;
  if (!fs::exists(dir, ec)) return defs;
  if (!fs::is_directory(dir, ec)) return Status::BadRequest(dir + ": not a folder");
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() > 5 && name.ends_with(".toml") && entry.is_regular_file(ec)) {
      names.push_back(name);
    }
  }
  if (ec) return Status::BadRequest(dir + ": " + ec.message());
  std::sort(names.begin(), names.end());
  const std::string workdir = AbsoluteFolder(dir);
  std::map<std::string, std::string> kinds;  // kind -> file
  for (const auto& name : names) {
    const std::string path = (fs::path(dir) / name).string();
    std::uint32_t line = 0;
    auto def = LoadFile(path, workdir, is_builtin_action, &line);
    if (!def.ok()) return def.status();
    const std::string where = path + ":" + std::to_string(line) + ": kind '" + def->kind + "' ";
    if (std::find(reserved_kinds.begin(), reserved_kinds.end(), def->kind) !=
        reserved_kinds.end()) {
      return Status::BadRequest(where + "is built in and cannot be redefined");
    }
    auto [it, inserted] = kinds.emplace(def->kind, path);
    if (!inserted) return Status::BadRequest(where + "is already defined in " + it->second);
    defs.push_back(std::move(def).value());
  }
  return defs;
}

}  // namespace forkline
