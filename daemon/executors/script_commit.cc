#include "daemon/executors/script_commit.h"

#include <algorithm>
#include <string>

#include "daemon/executors/prompt_template.h"
#include "daemon/novel/novel_actions.h"

namespace forkline {
namespace {

namespace json = boost::json;

std::string ParamOr(const json::object& params, std::string_view key, std::string_view fallback) {
  const json::value* v = params.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string(fallback);
}

std::string_view TrimBlank(std::string_view s) {
  while (!s.empty() && (s.front() == '\n' || s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The text with \r\n made \n and without a surrounding ``` / ```fountain fence.
std::string EpisodeText(std::string_view raw) {
  std::string text;
  text.reserve(raw.size());
  for (char c : raw) {
    if (c != '\r') text += c;
  }
  std::string_view t = TrimBlank(text);
  if (t.starts_with("```") && t.ends_with("```") && t.size() >= 6) {
    t.remove_suffix(3);
    const std::size_t nl = t.find('\n');
    t = nl == std::string_view::npos ? std::string_view() : t.substr(nl + 1);
  }
  return std::string(TrimBlank(t));
}

bool IsSceneHeading(std::string_view line) {
  if (line.size() > 1 && line[0] == '.' && line[1] != '.') return true;  // forced heading
  for (std::string_view p : {"INT.", "EXT.", "EST.", "INT/EXT", "INT./EXT.", "I/E"}) {
    if (line.starts_with(p) && (line.size() == p.size() || line[p.size()] == ' ' || line[p.size()] == '.')) {
      return true;
    }
  }
  return false;
}

std::string EpisodeTitle(const json::value* titles, std::size_t i) {
  if (titles == nullptr || !titles->is_array() || i >= titles->get_array().size()) return {};
  const json::value& e = titles->get_array()[i];
  const json::value* t = e.is_object() ? e.get_object().if_contains("title") : nullptr;
  return t && t->is_string() ? std::string(t->get_string()) : std::string();
}

StepResult Commit(const StepTask& task) {
  const json::object& params = task.step.params;
  const std::string from = ParamOr(params, "from", "fix");
  const std::string field = ParamOr(params, "field", "text");
  const json::object& ctx = task.context;
  const json::value* episodes = LookupPath(ctx, "steps." + from);
  if (episodes == nullptr || !episodes->is_array()) {
    return StepResult::Failure("bad_input", "script.commit needs steps." + from +
                                                ": the array of a foreach step's outputs");
  }
  const json::value* titles = LookupPath(ctx, "steps." + ParamOr(params, "titles", "breakdown.json.episodes"));
  const json::value* input_title = LookupPath(ctx, "input.title");
  const json::value* author = LookupPath(ctx, "input.author");
  std::string title = input_title && input_title->is_string() ? std::string(input_title->get_string()) : "";
  if (title.empty()) title = ParamOr(ctx, "title", "Untitled");
  std::string out = "Title: " + title + "\n";
  if (author && author->is_string() && !author->get_string().empty()) {
    out += "Author: " + std::string(author->get_string()) + "\n";
  }
  out += "Source: written with Forkline (novel_to_script_llm)\n\n";
  std::size_t scenes = 0;
  std::size_t lines = 0;
  const json::array& list = episodes->get_array();
  for (std::size_t i = 0; i < list.size(); ++i) {
    const json::value* text = list[i].is_object() ? list[i].get_object().if_contains(field) : nullptr;
    if (text == nullptr || !text->is_string()) {
      return StepResult::Failure("bad_input", "script.commit: steps." + from + "[" + std::to_string(i) +
                                                  "] has no text in \"" + field + "\"");
    }
    const std::string body = EpisodeText(text->get_string());
    const std::string name = EpisodeTitle(titles, i);
    out += "# Episode " + std::to_string(i + 1) + (name.empty() ? "" : ": " + name) + "\n\n";
    out += body + "\n\n";
    for (std::size_t pos = 0; pos <= body.size();) {
      const std::size_t nl = std::min(body.find('\n', pos), body.size());
      if (IsSceneHeading(std::string_view(body).substr(pos, nl - pos))) ++scenes;
      ++lines;
      pos = nl + 1;
    }
  }
  json::object stats{{"episodes", list.size()}, {"scenes", scenes},
                     {"pages", std::max<std::size_t>(1, (lines + 54) / 55)}};
  return StepResult::Success({{"fountain", std::move(out)}, {"stats", std::move(stats)}});
}

}  // namespace

bool IsScriptAction(std::string_view action) { return action == "script.commit"; }

StepResult RunScriptAction(std::string_view action, const StepTask& task) {
  if (action == "script.commit") return Commit(task);
  return StepResult::Failure("bad_definition", "no builtin action named '" + std::string(action) + "'");
}

bool IsKnownBuiltinAction(std::string_view action) {
  return IsNovelAction(action) || IsScriptAction(action);
}

}  // namespace forkline
