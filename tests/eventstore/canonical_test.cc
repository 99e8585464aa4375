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

#include "eventstore/rocksdb_codec.h"

namespace forkline {
namespace {

TEST(RocksDbCodec, EventsRoundTripThroughTheStoredForm) {
  Event e;
  e.run_id = "r_1";
  e.version = 300;
  e.position = 1ull << 40;
  e.type = "step.completed";
  e.at = "2026-01-01T00:00:00.000Z";
  e.key = "k";
  e.data = std::string("{\"x\":\"\\u0000\"}") + std::string(1000, 'y');
  e.prev_hash = std::string(64, 'a');
  e.hash = std::string(64, 'b');
  auto back = rocks::DecodeEvent(rocks::EncodeEvent(e), "key");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(CanonicalJson(*back, CanonicalForm::kFull), CanonicalJson(e, CanonicalForm::kFull));
}

TEST(RocksDbCodec, TruncatedOrPaddedRecordsAreCorrupt) {
  Event e;
  e.run_id = "r_1";
  e.type = "t";
  const std::string bytes = rocks::EncodeEvent(e);
  for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
    EXPECT_FALSE(rocks::DecodeEvent(bytes.substr(0, cut), "k").ok()) << cut;
  }
  EXPECT_FALSE(rocks::DecodeEvent(bytes + "x", "k").ok());
}

}  // namespace
}  // namespace forkline
