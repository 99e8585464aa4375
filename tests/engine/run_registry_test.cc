// RunRegistry's memory bounds: full states for the most recently used runs only, one
// shared copy of equal definitions.
#include "daemon/engine/run_registry.h"

#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

namespace forkline {
namespace {

namespace json = boost::json;

class RunRegistryTest : public ::testing::Test {
 protected:
  std::shared_ptr<RunEntry> Entry(const std::string& id) {
    return std::make_shared<RunEntry>(id, io_.get_executor());
  }
  static std::shared_ptr<const RunState> Full(const std::string& id) {
    auto s = std::make_shared<RunState>();
    s->id = id;
    return s;
  }
  boost::asio::io_context io_;
};

TEST_F(RunRegistryTest, KeepsTheFullStatesOfTheMostRecentlyUsedRunsOnly) {
  RunRegistry registry(2);
  auto a = Entry("a"), b = Entry("b"), c = Entry("c");
  for (const auto& e : {a, b}) {
    e->full_cache = Full(e->id);
    registry.KeepFull(e);
  }
  registry.KeepFull(a);  // a used again: b is now the least recent
  c->full_cache = Full("c");
  registry.KeepFull(c);
  EXPECT_NE(a->full_cache, nullptr);
  EXPECT_EQ(b->full_cache, nullptr);
  EXPECT_NE(c->full_cache, nullptr);
}

TEST_F(RunRegistryTest, EqualDefinitionsOfAKindAreSharedOthersKept) {
  RunRegistry registry;
  const char* def = R"([{"name":"one","executor":"builtin"},{"name":"two","executor":"builtin"}])";
  RunState first, second, other, changed;
  for (RunState* s : {&first, &second, &other, &changed}) {
    s->kind = s == &other ? "other_kind" : "k";
    s->definition = json::array(json::parse(def).as_array());
  }
  changed.definition = json::array(json::parse(R"([{"name":"one","executor":"exec"}])").as_array());
  for (RunState* s : {&first, &second, &other, &changed})
    registry.ShareDefinition(*s);
  EXPECT_EQ(second.definition.shared(), first.definition.shared());
  EXPECT_NE(other.definition.shared(), first.definition.shared());  // another kind
  EXPECT_NE(changed.definition.shared(), first.definition.shared());
  EXPECT_EQ(changed.definition.get(), json::parse(R"([{"name":"one","executor":"exec"}])"));
  EXPECT_EQ(second.definition.get(), json::parse(def));
}

}  // namespace
}  // namespace forkline
