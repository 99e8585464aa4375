#pragma once
// The builtin `novel_to_script` actions (DESIGN §6), as the builtin executor calls them:
//   novel.ingest      input {text, title?, author?}  -> {title, author, words, chapters}
//   novel.characters  steps.ingest                   -> {characters, protagonist, …}
//   novel.scenes      steps.ingest                   -> {scenes}
//   novel.screenplay  steps.ingest, .characters, .scenes -> {scenes: [{heading, elements}]}
//   novel.assemble    steps.screenplay (+ input/ingest title, author) -> {fountain, stats}
// Each action reads earlier outputs from context.steps under their default step names
// (`ingest`, `characters`, `scenes`, `screenplay`); a step definition may point
// elsewhere with params `from_<name>`, e.g. params {"from_ingest": "my_ingest"}.
//
// Deterministic, no network, no state between calls; safe to call from many threads at
// once. Polls task.abort between paragraphs and fails with "aborted" when it is set.
// Bad input fails with code "bad_input" and a message that says what is wrong (empty
// text, binary data, a missing earlier step); it never crashes. The size of the output
// is the engine's business (task.max_output_bytes).

#include <string_view>

#include "daemon/executors/executor.h"

namespace forkline {

// True for "novel.ingest", "novel.characters", "novel.scenes", "novel.screenplay",
// "novel.assemble".
bool IsNovelAction(std::string_view action);

// Runs one action on task.context; an unknown action fails with "bad_input".
StepResult RunNovelAction(std::string_view action, const StepTask& task);

}  // namespace forkline
