#pragma once
// Workflow definitions from TOML files (DESIGN §6), one kind a file:
//
//   kind = "my_kind"                 # required, [a-z0-9_]+, unique across files
//   description = "…"                # optional
//   [[steps]]                        # at least one
//   name = "outline"                 # required, [A-Za-z0-9_-]+, unique within the kind
//   executor = "llm"                 # required: builtin | exec | llm
//   action = "novel.assemble"        # builtin only, required, a known builtin action
//   argv = ["python3", "x.py"]       # exec only, required, non-empty strings, no shell
//   prompt = "…"                     # llm only, required
//   model = "…"                      # llm only, optional
//   foreach = "steps.scenes.scenes"  # optional, kept verbatim
//   max_attempts = 3                 # optional, 1..100, default 1
//   timeout_s = 300                  # optional, 1..604800, default engine.step_timeout_s
//   repeatable = false               # optional boolean, default true: false = not safe to
//                                    #   run again after a crash (waits for run.retry)
//   params = { temperature = 0.2 }   # optional table, passed as step.params (JSON)
//
// Any other key is refused. Every error is BadRequest naming "file:line: …". Exec steps
// get `workdir` = the absolute folder of their file, so a relative program path (or a
// relative script argument) resolves against that folder; `source` = the file's path as
// found in `dir`.

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/workflow/definition.h"
#include "eventstore/status.h"

namespace forkline {

// Whether `action` names a builtin action ("novel.ingest", …).
using IsBuiltinAction = std::function<bool(std::string_view action)>;

// Parses one definition from TOML text. `source` names it in errors and in the result;
// `workdir` becomes each exec step's workdir.
Result<WorkflowDefinition> ParseWorkflow(std::string_view toml_text, const std::string& source,
                                         const std::string& workdir,
                                         const IsBuiltinAction& is_builtin_action);

// Reads one file (see ParseWorkflow).
Result<WorkflowDefinition> LoadWorkflowFile(const std::string& path,
                                            const IsBuiltinAction& is_builtin_action);

// Reads every *.toml in `dir`, sorted by file name. A missing `dir` gives an empty list.
// A kind defined twice, or one of `reserved_kinds` (the builtin ones), is an error.
Result<std::vector<WorkflowDefinition>> LoadWorkflowDir(
    const std::string& dir, const IsBuiltinAction& is_builtin_action,
    const std::vector<std::string>& reserved_kinds = {});

}  // namespace forkline
