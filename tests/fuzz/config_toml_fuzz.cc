// forklined's config loader on arbitrary files: LoadConfig never throws or crashes;
// anything it refuses is a bad_request that says why.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>

#include "daemon/config/config.h"
#include "tests/fuzz/fuzz_check.h"

using namespace forkline;

namespace {

// LoadConfig reads a file: each input is written to this one, removed at exit.
struct InputFile {
  std::string path = "/tmp/forkline-config-fuzz-" + std::to_string(getpid()) + ".toml";
  ~InputFile() { std::remove(path.c_str()); }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const InputFile file;
  const std::string& path = file.path;
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  auto config = LoadConfig(path, {});
  if (!config.ok()) {
    FUZZ_CHECK(config.status().code() == Code::kBadRequest);
    FUZZ_CHECK(!config.status().message().empty());
  }
  return 0;
}
