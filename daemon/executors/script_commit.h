#pragma once
// The builtin `script.commit` action: the last step of novel_to_script_llm. It
// assembles the episodes written by a foreach step into one Fountain screenplay.
//
//   reads   steps.<params.from> (default "fix"): the array of that foreach step's
//           outputs, one per episode, each with the episode's Fountain text in
//           <params.field> (default "text"; a surrounding ``` fence is dropped);
//           episode titles, when there are any, from context.steps.<params.titles>
//           (default "breakdown.json.episodes", elements with a "title");
//           the title page from input.title (else the run's title) and input.author.
//   returns {fountain, stats: {episodes, scenes, pages}}: a title page, then per episode
//           a Fountain section `# Episode N: <title>` and its text.
// A missing or non-array source, or an episode without text, fails with "bad_input"
// naming it. Deterministic and pure; safe to call from many threads at once.

#include <string_view>

#include "daemon/executors/executor.h"

namespace forkline {

// True for "script.commit".
bool IsScriptAction(std::string_view action);

StepResult RunScriptAction(std::string_view action, const StepTask& task);

// Every builtin action name, novel.* and script.*: what workflow files may name.
bool IsKnownBuiltinAction(std::string_view action);

}  // namespace forkline
