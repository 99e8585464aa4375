#include "tests/novel/pipeline.h"

#include <atomic>
#include <fstream>
#include <sstream>

#include "daemon/novel/novel_actions.h"

namespace forkline::testing {
namespace json = boost::json;

StepResult RunAction(std::string_view action, const json::object& context) {
  StepDefinition def;
  def.name = "step";
  def.executor = "builtin";
  def.action = std::string(action);
  static const std::atomic<bool> kNoAbort{false};
  const StepTask task{context, def, kNoAbort, {}, std::chrono::milliseconds(0), 0};
  return RunNovelAction(action, task);
}

Pipeline RunPipeline(std::string_view text, json::object input) {
  input["text"] = text;
  json::object context{{"run_id", "r_test"},
                       {"kind", "novel_to_script"},
                       {"title", "Test run"},
                       {"input", std::move(input)},
                       {"steps", json::object()}};
  Pipeline out;
  const std::pair<const char*, json::object*> steps[] = {{"ingest", &out.ingest},
                                                         {"characters", &out.characters},
                                                         {"scenes", &out.scenes},
                                                         {"screenplay", &out.screenplay},
                                                         {"assemble", &out.assemble}};
  int index = 0;
  for (const auto& [name, slot] : steps) {
    context["step"] = json::object{{"index", index++}, {"name", name}, {"params", json::object()}};
    StepResult r = RunAction(std::string("novel.") + name, context);
    if (!r.ok) {
      out.failed_action = name;
      out.error = r.error;
      return out;
    }
    *slot = r.output;
    context["steps"].as_object()[name] = std::move(r.output);
  }
  out.ok = true;
  return out;
}

std::string ReadAlice() {
  std::ifstream in(std::string(FORKLINE_SOURCE_DIR) + "/../shared/corpus/alice.txt",
                   std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace forkline::testing
