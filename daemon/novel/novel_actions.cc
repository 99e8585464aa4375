#include "daemon/novel/novel_actions.h"

#include <array>
#include <exception>
#include <string>

#include <boost/json/string.hpp>
#include <boost/json/value.hpp>

#include "daemon/novel/abort_check.h"
#include "daemon/novel/characters.h"
#include "daemon/novel/fountain.h"
#include "daemon/novel/ingest.h"
#include "daemon/novel/reading_cache.h"
#include "daemon/novel/scenes.h"
#include "daemon/novel/screenplay.h"
#include "daemon/novel/step_json.h"

namespace forkline {
namespace json = boost::json;
namespace {

constexpr std::array<std::string_view, 5> kActions = {
    "novel.ingest", "novel.characters", "novel.scenes", "novel.screenplay", "novel.assemble"};

StepResult Fail(const Status& s) {
  if (s.message() == "aborted") return StepResult::Failure("aborted", "the step was aborted");
  return StepResult::Failure("bad_input", s.message());
}

const json::object* ObjectAt(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr ? v->if_object() : nullptr;
}

std::string_view StringAt(const json::object* o, std::string_view key) {
  if (o == nullptr) return {};
  const json::value* v = o->if_contains(key);
  return v != nullptr && v->is_string() ? std::string_view(v->get_string()) : std::string_view();
}

// The output of the earlier step `name` (or the one params.from_<name> names).
Result<const json::object*> EarlierStep(const StepTask& task, std::string_view name) {
  std::string step_name(name);
  const json::object* step = ObjectAt(task.context, "step");
  const json::object* params = step != nullptr ? ObjectAt(*step, "params") : nullptr;
  if (const std::string_view from = StringAt(params, "from_" + step_name); !from.empty()) {
    step_name = std::string(from);
  }
  const json::object* steps = ObjectAt(task.context, "steps");
  const json::object* out = steps != nullptr ? ObjectAt(*steps, step_name) : nullptr;
  if (out == nullptr) {
    return Status::BadRequest("steps." + step_name + " is missing: run the '" + step_name +
                              "' step first");
  }
  return out;
}

StepResult RunIngest(const StepTask& task, const AbortCheck& abort) {
  const json::object* input = ObjectAt(task.context, "input");
  const json::value* text = input != nullptr ? input->if_contains("text") : nullptr;
  if (text == nullptr || !text->is_string()) {
    return StepResult::Failure("bad_input", "input.text is missing or not a string");
  }
  Result<IngestResult> ingest = Ingest(text->get_string(), abort);
  if (!ingest.ok()) return Fail(ingest.status());
  if (const std::string_view t = StringAt(input, "title"); !t.empty()) ingest->title = t;
  if (const std::string_view a = StringAt(input, "author"); !a.empty()) ingest->author = a;
  return StepResult::Success(IngestToJson(*ingest));
}

StepResult RunCharacters(const StepTask& task, const AbortCheck& abort) {
  Result<const json::object*> ingest = EarlierStep(task, "ingest");
  if (!ingest.ok()) return Fail(ingest.status());
  Result<ChapterViews> chapters = ChaptersFromJson(**ingest);
  if (!chapters.ok()) return Fail(chapters.status());
  Result<CastAnalysis> cast = AnalyzeCast(chapters->paragraphs, abort);
  if (!cast.ok()) return Fail(cast.status());
  PutTextReading(chapters->texts, std::move(cast->reading));
  return StepResult::Success(CastToJson(*cast));
}

StepResult RunScenes(const StepTask& task, const AbortCheck& abort) {
  Result<const json::object*> ingest = EarlierStep(task, "ingest");
  if (!ingest.ok()) return Fail(ingest.status());
  Result<ChapterViews> chapters = ChaptersFromJson(**ingest);
  if (!chapters.ok()) return Fail(chapters.status());
  Result<std::vector<Scene>> scenes = SplitScenes(chapters->paragraphs, chapters->titles, abort);
  if (!scenes.ok()) return Fail(scenes.status());
  return StepResult::Success(ScenesToJson(*scenes));
}

StepResult RunScreenplay(const StepTask& task, const AbortCheck& abort) {
  Result<const json::object*> ingest = EarlierStep(task, "ingest");
  Result<const json::object*> characters = EarlierStep(task, "characters");
  Result<const json::object*> scenes_out = EarlierStep(task, "scenes");
  for (const auto* r : {&ingest, &characters, &scenes_out}) {
    if (!r->ok()) return Fail(r->status());
  }
  Result<ChapterViews> chapters = ChaptersFromJson(**ingest);
  if (!chapters.ok()) return Fail(chapters.status());
  QuoteStyle style = QuoteStyle::kDouble;
  Result<Cast> cast = CastFromJson(**characters, &style);
  if (!cast.ok()) return Fail(cast.status());
  Result<std::vector<Scene>> scenes = ScenesFromJson(**scenes_out);
  if (!scenes.ok()) return Fail(scenes.status());
  const std::shared_ptr<const TextReading> known = TakeTextReading(chapters->texts, style, *cast);
  Result<json::object> screenplay =
      BuildScreenplay(chapters->paragraphs, *scenes, style, *cast, known.get(), abort);
  if (!screenplay.ok()) return Fail(screenplay.status());
  return StepResult::Success(std::move(*screenplay));
}

// Title and author: input first, then what ingest found, then the run's title.
TitlePage TitlePageOf(const StepTask& task) {
  const json::object* input = ObjectAt(task.context, "input");
  Result<const json::object*> ingest = EarlierStep(task, "ingest");
  const json::object* found = ingest.ok() ? *ingest : nullptr;
  TitlePage tp;
  for (std::string_view t :
       {StringAt(input, "title"), StringAt(found, "title"), StringAt(&task.context, "title")}) {
    if (tp.title.empty()) tp.title = std::string(t);
  }
  for (std::string_view a : {StringAt(input, "author"), StringAt(found, "author")}) {
    if (tp.author.empty()) tp.author = std::string(a);
  }
  return tp;
}

StepResult RunAssemble(const StepTask& task, const AbortCheck& abort) {
  Result<const json::object*> screenplay = EarlierStep(task, "screenplay");
  if (!screenplay.ok()) return Fail(screenplay.status());
  Result<std::vector<SceneView>> scripts = SceneViewsFromJson(**screenplay);
  if (!scripts.ok()) return Fail(scripts.status());
  if (abort.Stopped()) return Fail(Status::Unavailable("aborted"));
  const TitlePage tp = TitlePageOf(task);
  ScreenplayStats stats;
  const std::string fountain = RenderFountain(tp, *scripts, &stats);
  return StepResult::Success(AssembleToJson(fountain, tp, stats));
}

}  // namespace

bool IsNovelAction(std::string_view action) {
  for (std::string_view a : kActions) {
    if (a == action) return true;
  }
  return false;
}

StepResult RunNovelAction(std::string_view action, const StepTask& task) {
  const AbortCheck abort(&task.abort);
  try {
    if (action == "novel.ingest") return RunIngest(task, abort);
    if (action == "novel.characters") return RunCharacters(task, abort);
    if (action == "novel.scenes") return RunScenes(task, abort);
    if (action == "novel.screenplay") return RunScreenplay(task, abort);
    if (action == "novel.assemble") return RunAssemble(task, abort);
  } catch (const std::bad_alloc&) {
    return StepResult::Failure("bad_input", "the text is too large to process in memory");
  } catch (const std::exception& e) {
    return StepResult::Failure("internal", std::string("novel step failed: ") + e.what());
  }
  return StepResult::Failure("bad_input", "unknown builtin action '" + std::string(action) + "'");
}

}  // namespace forkline
