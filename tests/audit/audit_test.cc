// The audit tool over real RocksDB stores: a clean log is clean; a payload byte changed
// behind the store's back (the test-only raw write) is found and named by run and
// version; a rewritten event with a recomputed hash breaks the next link; export ->
// import into a fresh store gives identical runs; an edited export is refused with
// nothing written.

#include "tools/audit.h"

#include <atomic>
#include <limits>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "eventstore/canonical.h"
#include "eventstore/memory_event_store.h"
#include "eventstore/rocksdb_event_store.h"
#include "eventstore/rocksdb_raw_write.h"
#include "tests/audit/sample_log.h"
#include "tests/testutil/status_matchers.h"
#include "tests/testutil/temp_dir.h"
#include "tools/event_line.h"
#include "tools/export_import.h"

namespace forkline {
namespace {

using testing::SampleRuns;
using testing::TempDir;
constexpr std::size_t kAll = std::numeric_limits<std::size_t>::max();

// `secondary`: where a read-only store keeps its own files (empty: read-write).
std::unique_ptr<EventStore> Open(const std::string& path, const std::string& secondary = "") {
  RocksDbStoreOptions o;
  o.path = path;
  o.read_only = !secondary.empty();
  o.secondary_path = secondary;
  auto s = OpenRocksDbEventStore(o);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? std::move(s).value() : nullptr;
}

tools::AuditReport AuditAt(const std::string& path) {
  TempDir secondary;
  auto store = Open(path, secondary.path());
  auto log = tools::SnapshotFromStore(*store);
  EXPECT_TRUE(log.ok()) << log.status().ToString();
  return tools::AuditLog(*log);
}

std::string ExportAll(EventStore& store) {
  auto log = tools::SnapshotFromStore(store);
  EXPECT_TRUE(log.ok());
  auto events = tools::SelectForExport(*log, {});
  EXPECT_TRUE(events.ok());
  std::string out;
  for (const EventPtr& e : *events)
    out += tools::EventLine(*e) + "\n";
  return out;
}

EventPtr EventAt(EventStore& store, const std::string& run, std::uint64_t version) {
  auto events = store.ReadStream(run, version - 1, 1);
  EXPECT_TRUE(events.ok() && events->size() == 1);
  return events->front();
}

class AuditTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = Open(dir_.path());
    ASSERT_OK(testing::WriteSampleLog(*store, runs_));
  }
  TempDir dir_;
  SampleRuns runs_;
};

TEST_F(AuditTest, CleanLogIsClean) {
  const tools::AuditReport report = AuditAt(dir_.path());
  EXPECT_TRUE(report.clean()) << tools::ReportText(report);
  EXPECT_EQ(report.runs, 3u);
  EXPECT_EQ(report.events, 16u);
  EXPECT_NE(tools::ReportText(report).find("clean"), std::string::npos);
}

TEST_F(AuditTest, ChangedPayloadByteIsNamedByRunAndVersion) {
  Event tampered = *EventAt(*Open(dir_.path()), runs_.source, 5);
  ASSERT_EQ(tampered.type, "step.completed");
  const std::size_t at = tampered.data.find("three");
  ASSERT_NE(at, std::string::npos);
  tampered.data[at] = 'T';  // one byte; hash and prev_hash left as they were
  ASSERT_OK(OverwriteRocksDbEventForTesting(dir_.path(), tampered));

  const tools::AuditReport report = AuditAt(dir_.path());
  ASSERT_FALSE(report.clean());
  ASSERT_EQ(report.findings.size(), 1u) << tools::ReportText(report);
  EXPECT_EQ(report.findings[0].run_id, runs_.source);
  EXPECT_EQ(report.findings[0].version, 5u);
  EXPECT_EQ(report.findings[0].check, "hash");
  EXPECT_NE(tools::ReportText(report).find(runs_.source + " v5  hash:"), std::string::npos)
      << tools::ReportText(report);
}

TEST_F(AuditTest, RecomputedHashBreaksTheNextLinkAndTheForkPrefix) {
  // A forger who fixes the hash of the changed event breaks the chain after it: the
  // source's next event and the fork that branched after it no longer link.
  Event forged = *EventAt(*Open(dir_.path()), runs_.source, 3);
  forged.data.replace(forged.data.find("\"a\""), 3, "\"z\"");
  forged.hash = EventHash(forged);
  ASSERT_OK(OverwriteRocksDbEventForTesting(dir_.path(), forged));

  const tools::AuditReport report = AuditAt(dir_.path());
  std::set<std::tuple<std::string, std::uint64_t, std::string>> found;
  for (const auto& f : report.findings)
    found.insert({f.run_id, f.version, f.check});
  EXPECT_TRUE(found.count({runs_.source, 4, "chain"})) << tools::ReportText(report);
  EXPECT_TRUE(found.count({runs_.fork, 4, "fork"})) << tools::ReportText(report);
  EXPECT_FALSE(found.count({runs_.other, 0, "chain"}));
}

