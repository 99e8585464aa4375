// One suite, every EventStore implementation: the promises of eventstore/event_store.h.
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

#include "eventstore/canonical.h"
#include "tests/eventstore/store_factory.h"
#include "tests/testutil/status_matchers.h"

namespace forkline::testing {
namespace {

class EventStoreConformance : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override { store_ = GetParam().make(dir_.path()); }

  std::vector<std::uint64_t> Versions(const std::string& run, std::uint64_t after = 0) {
    auto events = store_->ReadStream(run, after, 100000);
    EXPECT_OK(events);
    std::vector<std::uint64_t> v;
    if (events.ok()) {
      for (const auto& e : *events) v.push_back(e->version);
    }
    return v;
  }

  void AppendN(const std::string& run, int n) {
    auto info = store_->GetStream(run);
    std::uint64_t head = info.ok() ? info->head_version : 0;
    for (int i = 0; i < n; ++i) {
      ASSERT_OK(store_->Append(Req(run, head, {Ev("e", "{\"n\":" + std::to_string(head) + "}")})));
      ++head;
    }
  }

  TempDir dir_;
  std::unique_ptr<EventStore> store_;
};

TEST_P(EventStoreConformance, AppendNumbersVersionsAndPositions) {
  auto r = store_->Append(Req("a", 0, {Ev("x"), Ev("y")}));
  ASSERT_OK(r);
  ASSERT_EQ(r->events.size(), 2u);
  EXPECT_EQ(r->events[0]->version, 1u);
  EXPECT_EQ(r->events[1]->version, 2u);
  EXPECT_EQ(r->events[0]->position, 1u);
  EXPECT_EQ(r->events[1]->position, 2u);
  auto b = store_->Append(Req("b", 0, {Ev("z")}));
  ASSERT_OK(b);
  EXPECT_EQ(b->events[0]->version, 1u);
  EXPECT_EQ(b->events[0]->position, 3u);
  EXPECT_EQ(store_->LastPosition(), 3u);
  auto info = store_->GetStream("a");
  ASSERT_OK(info);
  EXPECT_EQ(info->head_version, 2u);
  EXPECT_FALSE(info->parent.has_value());
}

TEST_P(EventStoreConformance, ExpectedVersionMismatchIsConflict) {
  ASSERT_OK(store_->Append(Req("a", 0, {Ev("x")})));
  EXPECT_EQ(store_->Append(Req("a", 0, {Ev("x")})).status().code(), Code::kConflict);
  EXPECT_EQ(store_->Append(Req("a", 5, {Ev("x")})).status().code(), Code::kConflict);
  EXPECT_EQ(store_->Append(Req("missing", 3, {Ev("x")})).status().code(), Code::kNotFound);
  EXPECT_EQ(Versions("a"), (std::vector<std::uint64_t>{1}));
}

TEST_P(EventStoreConformance, CloseCommitsWhatIsQueuedAndRefusesLaterAppends) {
  constexpr int kQueued = 50;
  std::atomic<int> called{0}, ok{0};
  for (int i = 0; i < kQueued; ++i) {
    store_->AppendAsync(Req("q" + std::to_string(i), 0, {Ev("x")}),
                        [&](Result<AppendResult> r) {
                          if (r.ok()) ++ok;
                          ++called;
                        });
  }
  store_->Close();
  // Every callback has run by the time Close returns, and none runs after.
  EXPECT_EQ(called.load(), kQueued);
  EXPECT_EQ(ok.load(), kQueued);
  EXPECT_EQ(store_->Append(Req("later", 0, {Ev("x")})).status().code(), Code::kUnavailable);
  EXPECT_EQ(Versions("q49"), (std::vector<std::uint64_t>{1}));
  EXPECT_EQ(store_->GetStream("later").status().code(), Code::kNotFound);
  store_->Close();  // idempotent
}

TEST_P(EventStoreConformance, ConcurrentAppendersNeverShareAVersion) {
  ASSERT_OK(store_->Append(Req("hot", 0, {Ev("start")})));
  std::atomic<int> ok{0}, conflicts{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 40; ++i) {
        auto head = store_->GetStream("hot");
        if (!head.ok()) return;
        auto r = store_->Append(Req("hot", head->head_version, {Ev("w", "{\"t\":" + std::to_string(t) + "}")}));
        if (r.ok()) {
          ++ok;
        } else if (r.status().code() == Code::kConflict) {
          ++conflicts;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok + conflicts, 8 * 40);
  const auto versions = Versions("hot");
  ASSERT_EQ(versions.size(), static_cast<std::size_t>(ok) + 1);
  for (std::size_t i = 0; i < versions.size(); ++i) EXPECT_EQ(versions[i], i + 1);
}

TEST_P(EventStoreConformance, ForkReadsSourcePrefixAndNotLaterEvents) {
  AppendN("src", 5);
  ASSERT_OK(store_->Append(ForkReq("f", "src", 3, {Ev("run.forked")})));
  AppendN("src", 2);  // the source keeps growing; the fork must not see it
  AppendN("f", 1);
  auto events = store_->ReadStream("f", 0, 1000);
  ASSERT_OK(events);
  ASSERT_EQ(events->size(), 5u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ((*events)[i]->run_id, "src");
    EXPECT_EQ((*events)[i]->version, static_cast<std::uint64_t>(i + 1));
  }
  EXPECT_EQ((*events)[3]->run_id, "f");
  EXPECT_EQ((*events)[3]->version, 4u);
  EXPECT_EQ((*events)[3]->type, "run.forked");
  EXPECT_EQ((*events)[4]->version, 5u);
  auto info = store_->GetStream("f");
  ASSERT_OK(info);
  ASSERT_TRUE(info->parent.has_value());
  EXPECT_EQ(info->parent->source_run_id, "src");
  EXPECT_EQ(info->parent->source_version, 3u);
  EXPECT_EQ(Versions("src").size(), 7u);
}

TEST_P(EventStoreConformance, ForkOfForkAndPagedReads) {
  AppendN("a", 4);
  ASSERT_OK(store_->Append(ForkReq("b", "a", 2, {Ev("run.forked")})));  // b: a1 a2 b3
  AppendN("b", 2);                                                       // b4 b5
  ASSERT_OK(store_->Append(ForkReq("c", "b", 4, {Ev("run.forked")})));  // c: a1 a2 b3 b4 c5
  auto all = store_->ReadStream("c", 0, 100);
  ASSERT_OK(all);
  std::vector<std::string> owners;
  for (const auto& e : *all) owners.push_back(e->run_id + std::to_string(e->version));
  EXPECT_EQ(owners, (std::vector<std::string>{"a1", "a2", "b3", "b4", "c5"}));
  // Pages of two from every starting point give the same sequence.
  for (std::uint64_t after = 0; after < 5; ++after) {
    auto page = store_->ReadStream("c", after, 2);
    ASSERT_OK(page);
    ASSERT_EQ(page->size(), std::min<std::size_t>(2, 5 - after));
    EXPECT_EQ((*page)[0]->version, after + 1);
  }
}

TEST_P(EventStoreConformance, VisitStreamSeesWhatReadStreamReturns) {
  AppendN("a", 4);
  ASSERT_OK(store_->Append(ForkReq("b", "a", 2, {Ev("run.forked")})));  // b: a1 a2 b3
  AppendN("b", 2);                                                       // b4 b5
  for (std::uint64_t after = 0; after <= 5; ++after) {
    for (const std::size_t limit : {std::size_t{1}, std::size_t{2}, std::size_t{3}, SIZE_MAX}) {
      auto read = store_->ReadStream("b", after, limit);
      ASSERT_OK(read);
      std::vector<std::string> visited;
      ASSERT_OK(store_->VisitStream("b", after, limit, [&visited](const Event& e) {
        visited.push_back(CanonicalJson(e, CanonicalForm::kFull));
        return Status::Ok();
      }));
      std::vector<std::string> expected;
      for (const auto& e : *read) expected.push_back(CanonicalJson(*e, CanonicalForm::kFull));
      EXPECT_EQ(visited, expected) << "after " << after << ", limit " << limit;
    }
  }
  // The visitor's error stops the visit and comes back.
  int calls = 0;
  const Status stop = store_->VisitStream("b", 0, SIZE_MAX, [&calls](const Event&) {
    ++calls;
    return calls == 2 ? Status::Internal("stop here") : Status::Ok();
  });
  EXPECT_EQ(stop.code(), Code::kInternal);
  EXPECT_EQ(calls, 2);
  const Status missing = store_->VisitStream("nope", 0, SIZE_MAX, [](const Event&) { return Status::Ok(); });
  EXPECT_EQ(missing.code(), Code::kNotFound);
}

TEST_P(EventStoreConformance, ForkOfAForkInsideItsInheritedPrefix) {
  AppendN("s", 6);
  ASSERT_OK(store_->Append(ForkReq("f", "s", 5, {Ev("run.forked")})));  // f: s1..s5 f6
  ASSERT_OK(store_->Append(ForkReq("g", "f", 3, {Ev("run.forked")})));  // g: s1..s3 g4
  auto g = store_->ReadStream("g", 0, 100);
  ASSERT_OK(g);
  std::vector<std::string> owners;
  for (const auto& e : *g) owners.push_back(e->run_id + std::to_string(e->version));
  EXPECT_EQ(owners, (std::vector<std::string>{"s1", "s2", "s3", "g4"}));
  auto s = store_->ReadStream("s", 0, 100);
  ASSERT_OK(s);
  EXPECT_EQ((*g)[3]->prev_hash, (*s)[2]->hash);
}

TEST_P(EventStoreConformance, ForkAtVersionZeroHasOnlyItsOwnEvents) {
  AppendN("a", 3);
  ASSERT_OK(store_->Append(ForkReq("z", "a", 0, {Ev("run.forked")})));
  EXPECT_EQ(Versions("z"), (std::vector<std::uint64_t>{1}));
  auto events = store_->ReadStream("z", 0, 10);
  ASSERT_OK(events);
  EXPECT_TRUE((*events)[0]->prev_hash.empty());
}

TEST_P(EventStoreConformance, BadForksAreRefused) {
  AppendN("a", 2);
  EXPECT_EQ(store_->Append(ForkReq("f", "nope", 1, {Ev("x")})).status().code(), Code::kNotFound);
  EXPECT_EQ(store_->Append(ForkReq("f", "a", 3, {Ev("x")})).status().code(), Code::kNotFound);
  EXPECT_EQ(store_->Append(ForkReq("a", "a", 1, {Ev("x")})).status().code(), Code::kBadRequest);
  ASSERT_OK(store_->Append(ForkReq("f", "a", 1, {Ev("x")})));
  EXPECT_EQ(store_->Append(ForkReq("f", "a", 1, {Ev("x")})).status().code(), Code::kConflict);
}

TEST_P(EventStoreConformance, GlobalOrderIsContiguousAndHoldsOwnEventsOnly) {
  AppendN("a", 3);
  ASSERT_OK(store_->Append(ForkReq("f", "a", 2, {Ev("run.forked")})));
  AppendN("b", 2);
  auto all = store_->ReadAll(0, 1000);
  ASSERT_OK(all);
  ASSERT_EQ(all->size(), 6u);
  for (std::size_t i = 0; i < all->size(); ++i) EXPECT_EQ((*all)[i]->position, i + 1);
  EXPECT_EQ((*all)[3]->run_id, "f");
  auto tail = store_->ReadAll(4, 1000);
  ASSERT_OK(tail);
  ASSERT_EQ(tail->size(), 2u);
  EXPECT_EQ((*tail)[0]->position, 5u);
}

TEST_P(EventStoreConformance, HashChainLinksEveryEventAndForks) {
  AppendN("a", 4);
  ASSERT_OK(store_->Append(ForkReq("f", "a", 2, {Ev("run.forked"), Ev("step.started")})));
  auto a = store_->ReadStream("a", 0, 100);
  auto f = store_->ReadStream("f", 0, 100);
  ASSERT_OK(a);
  ASSERT_OK(f);
  for (const EventList* list : {&a.value(), &f.value()}) {
    std::string prev;
    for (const auto& e : *list) {
      EXPECT_EQ(e->prev_hash, prev) << e->run_id << "/" << e->version;
      EXPECT_EQ(e->hash, EventHash(*e));
      prev = e->hash;
    }
  }
  EXPECT_EQ((*f)[2]->prev_hash, (*a)[1]->hash);
}

TEST_P(EventStoreConformance, OversizedEventIsTooLarge) {
  auto r = store_->Append(Req("a", 0, {Ev("x", "\"" + std::string(17u << 20, 'x') + "\"")}));
  EXPECT_EQ(r.status().code(), Code::kTooLarge);
  EXPECT_EQ(store_->GetStream("a").status().code(), Code::kNotFound);
}

TEST_P(EventStoreConformance, ListenersSeeEventsInPositionOrderAfterAck) {
  std::mutex mu;
  std::vector<std::uint64_t> seen;
  const auto id = store_->Subscribe([&](const EventList& events) {
    std::lock_guard lock(mu);
    for (const auto& e : events) seen.push_back(e->position);
  });
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] { AppendN("r" + std::to_string(t), 10); });
  }
  for (auto& th : threads) th.join();
  store_->Unsubscribe(id);
  AppendN("after", 1);
  std::lock_guard lock(mu);
  ASSERT_EQ(seen.size(), 40u);
  for (std::size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i], i + 1);
}

TEST_P(EventStoreConformance, ListStreamsNamesEveryRun) {
  AppendN("a", 1);
  AppendN("b", 2);
  ASSERT_OK(store_->Append(ForkReq("c", "b", 1, {Ev("run.forked")})));
  auto streams = store_->ListStreams();
  ASSERT_OK(streams);
  std::set<std::string> names;
  for (const auto& s : *streams) names.insert(s.run_id);
  EXPECT_EQ(names, (std::set<std::string>{"a", "b", "c"}));
}

// Each test binary that compiles this suite names its backends (ConformanceBackends).
INSTANTIATE_TEST_SUITE_P(Stores, EventStoreConformance, ::testing::ValuesIn(ConformanceBackends()),
                         [](const ::testing::TestParamInfo<Backend>& p) { return p.param.name; });

}  // namespace
}  // namespace forkline::testing
