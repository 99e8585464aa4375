#include "daemon/workflow/workflow_catalog.h"

#include <algorithm>
#include <utility>

namespace forkline {
namespace {

struct NovelStep {
  std::string_view name;
  std::string_view action;
};
constexpr NovelStep kNovelSteps[] = {
    {"ingest", "novel.ingest"},     {"characters", "novel.characters"},
    {"scenes", "novel.scenes"},     {"screenplay", "novel.screenplay"},
    {"assemble", "novel.assemble"},
};

}  // namespace

WorkflowDefinition BuiltinNovelToScript() {
  WorkflowDefinition def;
  def.kind = std::string(kNovelToScript);
  def.description =
      "Novel to screenplay: ingest the text, find the characters, split scenes, write "
      "screenplay elements, assemble a Fountain script (built in, no network)";
  def.source = "builtin";
  for (const auto& s : kNovelSteps) {
    StepDefinition step;
    step.name = std::string(s.name);
    step.executor = "builtin";
    step.action = std::string(s.action);
    def.steps.push_back(std::move(step));
  }
  return def;
}

boost::json::object WorkflowSummaryJson(const WorkflowDefinition& def) {
  boost::json::array steps;
  for (const auto& s : def.steps) {
    steps.push_back(boost::json::object{{"name", s.name}, {"executor", s.executor}});
  }
  return boost::json::object{
      {"kind", def.kind}, {"description", def.description}, {"steps", std::move(steps)}};
}

Status WorkflowCatalog::Add(WorkflowDefinition def) {
  if (const WorkflowDefinition* old = Find(def.kind)) {
    return Status::Conflict("workflow kind '" + def.kind + "' from " + def.source +
                            " is already defined by " + old->source);
  }
  defs_.push_back(std::move(def));
  return Status::Ok();
}

const WorkflowDefinition* WorkflowCatalog::Find(std::string_view kind) const {
  for (const auto& d : defs_) {
    if (d.kind == kind) return &d;
  }
  return nullptr;
}

Result<WorkflowCatalog> BuildWorkflowCatalog(const std::string& workflows_dir,
                                             const IsBuiltinAction& is_builtin_action) {
  WorkflowCatalog catalog;
  FL_RETURN_IF_ERROR(catalog.Add(BuiltinNovelToScript()));
  std::vector<std::string> reserved;
  for (const auto& d : catalog.All()) {
    reserved.push_back(d.kind);
  }
  auto defs = LoadWorkflowDir(workflows_dir, is_builtin_action, reserved);
  if (!defs.ok()) return defs.status();
  for (auto& d : *defs) {
    FL_RETURN_IF_ERROR(catalog.Add(std::move(d)));
  }
  return catalog;
}

}  // namespace forkline
