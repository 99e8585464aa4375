// What the PostgreSQL store promises beyond the conformance suite: migrations, several
// store objects (= nodes) on one schema, a gap-free global order under racing writers,
// and commits whose connection breaks.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "eventstore/postgres/pg_common.h"
#include "tests/eventstore/pg_test_server.h"
#include "tests/eventstore/store_factory.h"
#include "tests/testutil/status_matchers.h"

#include <pqxx/pqxx>

namespace forkline::testing {
namespace {

// Sessions get libpq network timeouts unless the URL sets its own (a silent partition
// must fail a call in seconds).
TEST(PostgresStore, UrlsGetNetworkTimeoutsTheyDoNotSetThemselves) {
  EXPECT_EQ(pg::WithNetworkDefaults("postgresql://u@h:5/db"),
            "postgresql://u@h:5/db?connect_timeout=5&keepalives=1&keepalives_idle=5"
            "&keepalives_interval=2&keepalives_count=3&tcp_user_timeout=5000");
  EXPECT_EQ(pg::WithNetworkDefaults("postgres://h/db?keepalives=0&connect_timeout=9&tcp_user_timeout=1"),
            "postgres://h/db?keepalives=0&connect_timeout=9&tcp_user_timeout=1&keepalives_idle=5"
            "&keepalives_interval=2&keepalives_count=3");
  EXPECT_EQ(pg::WithNetworkDefaults("host=h dbname=d connect_timeout=2"),
            "host=h dbname=d connect_timeout=2 keepalives=1 keepalives_idle=5 keepalives_interval=2"
            " keepalives_count=3 tcp_user_timeout=5000");
  // A key inside another value is not the key.
  EXPECT_NE(pg::WithNetworkDefaults("host=h application_name=xconnect_timeout=1")
                .find(" connect_timeout=5"),
            std::string::npos);
}

std::unique_ptr<EventStore> Open(const PostgresStoreOptions& o) {
  auto s = OpenPostgresEventStore(o);
  if (!s.ok()) throw std::runtime_error(s.status().ToString());
  return std::move(s).value();
}

// Runs one SQL statement on its own session and returns the first column of the first row.
std::string Sql(const std::string& query) {
  pqxx::connection c(PgTestUrl());
  pqxx::work txn(c);
  auto rows = txn.exec(query);
  txn.commit();
  return rows.empty() || rows[0][0].is_null() ? "" : rows[0][0].as<std::string>();
}

TEST(PostgresStore, ReopenKeepsEventsAndMigratesOnce) {
  const PostgresStoreOptions o = FreshPgOptions();
  {
    auto store = Open(o);
    ASSERT_OK(store->Append(Req("a", 0, {Ev("x"), Ev("y")})));
  }
  auto store = Open(o);
  auto events = store->ReadStream("a", 0, 10);
  ASSERT_OK(events);
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ(store->LastPosition(), 2u);
  ASSERT_OK(store->Append(Req("a", 2, {Ev("z")})));
  EXPECT_EQ(Sql("SELECT count(*) FROM " + o.schema + ".migrations"), "2");
}

TEST(PostgresStore, NewerSchemaIsRefused) {
  const PostgresStoreOptions o = FreshPgOptions();
  Open(o).reset();
  Sql("INSERT INTO " + o.schema + ".migrations (version) VALUES (999)");
  auto store = OpenPostgresEventStore(o);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), Code::kUnavailable);
  EXPECT_NE(store.status().message().find("version 999"), std::string::npos)
      << store.status().ToString();
}

TEST(PostgresStore, UnreachableServerIsUnavailable) {
  PostgresStoreOptions o;
  o.url = "postgresql://postgres@127.0.0.1:1/postgres?connect_timeout=5";
  auto store = OpenPostgresEventStore(o);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), Code::kUnavailable) << store.status().ToString();
  o.url = "";
  EXPECT_EQ(OpenPostgresEventStore(o).status().code(), Code::kBadRequest);
}

