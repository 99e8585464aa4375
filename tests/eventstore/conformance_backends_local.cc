// The embedded backends under the conformance suite.
#include <stdexcept>

#include "tests/eventstore/store_factory.h"

namespace forkline::testing {

std::vector<Backend> ConformanceBackends() {
  return {
      Backend{"memory", [](const std::string&) { return NewMemoryEventStore(); }},
      Backend{"rocksdb",
              [](const std::string& dir) {
                RocksDbStoreOptions o;
                o.path = dir + "/db";
                auto s = OpenRocksDbEventStore(o);
                if (!s.ok()) throw std::runtime_error(s.status().ToString());
                return std::move(s).value();
              }},
  };
}

}  // namespace forkline::testing
