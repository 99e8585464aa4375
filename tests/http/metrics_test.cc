// The metrics registry and its Prometheus text.

#include "daemon/metrics/metrics.h"

#include "daemon/metrics/metered_handler.h"
#include "tests/http/fake_command_handler.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace forkline {
namespace {

TEST(MetricsTest, CountersGaugesHistogramsRender) {
  Registry r;
  auto& c = r.AddCounter("t_total", "A \"help\"\nline.", {"cmd", "outcome"});
  c.With({"run.get", "ok"}).Inc();
  c.With({"run.get", "ok"}).Inc(2);
  c.With({"we\"ird\\", "x\ny"}).Inc();
  r.AddGauge("t_gauge", "G.").With({}).Set(-4);
  auto& h = r.AddHistogram("t_seconds", "H.", {0.1, 1});
  h.With({}).Observe(0.05);
  h.With({}).Observe(0.5);
  h.With({}).Observe(7);
  EXPECT_EQ(r.Render(),
            "# HELP t_total A \"help\"\\nline.\n"
            "# TYPE t_total counter\n"
            "t_total{cmd=\"run.get\",outcome=\"ok\"} 3\n"
            "t_total{cmd=\"we\\\"ird\\\\\",outcome=\"x\\ny\"} 1\n"
            "# HELP t_gauge G.\n# TYPE t_gauge gauge\nt_gauge -4\n"
            "# HELP t_seconds H.\n# TYPE t_seconds histogram\n"
            "t_seconds_bucket{le=\"0.1\"} 1\n"
            "t_seconds_bucket{le=\"1\"} 2\n"
            "t_seconds_bucket{le=\"+Inf\"} 3\n"
            "t_seconds_sum 7.55\n"
            "t_seconds_count 3\n");
}

TEST(MetricsTest, ConcurrentIncrementsAreAllCounted) {
  Registry r;
  auto& c = r.AddCounter("c_total", "C.", {"k"});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&c, t] {
      for (int i = 0; i < 10000; ++i) c.With({i % 2 ? "odd" : "even"}).Inc();
      c.With({std::to_string(t)}).Inc();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(c.With({"odd"}).Value() + c.With({"even"}).Value(), 40000u);
  EXPECT_EQ(c.With({"3"}).Value(), 1u);
}

TEST(MetricsTest, TooManyLabelSetsGoToOther) {
  Registry r;
  auto& c = r.AddCounter("m_total", "M.", {"k"});
  for (std::size_t i = 0; i < FamilyBase::kMaxSeries + 10; ++i) c.With({std::to_string(i)}).Inc();
  EXPECT_EQ(c.With({"other"}).Value(), 10u);
}

TEST(MetricsTest, ForklineNames) {
  Metrics m;
  m.CommandDone("run.next", "ok", 0.002);
  m.StepDone("completed", 1.5);
  m.EventsAppended(3);
  m.StoreSynced(0.0004);
  m.SseSubscriberAdded();
  const std::string text = m.RenderPrometheus();
  for (const char* needle :
       {"forkline_commands_total{cmd=\"run.next\",outcome=\"ok\"} 1",
        "forkline_command_seconds_bucket{cmd=\"run.next\",le=\"0.0025\"} 1",
        "forkline_steps_total{outcome=\"completed\"} 1", "forkline_step_seconds_count 1",
        "forkline_sse_subscribers 1", "forkline_events_appended_total 3",
        "forkline_store_sync_seconds_bucket{le=\"0.0005\"} 1"}) {
    EXPECT_NE(text.find(needle), std::string::npos) << needle << "\n" << text;
  }
  EXPECT_EQ(&GlobalMetrics(), &GlobalMetrics());
}

TEST(MetricsTest, MeteredHandlerCountsOutcomes) {
  Metrics m;
  testing::FakeCommandHandler inner;
  inner.SetReply("run.get", Status::NotFound("no run"));
  MeteredCommandHandler handler(inner, m);
  int replies = 0;
  for (const char* cmd : {"run.get", "run.create", "bogus.cmd"}) {
    handler.Handle(CommandRequest{"1", cmd, {}, "", "http"}, [&](CommandReply) { ++replies; });
  }
  EXPECT_EQ(replies, 3);
  const std::string text = m.RenderPrometheus();
  for (const char* needle :
       {"forkline_commands_total{cmd=\"run.get\",outcome=\"not_found\"} 1",
        "forkline_commands_total{cmd=\"run.create\",outcome=\"ok\"} 1",
        "forkline_commands_total{cmd=\"unknown\",outcome=\"ok\"} 1",
        "forkline_command_seconds_count{cmd=\"run.get\"} 1"}) {
    EXPECT_NE(text.find(needle), std::string::npos) << needle << "\n" << text;
  }
}

}  // namespace
}  // namespace forkline
