// The workflow definition loader on arbitrary TOML: ParseWorkflow never throws; a
// definition it accepts has a kind and steps, and survives the stored-JSON round trip
// (StepsFromJson(StepsToJson(steps)) == steps), as runs store it in run.created.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "daemon/workflow/workflow_loader.h"
#include "tests/fuzz/fuzz_check.h"

using namespace forkline;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto is_builtin = [](std::string_view action) { return action.rfind("novel.", 0) == 0; };
  auto def = ParseWorkflow(text, "fuzz.toml", "/tmp", is_builtin);
  if (!def.ok()) {
    FUZZ_CHECK(def.status().code() == Code::kBadRequest);
    return 0;
  }
  FUZZ_CHECK(!def->kind.empty());
  FUZZ_CHECK(!def->steps.empty());
  auto back = StepsFromJson(StepsToJson(def->steps));
  FUZZ_CHECK(back.ok());
  FUZZ_CHECK(*back == def->steps);
  return 0;
}