TEST(PostgresStore, TextThatPostgresCannotHoldIsBadRequest) {
  auto store = Open(FreshPgOptions());
  EXPECT_EQ(store->Append(Req("a", 0, {Ev("x", "{\"s\":\"\xff\"}")})).status().code(),
            Code::kBadRequest);
  EXPECT_EQ(store->Append(Req("a", 0, {Ev(std::string("t\0u", 3))})).status().code(),
            Code::kBadRequest);
  ASSERT_OK(
      store->Append(Req("a", 0, {Ev("x", "{\"s\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"}")})));
  auto events = store->ReadStream("a", 0, 10);
  ASSERT_OK(events);
  EXPECT_EQ((*events)[0]->data, "{\"s\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"}");
}

TEST(PostgresStore, NodesShareOneLog) {
  const PostgresStoreOptions o = FreshPgOptions();
  auto a = Open(o);
  auto b = Open(o);
  ASSERT_OK(a->Append(Req("r", 0, {Ev("x"), Ev("y")})));
  auto head = b->GetStream("r");
  ASSERT_OK(head);
  EXPECT_EQ(head->head_version, 2u);
  EXPECT_EQ(b->Append(Req("r", 1, {Ev("stale")})).status().code(), Code::kConflict);
  ASSERT_OK(b->Append(ForkReq("f", "r", 1, {Ev("run.forked")})));
  ASSERT_OK(a->Append(Req("r", 2, {Ev("z")})));
  auto f = a->ReadStream("f", 0, 10);
  ASSERT_OK(f);
  ASSERT_EQ(f->size(), 2u);
  EXPECT_EQ((*f)[0]->run_id, "r");
  EXPECT_EQ((*f)[1]->prev_hash, (*f)[0]->hash);
  EXPECT_EQ(b->LastPosition(), 4u);
}

// Many writers on several store objects (several sessions, as several nodes would be)
// race; a reader tails ReadAll by position and must see every position, in order, once.
TEST(PostgresStore, TailingReaderMissesNothingWhileWritersRace) {
  const PostgresStoreOptions o = FreshPgOptions();
  constexpr int kNodes = 4, kThreadsPerNode = 4, kAppends = 20;
  std::vector<std::unique_ptr<EventStore>> nodes;
  for (int n = 0; n < kNodes; ++n)
    nodes.push_back(Open(o));
  auto reader = Open(o);

  std::mutex mu;
  std::map<std::uint64_t, std::string> acked;  // position -> run/version
  std::atomic<int> writers_left{kNodes * kThreadsPerNode};
  std::vector<std::thread> writers;
  for (int n = 0; n < kNodes; ++n) {
    for (int t = 0; t < kThreadsPerNode; ++t) {
      writers.emplace_back([&, n, t] {
        const std::string run = "r" + std::to_string(n) + "_" + std::to_string(t);
        std::uint64_t head = 0;
        for (int i = 0; i < kAppends; ++i) {
          std::vector<NewEvent> events{Ev("e")};
          if (i % 3 == 0) events.push_back(Ev("e2"));
          auto r = nodes[n]->Append(Req(run, head, events));
          if (!r.ok()) {
            ADD_FAILURE() << r.status().ToString();
            break;
          }
          std::lock_guard lock(mu);
          for (const auto& e : r->events)
            acked[e->position] = e->run_id + "/" + std::to_string(e->version);
          head = r->events.back()->version;
        }
        --writers_left;
      });
    }
  }
  std::vector<EventPtr> seen;
  std::uint64_t last = 0;
  for (bool done = false; !done;) {
    done = writers_left.load() == 0;  // read once more after the last writer finished
    for (;;) {
      auto page = reader->ReadAll(last, 64);
      ASSERT_OK(page);
      if (page->empty()) break;
      for (const auto& e : *page) {
        ASSERT_EQ(e->position, last + 1) << "the reader skipped a position";
        last = e->position;
        seen.push_back(e);
      }
    }
  }
  for (auto& w : writers)
    w.join();
  ASSERT_EQ(seen.size(), acked.size());
  for (const auto& e : seen) {
    EXPECT_EQ(acked[e->position], e->run_id + "/" + std::to_string(e->version));
  }
  EXPECT_EQ(reader->LastPosition(), last);
}

// With deliver_all_nodes, a node's listeners get every node's events once, in order;
// when its own append is acknowledged, they have seen everything before it.
TEST(PostgresStore, ListenersSeeOtherNodesEventsInOrder) {
  PostgresStoreOptions o = FreshPgOptions();
  auto other = Open(o);
  o.deliver_all_nodes = true;
  auto node = Open(o);
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::uint64_t> seen;
  node->Subscribe([&](const EventList& events) {
    std::lock_guard lock(mu);
    for (const auto& e : events)
      seen.push_back(e->position);
    cv.notify_all();
  });
  std::thread elsewhere([&] {
    for (int i = 0; i < 30; ++i)
      ASSERT_OK(other->Append(Req("o" + std::to_string(i), 0, {Ev("x"), Ev("y")})));
  });
  for (int i = 0; i < 10; ++i) {
    auto r = node->Append(Req("n" + std::to_string(i), 0, {Ev("x")}));
    ASSERT_OK(r);
    std::lock_guard lock(mu);
    ASSERT_FALSE(seen.empty());
    EXPECT_GE(seen.back(), r->events.back()->position)
        << "acknowledged before its listeners saw it";
  }
  elsewhere.join();
  std::unique_lock lock(mu);
  ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(30), [&] { return seen.size() >= 70; }))
      << "saw " << seen.size() << " of 70 events";
  ASSERT_EQ(seen.size(), 70u);
  for (std::size_t i = 0; i < seen.size(); ++i)
    EXPECT_EQ(seen[i], i + 1);
}

TEST(PostgresStore, LostCommitReplyIsSettledByReadBackNotRetried) {
  PostgresStoreOptions o = FreshPgOptions();
  std::atomic<int> lose{1};
  o.lose_commit_reply = [&] { return lose.exchange(0) == 1; };
  auto store = Open(o);
  auto r = store->Append(Req("a", 0, {Ev("x"), Ev("y")}));
  ASSERT_OK(r);
  EXPECT_EQ(r->events.back()->position, 2u);
  auto events = store->ReadAll(0, 10);
  ASSERT_OK(events);
  EXPECT_EQ(events->size(), 2u);  // stored once
  ASSERT_OK(store->Append(Req("a", 2, {Ev("z")})));
  EXPECT_OK(store->Health());
}

TEST(PostgresStore, ConnectionLostBeforeCommitWritesNothingAndTheStoreRecovers) {
  PostgresStoreOptions o = FreshPgOptions();
  std::atomic<int> kill{1};
  o.before_commit = [&](int pid) {
    if (kill.exchange(0) == 1) {
      // Waits (up to 10 s) until the writer's session is gone.
      Sql("SELECT pg_terminate_backend(" + std::to_string(pid) + ", 10000)");
    }
  };
  auto store = Open(o);
  auto r = store->Append(Req("a", 0, {Ev("x")}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kUnavailable) << r.status().ToString();
  EXPECT_EQ(store->GetStream("a").status().code(), Code::kNotFound);
  ASSERT_OK(store->Append(Req("a", 0, {Ev("x")})));
  EXPECT_EQ(store->LastPosition(), 1u);
  EXPECT_OK(store->Health());
}

TEST(PostgresStore, WriterSessionKilledWhileIdleIsReplacedWithoutFailingAnAppend) {
  PostgresStoreOptions o = FreshPgOptions();
  std::atomic<int> writer_pid{0};
  o.before_commit = [&](int pid) { writer_pid = pid; };
  auto store = Open(o);
  ASSERT_OK(store->Append(Req("a", 0, {Ev("x")})));
  ASSERT_NE(writer_pid.load(), 0);
  EXPECT_EQ(Sql("SELECT pg_terminate_backend(" + std::to_string(writer_pid.load()) + ", 10000)"),
            "t");
  ASSERT_OK(store->Append(Req("a", 1, {Ev("y")})));
  EXPECT_NE(writer_pid.load(), 0);
  auto events = store->ReadStream("a", 0, 10);
  ASSERT_OK(events);
  EXPECT_EQ(events->size(), 2u);
}

}  // namespace
}  // namespace forkline::testing