TEST_F(AuditTest, StepEndedTwiceIsFound) {
  // Rewrite the source's run.completed (v6) as a second step.completed of step 1.
  auto store = Open(dir_.path());
  Event dup = *EventAt(*store, runs_.source, 6);
  const Event completed = *EventAt(*store, runs_.source, 5);
  store.reset();
  dup.type = completed.type;
  dup.data = completed.data;
  dup.hash = EventHash(dup);
  ASSERT_OK(OverwriteRocksDbEventForTesting(dir_.path(), dup));
  const tools::AuditReport report = AuditAt(dir_.path());
  bool twice = false;
  for (const auto& f : report.findings) {
    twice |= f.run_id == runs_.source && f.version == 6 && f.check == "steps" &&
             f.message.find("ended twice") != std::string::npos;
  }
  EXPECT_TRUE(twice) << tools::ReportText(report);
}

TEST_F(AuditTest, ExportImportRoundTripGivesIdenticalRuns) {
  auto source = Open(dir_.path());
  const std::string exported = ExportAll(*source);
  std::istringstream in(exported);
  auto events = tools::ReadEventLines(in);
  ASSERT_OK(events);
  ASSERT_EQ(events->size(), 16u);

  TempDir fresh;
  auto target = Open(fresh.path());
  auto summary = tools::ImportEvents(*events, *target);
  ASSERT_OK(summary);
  EXPECT_EQ(summary->runs, 3u);
  EXPECT_EQ(ExportAll(*target), exported);  // ids, versions, hashes, data, positions
  for (const std::string& run : {runs_.source, runs_.fork, runs_.other}) {
    auto a = source->ReadStream(run, 0, kAll);
    auto b = target->ReadStream(run, 0, kAll);
    ASSERT_OK(a);
    ASSERT_OK(b);
    ASSERT_EQ(a->size(), b->size());
    for (std::size_t i = 0; i < a->size(); ++i) {
      EXPECT_EQ(CanonicalJson(*(*a)[i], CanonicalForm::kFull),
                CanonicalJson(*(*b)[i], CanonicalForm::kFull));
    }
    auto sa = source->GetStream(run);
    auto sb = target->GetStream(run);
    EXPECT_EQ(sa->head_hash, sb->head_hash);
    EXPECT_EQ(sa->parent, sb->parent);
  }
  target.reset();
  EXPECT_TRUE(AuditAt(fresh.path()).clean());
}

TEST_F(AuditTest, EditedExportIsRefusedWithNothingWritten) {
  std::string exported = ExportAll(*Open(dir_.path()));
  const std::size_t at = exported.find("TWO");
  ASSERT_NE(at, std::string::npos);
  exported[at] = 'X';
  std::istringstream in(exported);
  auto events = tools::ReadEventLines(in);
  ASSERT_OK(events);
  TempDir fresh;
  auto target = Open(fresh.path());
  auto done = tools::ImportEvents(*events, *target);
  ASSERT_FALSE(done.ok());
  EXPECT_EQ(done.status().code(), Code::kBadRequest);
  EXPECT_NE(done.status().message().find("run " + runs_.fork + " version 6"), std::string::npos)
      << done.status().message();
  EXPECT_TRUE(target->ListStreams()->empty());
  EXPECT_EQ(target->LastPosition(), 0u);
}

TEST_F(AuditTest, ImportOfAForkWhoseSourceIsMissingIsRefused) {
  auto log = tools::SnapshotFromStore(*Open(dir_.path()));
  ASSERT_OK(log);
  EventList fork_only = log->own.at(runs_.fork);
  TempDir fresh;
  auto target = Open(fresh.path());
  Status s = tools::VerifyImport(fork_only, *target);
  EXPECT_EQ(s.code(), Code::kBadRequest);
  EXPECT_NE(s.message().find(runs_.source), std::string::npos) << s.message();
  // With the source already in the target store, the fork alone imports.
  ASSERT_OK(tools::ImportEvents(log->own.at(runs_.source), *target));
  ASSERT_OK(tools::ImportEvents(fork_only, *target));
  target.reset();
  EXPECT_TRUE(AuditAt(fresh.path()).clean());
}

