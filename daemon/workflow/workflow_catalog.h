#pragma once
// The workflow kinds the daemon knows: the compiled-in `novel_to_script` first, then
// the definitions from `workflows_dir` (sorted by file name). A file may not redefine a
// builtin kind.

#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "daemon/novel/novel_actions.h"  // IsNovelAction: the builtin action names
#include "daemon/workflow/definition.h"
#include "daemon/workflow/workflow_loader.h"
#include "eventstore/status.h"

namespace forkline {

inline constexpr std::string_view kNovelToScript = "novel_to_script";

// The compiled-in novel_to_script definition: steps ingest, characters, scenes,
// screenplay, assemble, each executor "builtin" with action novel.<step>; source
// "builtin".
WorkflowDefinition BuiltinNovelToScript();


// workflows.list's entry for a kind: {kind, description, steps: [{name, executor}]}.
boost::json::object WorkflowSummaryJson(const WorkflowDefinition& def);

// Kind -> definition, in insertion order. Not thread-safe for Add; after set-up, the
// const methods may be called from any thread.
class WorkflowCatalog {
 public:
  // Adds a kind; Conflict if the kind is already there (naming both sources).
  Status Add(WorkflowDefinition def);
  // nullptr if the kind is unknown. The pointer stays valid until the next Add.
  const WorkflowDefinition* Find(std::string_view kind) const;
  // Every definition, in the order added (for workflows.list).
  const std::vector<WorkflowDefinition>& All() const { return defs_; }

 private:
  std::vector<WorkflowDefinition> defs_;
};

// The builtin kinds, then every definition in `workflows_dir` (see LoadWorkflowDir).
// Errors: those of LoadWorkflowDir (BadRequest naming file and line).
Result<WorkflowCatalog> BuildWorkflowCatalog(const std::string& workflows_dir,
                                             const IsBuiltinAction& is_builtin_action);

}  // namespace forkline
