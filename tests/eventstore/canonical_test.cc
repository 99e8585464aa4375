#include "eventstore/canonical.h"

#include <boost/json/parse.hpp>
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

TEST(CanonicalJson, EveryAsciiCharacterAndUtf8RoundTrips) {
  std::string in;
  for (int c = 0; c < 0x80; ++c) in += static_cast<char>(c);
  in += "plain run \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80 after\x1f";  // é € 😀, then an escape last
  std::string out = "x";  // appends, keeping what is there
  AppendJsonString(out, in);
  ASSERT_EQ(out.substr(0, 1), "x");
  boost::system::error_code ec;
  const boost::json::value v = boost::json::parse(out.substr(1), ec);
  ASSERT_FALSE(ec) << ec.message() << " in " << out;
  EXPECT_EQ(v.as_string(), in);
  EXPECT_EQ(out.find('\x1f'), std::string::npos);  // control characters never go out raw
  EXPECT_NE(out.find("\\u001f\""), std::string::npos);
}

TEST(CanonicalJson, Sha256OfKnownInput) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace forkline

#include <cereal/archives/portable_binary.hpp>
#include <cereal/types/string.hpp>
#include <sstream>

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

// The hand-written encoder writes exactly what cereal's portable archive wrote before it,
// so stores written by either read the same.
TEST(RocksDbCodec, RecordsAreByteForByteWhatCerealWrites) {
  Event e;
  e.run_id = "r_1";
  e.version = 300;
  e.position = (1ull << 40) + 7;
  e.type = "step.completed";
  e.at = "2026-01-01T00:00:00.000Z";
  e.command_id = "c";
  e.data = std::string("{\"x\":1}") + std::string(300, 'y');
  e.prev_hash = std::string(64, 'a');
  e.hash = std::string(64, 'b');
  std::ostringstream event_bytes(std::ios::binary);
  {
    cereal::PortableBinaryOutputArchive ar(event_bytes);
    ar(std::uint8_t{1}, e.run_id, e.version, e.position, e.type, e.at, e.command_id, e.key, e.data,
       e.prev_hash, e.hash);
  }
  EXPECT_EQ(rocks::EncodeEvent(e), event_bytes.str());

  StreamInfo info{"r_2", 12, std::string(64, 'c'), ForkLink{"r_1", 5}};
  std::ostringstream stream_bytes(std::ios::binary);
  {
    cereal::PortableBinaryOutputArchive ar(stream_bytes);
    ar(std::uint8_t{1}, info.run_id, info.head_version, info.head_hash, true,
       info.parent->source_run_id, info.parent->source_version);
  }
  EXPECT_EQ(rocks::EncodeStream(info), stream_bytes.str());
  auto back = rocks::DecodeStream(rocks::EncodeStream(info), "r_2");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->parent, info.parent);
  EXPECT_EQ(back->head_version, 12u);
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
