// What only the durable store promises: reopening, read-only access beside a live
// writer, and corrupt records reported by key.
#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include "eventstore/rocksdb_codec.h"
#include "tests/eventstore/store_factory.h"
#include "tests/testutil/status_matchers.h"

namespace forkline::testing {
namespace {

std::unique_ptr<EventStore> Open(const std::string& path, bool read_only = false) {
  RocksDbStoreOptions o;
  o.path = path;
  o.read_only = read_only;
  auto s = OpenRocksDbEventStore(o);
  EXPECT_OK(s);
  return s.ok() ? std::move(s).value() : nullptr;
}

TEST(RocksDbStore, ReopenKeepsEventsHeadsAndPositions) {
  TempDir dir;
  std::string hash;
  {
    auto store = Open(dir.Sub("db"));
    ASSERT_OK(store->Append(Req("a", 0, {Ev("x"), Ev("y")})));
    ASSERT_OK(store->Append(ForkReq("f", "a", 1, {Ev("run.forked")})));
    hash = store->GetStream("a")->head_hash;
  }
  auto store = Open(dir.Sub("db"));
  EXPECT_EQ(store->LastPosition(), 3u);
  auto info = store->GetStream("a");
  ASSERT_OK(info);
  EXPECT_EQ(info->head_version, 2u);
  EXPECT_EQ(info->head_hash, hash);
  auto next = store->Append(Req("a", 2, {Ev("z")}));
  ASSERT_OK(next);
  EXPECT_EQ(next->events[0]->position, 4u);
  EXPECT_EQ(next->events[0]->prev_hash, hash);
  auto fork = store->ReadStream("f", 0, 10);
  ASSERT_OK(fork);
  ASSERT_EQ(fork->size(), 2u);
  EXPECT_EQ((*fork)[1]->run_id, "f");
}

TEST(RocksDbStore, ReadOnlyOpenFollowsALiveWriter) {
  TempDir dir;
  auto writer = Open(dir.Sub("db"));
  ASSERT_OK(writer->Append(Req("a", 0, {Ev("x")})));
  auto reader = Open(dir.Sub("db"), /*read_only=*/true);
  ASSERT_NE(reader, nullptr);
  EXPECT_EQ(reader->GetStream("a")->head_version, 1u);
  ASSERT_OK(writer->Append(Req("a", 1, {Ev("y")})));
  auto events = reader->ReadStream("a", 0, 10);
  ASSERT_OK(events);
  EXPECT_EQ(events->size(), 2u);
  EXPECT_EQ(reader->LastPosition(), 2u);
  EXPECT_EQ(reader->Append(Req("a", 2, {Ev("z")})).status().code(), Code::kUnavailable);
}

TEST(RocksDbStore, ReadOnlyOpenOfAMissingStoreIsNotFound) {
  TempDir dir;
  RocksDbStoreOptions o;
  o.path = dir.Sub("nothing");
  o.read_only = true;
  EXPECT_EQ(OpenRocksDbEventStore(o).status().code(), Code::kNotFound);
}

TEST(RocksDbStore, CorruptRecordIsReportedWithItsKey) {
  TempDir dir;
  {
    auto store = Open(dir.Sub("db"));
    ASSERT_OK(store->Append(Req("victim", 0, {Ev("x"), Ev("y")})));
  }
  {
    // Overwrite version 2 with bytes that are not a record, behind the store's back.
    rocksdb::Options options;
    std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
    for (const char* n : {"default", "events", "global", "streams"}) cfs.emplace_back(n, options);
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(options, dir.Sub("db"), cfs, &handles, &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    ASSERT_TRUE(db->Put({}, handles[1], rocks::EventKey("victim", 2), "garbage!").ok());
    for (auto* h : handles) ASSERT_TRUE(db->DestroyColumnFamilyHandle(h).ok());
  }
  auto store = Open(dir.Sub("db"));
  auto events = store->ReadStream("victim", 0, 10);
  ASSERT_FALSE(events.ok());
  EXPECT_EQ(events.status().code(), Code::kInternal);
  EXPECT_NE(events.status().message().find("victim"), std::string::npos) << events.status().ToString();
  EXPECT_NE(events.status().message().find("corrupt"), std::string::npos);
  auto all = store->ReadAll(0, 10);
  EXPECT_FALSE(all.ok());
}

}  // namespace
}  // namespace forkline::testing
