#include "eventstore/rocksdb_logger.h"

#include <cstdarg>
#include <cstdio>

namespace forkline::rocks {
namespace {

class Stderr final : public rocksdb::Logger {
 public:
  Stderr() : rocksdb::Logger(rocksdb::InfoLogLevel::WARN_LEVEL) {}
  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override {
    char line[1024];
    std::vsnprintf(line, sizeof line, format, ap);
    std::fprintf(stderr, "rocksdb: %s\n", line);
  }
};

}  // namespace

std::shared_ptr<rocksdb::Logger> StderrLogger() { return std::make_shared<Stderr>(); }

}  // namespace forkline::rocks
