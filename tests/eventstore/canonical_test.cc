#include "eventstore/canonical.h"

#include <gtest/gtest.h>

namespace forkline {
namespace {

TEST(CanonicalJson, SortsKeysAndLeavesOutEmptyOptionalFields) {
  Event e;
  e.run_id = "r1";
  e.version = 2;
  e.position = 9;
  e.type = "step.started";
  e.at = "2026-01-01T00:00:00.000Z";
  e.data = "{\"index\":0}";
  e.prev_hash = "ab";
  e.hash = "cd";
  EXPECT_EQ(CanonicalJson(e, CanonicalForm::kForHash),
            "{\"at\":\"2026-01-01T00:00:00.000Z\",\"data\":{\"index\":0},\"prev_hash\":\"ab\","
            "\"run_id\":\"r1\",\"type\":\"step.started\",\"version\":2}");
  e.key = "k";
  e.command_id = "c";
  e.prev_hash.clear();
  EXPECT_EQ(CanonicalJson(e, CanonicalForm::kFull),
            "{\"at\":\"2026-01-01T00:00:00.000Z\",\"command_id\":\"c\",\"data\":{\"index\":0},"
            "\"hash\":\"cd\",\"key\":\"k\",\"position\":9,\"prev_hash\":null,\"run_id\":\"r1\","
            "\"type\":\"step.started\",\"version\":2}");
}

TEST(CanonicalJson, EscapesStrings) {
  std::string out;
  AppendJsonString(out, std::string("a\"b\\c\nd\x01", 8));
  EXPECT_EQ(out, "\"a\\\"b\\\\c\\nd\\u0001\"");
}

TEST(CanonicalJson, Sha256OfKnownInput) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace forkline
