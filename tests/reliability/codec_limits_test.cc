// Corrupt records from disk never make the decoder allocate more than the record holds
// (found by the event_codec fuzz target: a stream record whose string length read
// 0x6565… made cereal allocate that much). This binary replaces operator new to record
// the largest request.
#include <atomic>
#include <cstdlib>
#include <new>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "eventstore/rocksdb_codec.h"

// g++ 12 sees the replaced operator new and delete inlined into each other's callers and
// warns that malloc'd memory is freed by delete; they are a matching pair here.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace {
std::atomic<std::size_t> largest_request{0};
}  // namespace

void* operator new(std::size_t n) {
  std::size_t seen = largest_request.load();
  while (n > seen && !largest_request.compare_exchange_weak(seen, n)) {
  }
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace forkline {
namespace {

using ::testing::HasSubstr;

// A record whose first string claims `length` bytes.
std::string WithStringLength(std::string record, std::uint64_t length) {
  for (int i = 0; i < 8; ++i) record[2 + i] = static_cast<char>((length >> (8 * i)) & 0xff);
  return record;
}

TEST(CodecLimitsTest, HugeLengthsInCorruptRecordsAllocateNothingBig) {
  Event e;
  e.run_id = "r_1";
  e.type = "t";
  StreamInfo s{"r_2", 9, std::string(64, 'd'), ForkLink{"r_1", 4}};
  for (std::uint64_t length : {std::uint64_t{1} << 30, std::uint64_t{0x6565656565656565}, ~std::uint64_t{0}}) {
    const std::string event = WithStringLength(rocks::EncodeEvent(e), length);
    const std::string stream = WithStringLength(rocks::EncodeStream(s), length);
    largest_request = 0;
    const auto bad_event = rocks::DecodeEvent(event, "k");
    const auto bad_stream = rocks::DecodeStream(stream, "k");
    EXPECT_LT(largest_request.load(), std::size_t{1} << 20) << "length " << length;
    ASSERT_FALSE(bad_event.ok());
    ASSERT_FALSE(bad_stream.ok());
    EXPECT_THAT(bad_event.status().message(), HasSubstr("truncated or malformed"));
    EXPECT_THAT(bad_stream.status().message(), HasSubstr("truncated or malformed"));
  }
}

TEST(CodecLimitsTest, StreamsRoundTripAndRefuseTrailingBytes) {
  for (const StreamInfo& s : {StreamInfo{"r_2", 9, std::string(64, 'd'), ForkLink{"r_1", 4}},
                              StreamInfo{"r_3", 1, "", std::nullopt}}) {
    const auto back = rocks::DecodeStream(rocks::EncodeStream(s), "k");
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(back->run_id, s.run_id);
    EXPECT_EQ(back->head_version, s.head_version);
    EXPECT_EQ(back->head_hash, s.head_hash);
    EXPECT_EQ(back->parent, s.parent);
    EXPECT_FALSE(rocks::DecodeStream(rocks::EncodeStream(s) + "x", "k").ok());
    const std::string bytes = rocks::EncodeStream(s);
    for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
      EXPECT_FALSE(rocks::DecodeStream(bytes.substr(0, cut), "k").ok()) << cut;
    }
  }
}

}  // namespace
}  // namespace forkline
