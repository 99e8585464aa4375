// novel_bench: throughput of the builtin `novel_to_script` pipeline (issue 5) — ingest,
// characters, scenes, screenplay, assemble — over a novel once and over the same novel
// repeated to ~20 MB. Each step runs through RunNovelAction on a context that holds the
// earlier outputs, as the builtin executor runs it. Between steps the output is handed
// on the way the daemon hands it on: serialised (the engine's size check and the event
// payload) and parsed back (what a step reads after the log is folded). Step and
// hand-off are timed apart, so that text processing and JSON show separately.
#include <time.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "bench/bench_util.h"
#include "daemon/novel/novel_actions.h"

namespace forkline::bench {
namespace {
namespace json = boost::json;

constexpr const char* kUsage =
    "usage: novel_bench [--corpus FILE] [--mb N] [--rounds N] [--dump DIR]\n"
    "  --corpus  the novel (default ../shared/corpus/alice.txt beside the sources)\n"
    "  --mb      size of the repeated text in MB (default 20)\n"
    "  --rounds  runs of the pipeline per text; the median round is shown (default 3)\n"
    "  --dump    write each step's output (serialised JSON) of the large text there,\n"
    "            to compare two builds byte for byte\n";

constexpr const char* kSteps[] = {"ingest", "characters", "scenes", "screenplay", "assemble"};
constexpr std::size_t kStepCount = std::size(kSteps);

// CPU time of the calling thread: on a shared, loaded machine it moves less than the
// wall clock, so both are shown.
double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

struct Round {
  double step_s[kStepCount] = {};
  double step_cpu_s[kStepCount] = {};
  double handoff_s[kStepCount] = {};  // serialise + parse the step's output
  std::size_t output_bytes[kStepCount] = {};
  std::vector<std::string> outputs;  // serialised, kept only when asked
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

StepResult RunStep(const char* name, const json::object& context) {
  StepDefinition def;
  def.name = name;
  def.executor = "builtin";
  def.action = std::string("novel.") + name;
  static const std::atomic<bool> kNoAbort{false};
  const StepTask task{context, def, kNoAbort, {}, std::chrono::milliseconds(0), 0};
  return RunNovelAction(def.action, task);
}

Round RunPipeline(const std::string& text, bool keep_outputs) {
  json::object context{{"run_id", "r_bench"},
                       {"kind", "novel_to_script"},
                       {"title", "Bench run"},
                       {"input", json::object{{"text", text}}},
                       {"steps", json::object()}};
  Round r;
  for (std::size_t i = 0; i < kStepCount; ++i) {
    context["step"] = json::object{{"index", i}, {"name", kSteps[i]}, {"params", json::object()}};
    const Clock::time_point start = Clock::now();
    const double cpu_start = ThreadCpuSeconds();
    StepResult result = RunStep(kSteps[i], context);
    r.step_s[i] = SecondsSince(start);
    r.step_cpu_s[i] = ThreadCpuSeconds() - cpu_start;
    if (!result.ok) {
      throw std::runtime_error(std::string(kSteps[i]) + " failed: " + result.error.code + ": " +
                               result.error.message);
    }
    const Clock::time_point handoff = Clock::now();
    std::string bytes = json::serialize(result.output);
    json::value parsed = json::parse(bytes);
    r.handoff_s[i] = SecondsSince(handoff);
    r.output_bytes[i] = bytes.size();
    if (keep_outputs) r.outputs.push_back(std::move(bytes));
    context["steps"].as_object()[kSteps[i]] = std::move(parsed);
  }
  return r;
}

double Total(const Round& r, bool with_handoff) {
  double t = 0;
  for (std::size_t i = 0; i < kStepCount; ++i)
    t += r.step_s[i] + (with_handoff ? r.handoff_s[i] : 0);
  return t;
}

double TotalCpu(const Round& r) {
  double t = 0;
  for (double s : r.step_cpu_s)
    t += s;
  return t;
}

void Measure(const std::string& label, const std::string& text, int rounds,
             const std::string& dump_dir) {
  std::vector<Round> all;
  for (int k = 0; k < rounds; ++k)
    all.push_back(RunPipeline(text, k == 0 && !dump_dir.empty()));
  if (!dump_dir.empty()) {
    for (std::size_t i = 0; i < kStepCount; ++i) {
      std::ofstream(dump_dir + "/" + kSteps[i] + ".json", std::ios::binary) << all[0].outputs[i];
    }
  }
  std::sort(all.begin(), all.end(),
            [](const Round& a, const Round& b) { return Total(a, true) < Total(b, true); });
  const Round& median = all[all.size() / 2];
  const double mb = static_cast<double>(text.size()) / 1e6;
  Table t({"step", "step ms", "step cpu ms", "hand-off ms", "output MB", "step MB/s",
           "step+hand-off MB/s"});
  for (std::size_t i = 0; i < kStepCount; ++i) {
    const double s = median.step_s[i], h = median.handoff_s[i];
    t.Row({kSteps[i], Fixed(s * 1e3, 1), Fixed(median.step_cpu_s[i] * 1e3, 1), Fixed(h * 1e3, 1),
           Fixed(static_cast<double>(median.output_bytes[i]) / 1e6, 2), Fixed(mb / s, 1),
           Fixed(mb / (s + h), 1)});
  }
  const double steps = Total(median, false), whole = Total(median, true);
  t.Row({"all five", Fixed(steps * 1e3, 1), Fixed(TotalCpu(median) * 1e3, 1),
         Fixed((whole - steps) * 1e3, 1), "", Fixed(mb / steps, 1), Fixed(mb / whole, 1)});
  t.Print(label + ": " + Fixed(mb, 2) + " MB, median of " + std::to_string(rounds) +
          " rounds (fastest round: " + Fixed(mb / Total(all.front(), true), 1) +
          " MB/s with hand-off)");
}

int Main(int argc, char** argv) {
  Flags flags(argc, argv);
  const std::string corpus =
      flags.String("corpus", std::string(FORKLINE_SOURCE_DIR) + "/../shared/corpus/alice.txt");
  const std::int64_t target_mb = flags.Int("mb", 20);
  const int rounds = static_cast<int>(std::max<std::int64_t>(1, flags.Int("rounds", 3)));
  const std::string dump_dir = flags.String("dump", "");
  if (!flags.Check(kUsage)) return 2;

  const std::string once = ReadFile(corpus);
  if (once.empty()) throw std::runtime_error(corpus + " is empty");
  std::string repeated;
  const auto target = static_cast<std::size_t>(target_mb) * 1000 * 1000;
  repeated.reserve(target + once.size());
  while (repeated.size() < target)
    repeated += once + "\n\n";
  std::printf("novel_to_script, 5 builtin steps; corpus %s (%zu bytes), repeated %zu times\n",
              corpus.c_str(), once.size(), repeated.size() / (once.size() + 2));
  Measure("once", once, std::max(rounds, 5), "");
  Measure("repeated", repeated, rounds, dump_dir);
  return 0;
}

}  // namespace
}  // namespace forkline::bench

int main(int argc, char** argv) {
  try {
    return forkline::bench::Main(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "novel_bench: %s\n", e.what());
    return 1;
  }
}
