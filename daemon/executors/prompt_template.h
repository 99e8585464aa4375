#pragma once
// Prompt templates of `llm` steps (DESIGN §6): `{{path}}` placeholders over the step's
// context JSON.
//
// * A placeholder is "{{", optional spaces, a path, optional spaces, "}}". A path is
//   dot-separated names starting at the context's root (`input.text`, `input.title`,
//   `steps.ingest.chapters.0.title`); a name that is a number indexes an array, and
//   `a[0]` is the same as `a.0`. `item` is context["item"] (the element a foreach step
//   runs over).
// * A string value is inserted as it is; any other value (number, bool, null, object,
//   array) as compact JSON.
// * Text between "{{" and "}}" that is not a path (`{{"a": 1}}` in a JSON example) is
//   left as it is, so prompts may show JSON without escaping.
// * A path that names nothing is an error (BadRequest naming the placeholder): a prompt
//   silently missing its input is worse than a failed step.
// Pure functions; thread-safe.

#include <string>
#include <string_view>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "eventstore/status.h"

namespace forkline {

// The value at `path` (syntax above) inside `root`, or nullptr when there is none.
const boost::json::value* LookupPath(const boost::json::object& root, std::string_view path);

// `tmpl` with every placeholder replaced by its value from `context`.
Result<std::string> RenderPrompt(std::string_view tmpl, const boost::json::object& context);

}  // namespace forkline
