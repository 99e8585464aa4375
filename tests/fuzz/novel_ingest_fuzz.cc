// The novel ingest step on arbitrary bytes: Ingest never crashes; it gives at least one
// chapter, or a bad_request for input that holds no novel.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "daemon/novel/ingest.h"
#include "tests/fuzz/fuzz_check.h"

using namespace forkline;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view raw(reinterpret_cast<const char*>(data), size);
  auto result = Ingest(raw, AbortCheck());
  if (!result.ok()) {
    FUZZ_CHECK(result.status().code() == Code::kBadRequest);
    return 0;
  }
  FUZZ_CHECK(!result->chapters.empty());
  FUZZ_CHECK(result->chapter_words.size() == result->chapters.size());
  for (const auto& chapter : result->chapters) ChapterText(chapter);
  return 0;
}