TEST_F(AuditTest, ExportOfAForkBringsItsSourceFirst) {
  auto log = tools::SnapshotFromStore(*Open(dir_.path()));
  ASSERT_OK(log);
  auto events = tools::SelectForExport(*log, {runs_.fork});
  ASSERT_OK(events);
  ASSERT_EQ(events->size(), 10u);
  EXPECT_EQ(events->front()->run_id, runs_.source);
  EXPECT_EQ(events->back()->run_id, runs_.fork);
  EXPECT_EQ(tools::SelectForExport(*log, {"r_none"}).status().code(), Code::kNotFound);
}

TEST_F(AuditTest, CheckpointWhileAppendingIsAConsistentPrefix) {
  auto store = Open(dir_.path());
  std::atomic<bool> stop{false};
  std::atomic<int> written{0};
  std::atomic<bool> failed{false};
  std::thread appender([&] {
    for (int i = 0; !stop.load(); ++i) {
      const std::string n = std::to_string(i);
      if (!testing::WriteSampleLog(*store, {"r_s" + n, "r_f" + n, "r_o" + n}).ok()) {
        failed = true;
        written = 1 << 20;  // releases the waits below
        return;
      }
      ++written;
    }
  });
  while (written.load() < 1)
    std::this_thread::yield();
  const std::string copy = dir_.Sub("copy");
  Status taken = store->Checkpoint(copy);
  const int at_copy = written.load();
  while (written.load() < at_copy + 2)
    std::this_thread::yield();  // appends after the copy
  stop = true;
  appender.join();
  ASSERT_FALSE(failed.load()) << "an append failed";
  ASSERT_OK(taken);
  EXPECT_EQ(store->Checkpoint(copy).code(), Code::kConflict);
  EXPECT_EQ(NewMemoryEventStore()->Checkpoint(dir_.Sub("mem")).code(), Code::kUnavailable);

  const tools::AuditReport report = AuditAt(copy);
  EXPECT_TRUE(report.clean()) << tools::ReportText(report);
  EXPECT_GE(report.runs, 6u);
  // Every event in the copy is the store's event at the same position.
  TempDir secondary;
  auto copied = Open(copy, secondary.path());
  auto events = copied->ReadAll(0, kAll);
  ASSERT_OK(events);
  auto now = store->ReadAll(0, events->size());
  ASSERT_OK(now);
  ASSERT_EQ(now->size(), events->size());
  for (std::size_t i = 0; i < events->size(); ++i)
    EXPECT_EQ((*events)[i]->hash, (*now)[i]->hash);
  EXPECT_LT(events->size(), store->LastPosition());  // appends went on after the copy
}

TEST(EventLineTest, ParsesWhatCanonicalJsonWrites) {
  Event e;
  e.run_id = "r_1";
  e.version = 7;
  e.position = 42;
  e.type = "step.completed";
  e.at = "2026-01-02T03:04:05.678Z";
  e.command_id = "run.next#abc";
  e.key = "k \"quoted\" \\ \n";
  e.data = R"({"text":"a, b } ] \" {","n":[1,{"x":null}],"u":"\u00e9"})";
  e.prev_hash = "00ff";
  e.hash = EventHash(e);
  auto back = tools::ParseEventLine(tools::EventLine(e));
  ASSERT_OK(back);
  EXPECT_EQ(CanonicalJson(*back, CanonicalForm::kFull), CanonicalJson(e, CanonicalForm::kFull));
  EXPECT_EQ(back->data, e.data);
  EXPECT_EQ(EventHash(*back), e.hash);
}

TEST(EventLineTest, RefusesBadLines) {
  for (const char* bad : {"", "[]", "{", R"({"run_id":"r","version":1,"type":"t"})",
                          R"({"run_id":"r","version":"1","type":"t","data":{}})",
                          R"({"run_id":"r","version":1,"type":"t","data":[1]})",
                          R"({"run_id":"r","version":1,"type":"t","data":{"a":}})",
                          R"({"run_id":"r","version":1,"type":"t","data":{}} x)"}) {
    EXPECT_EQ(tools::ParseEventLine(bad).status().code(), Code::kBadRequest) << bad;
  }
}

}  // namespace
}  // namespace forkline
