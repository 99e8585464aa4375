// Command argument readers (daemon/engine/args.h): whole numbers arrive as JSON integers
// or doubles; anything that is not a whole number in range is a clear bad_request.
#include "daemon/engine/args.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace forkline {
namespace {

namespace json = boost::json;

Result<std::optional<std::uint64_t>> Limit(std::string_view body) {
  return args::OptionalUint(json::parse(body).as_object(), "limit", 1000);
}

TEST(ArgsTest, WholeNumbersInAnyJsonForm) {
  EXPECT_EQ(Limit(R"({"limit": 7})").value(), 7u);
  EXPECT_EQ(Limit(R"({"limit": 7.0})").value(), 7u);
  EXPECT_EQ(Limit(R"({"limit": null})").value(), std::nullopt);
  EXPECT_EQ(Limit(R"({})").value(), std::nullopt);
}

TEST(ArgsTest, OutOfRangeAndFractionsAreBadRequest) {
  for (const char* body : {R"({"limit": 1001})", R"({"limit": 18446744073709551615})",
                           R"({"limit": 1e19})", R"({"limit": 1e300})", R"({"limit": 2.5})",
                           R"({"limit": -1})", R"({"limit": -0.5})", R"({"limit": "3"})"}) {
    auto r = Limit(body);
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_EQ(r.status().code(), Code::kBadRequest) << body;
    EXPECT_NE(r.status().message().find("'limit'"), std::string::npos) << body;
  }
}

}  // namespace
}  // namespace forkline
