// A real forklined driven over ZeroMQ from C++: every command of DESIGN §4 through the
// client library's CommandClient (DEALER), the SSE client reading a run to its end, a
// kill -9 and restart on the same data folder, and 50 concurrent raw DEALER clients
// stepping 50 runs to completion with no lost or doubled reply.

#include <gtest/gtest.h>

#include <atomic>
#include <boost/json.hpp>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>
#include <zmq.hpp>

#include "clients/lib/command_client.h"
#include "clients/lib/sse_client.h"
#include "tests/testutil/daemon_fixture.h"
#include "tests/testutil/status_matchers.h"

namespace forkline {
namespace {

namespace json = boost::json;
using client::CommandClient;
using client::CommandClientOptions;
using testing::TestDaemon;
using testing::TestDaemonOptions;

constexpr const char* kNovel =
    "CHAPTER I.\n\nAlice was beginning to get very tired of sitting by her sister.\n"
    "\"Oh dear! Oh dear! I shall be late!\" said the White Rabbit.\n\n"
    "CHAPTER II.\n\n\"Who are you?\" said the Caterpillar.\n"
    "\"I hardly know, sir,\" said Alice.\n";

constexpr const char* kQuickWorkflow = R"(
kind = "quick"
description = "three instant steps"
[[steps]]
name = "a"
executor = "exec"
argv = ["/bin/sh", "-c", "cat >/dev/null; echo '{\"a\": 1}'"]
[[steps]]
name = "b"
executor = "exec"
argv = ["/bin/sh", "-c", "cat >/dev/null; echo '{\"b\": 2}'"]
[[steps]]
name = "c"
executor = "exec"
argv = ["/bin/sh", "-c", "cat >/dev/null; echo '{\"c\": 3}'"]
)";

// Fails (one attempt: the run fails) until @DIR@/flag exists.
constexpr const char* kFlakyWorkflow = R"(
kind = "flaky"
description = "fails until a flag file exists"
[[steps]]
name = "once"
executor = "exec"
argv = ["/bin/sh", "-c", "cat >/dev/null; if [ -e '@DIR@/flag' ]; then echo '{}'; else echo boom >&2; exit 3; fi"]
)";

// Waits until @DIR@/gate exists.
constexpr const char* kGatedWorkflow = R"(
kind = "gated"
description = "waits for a gate file"
[[steps]]
name = "wait"
executor = "exec"
timeout_s = 300
argv = ["/bin/sh", "-c", "cat >/dev/null; while [ ! -e '@DIR@/gate' ]; do sleep 0.02; done; echo '{}'"]
[[steps]]
name = "done"
executor = "exec"
argv = ["/bin/sh", "-c", "cat >/dev/null; echo '{}'"]
)";

const json::object& Obj(const json::value& v) { return v.as_object(); }
std::string Str(const json::object& o, const char* key) {
  return std::string(o.at(key).as_string());
}

// Checks the run JSON of DESIGN §4 (with steps when `full`).
void ExpectRunShape(const json::object& run, bool full = true) {
  for (const char* key : {"id", "kind", "title", "status", "cursor", "total_steps", "autorun",
                          "version", "created_at", "updated_at", "parent"}) {
    EXPECT_TRUE(run.contains(key)) << key << " missing in " << json::serialize(run);
  }
  EXPECT_EQ(run.contains("steps"), full) << json::serialize(run);
  EXPECT_EQ(run.contains("input"), full) << json::serialize(run);
  if (!full || !run.contains("steps")) return;
  const json::array& steps = run.at("steps").as_array();
  ASSERT_EQ(static_cast<std::int64_t>(steps.size()), run.at("total_steps").as_int64());
  std::int64_t completed = 0;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const json::object& s = Obj(steps[i]);
    for (const char* key : {"index", "name", "status", "attempt", "executor"}) {
      EXPECT_TRUE(s.contains(key)) << key << " missing in step " << json::serialize(s);
    }
    EXPECT_EQ(s.at("index").as_int64(), static_cast<std::int64_t>(i));
    if (s.at("status") == "completed") {
      ++completed;
      EXPECT_TRUE(s.at("output").is_object()) << json::serialize(s);
    }
  }
  EXPECT_EQ(completed, run.at("cursor").as_int64()) << json::serialize(run);
}

class DaemonZmqTest : public ::testing::Test {
 protected:
  void SetUp() override {
    TestDaemonOptions options;
    options.workflows = {{"quick", kQuickWorkflow},
                         {"flaky", kFlakyWorkflow},
                         {"gated", kGatedWorkflow}};
    options.extra_toml = "[engine]\nmax_concurrent_steps = 8\n";
    daemon_ = std::make_unique<TestDaemon>(options);
    ASSERT_OK(daemon_->Start());
    client_ = NewClient();
  }
  void TearDown() override {
    if (HasFailure() && daemon_) std::cerr << "forklined log:\n" << daemon_->LogTail();
  }

  std::unique_ptr<CommandClient> NewClient() {
    CommandClientOptions o;
    o.endpoint = daemon_->zmq_endpoint();
    o.timeout = std::chrono::seconds(120);
    return std::make_unique<CommandClient>(o);
  }
  json::object Ok(std::string_view cmd, json::object args = {}, std::string_view key = {}) {
    Result<json::object> r = client_->Call(cmd, std::move(args), key);
    EXPECT_TRUE(r.ok()) << cmd << ": " << r.status().ToString();
    return r.ok() ? std::move(r).value() : json::object();
  }
  Code Err(std::string_view cmd, json::object args = {}) {
    Result<json::object> r = client_->Call(cmd, std::move(args));
    EXPECT_FALSE(r.ok()) << cmd << " was accepted: " << json::serialize(r.value());
    EXPECT_FALSE(client_->transport_failed()) << cmd;
    return r.ok() ? Code::kOk : r.status().code();
  }
  json::object Create(std::string_view kind, json::object input = {}) {
    return Ok("run.create", {{"kind", kind}, {"input", std::move(input)}})["run"].as_object();
  }
  json::object Get(const std::string& id) {
    return Ok("run.get", {{"run_id", id}})["run"].as_object();
  }
  // Polls run.get until `pred` holds (the deadline only guards against a hang).
  template <typename Pred>
  json::object WaitRun(const std::string& id, Pred pred) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    json::object run = Get(id);
    while (!pred(run) && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      run = Get(id);
    }
    EXPECT_TRUE(pred(run)) << json::serialize(run);
    return run;
  }

  std::unique_ptr<TestDaemon> daemon_;
  std::unique_ptr<CommandClient> client_;
};

TEST_F(DaemonZmqTest, WorkflowsListAndHealth) {
  json::object wl = Ok("workflows.list");
  std::set<std::string> kinds;
  for (const json::value& w : wl.at("workflows").as_array()) {
    const json::object& o = Obj(w);
    kinds.insert(Str(o, "kind"));
    EXPECT_TRUE(o.at("description").is_string());
    for (const json::value& s : o.at("steps").as_array()) {
      EXPECT_TRUE(Obj(s).at("name").is_string());
      EXPECT_TRUE(Obj(s).at("executor").is_string());
    }
    if (o.at("kind") == "novel_to_script") {
      EXPECT_EQ(o.at("steps").as_array().size(), 5u);
    }
  }
  EXPECT_EQ(kinds, (std::set<std::string>{"novel_to_script", "quick", "flaky", "gated"}));

  json::object h = Ok("system.health");
  EXPECT_EQ(h.at("ok"), true);
  EXPECT_TRUE(h.at("version").is_string());
  EXPECT_EQ(h.at("store"), "rocksdb");
  EXPECT_TRUE(h.at("uptime_s").is_number());
  EXPECT_EQ(h.at("runs").to_number<std::int64_t>(), 0);
  EXPECT_EQ(h.at("events").to_number<std::int64_t>(), 0);
  Create("quick");
  json::object h2 = Ok("system.health");
  EXPECT_EQ(h2.at("runs").to_number<std::int64_t>(), 1);
  EXPECT_EQ(h2.at("events").to_number<std::int64_t>(), 1);
}

TEST_F(DaemonZmqTest, CreateNextGetListEvents) {
  json::object run = Ok("run.create", {{"kind", "novel_to_script"},
                                       {"input", {{"text", kNovel}}},
                                       {"title", "Small"}})["run"]
                         .as_object();
  ExpectRunShape(run);
  const std::string id = Str(run, "id");
  EXPECT_EQ(run.at("status"), "queued");
  EXPECT_EQ(run.at("version"), 1);
  EXPECT_EQ(run.at("total_steps"), 5);
  EXPECT_TRUE(run.at("parent").is_null());
  EXPECT_EQ(Get(id), run);

  for (int i = 0; i < 5; ++i) {
    json::object r = Ok("run.next", {{"run_id", id}});
    const json::object& step = r.at("step").as_object();
    const json::object& now = r.at("run").as_object();
    ExpectRunShape(now);
    EXPECT_EQ(step.at("index"), i);
    EXPECT_EQ(step.at("status"), "completed");
    EXPECT_EQ(now.at("cursor"), i + 1);
  }
  json::object done = Get(id);
  EXPECT_EQ(done.at("status"), "completed");
  const json::object& assemble = done.at("steps").as_array()[4].as_object();
  EXPECT_FALSE(assemble.at("output").at("fountain").as_string().empty());
  EXPECT_EQ(Err("run.next", {{"run_id", id}}), Code::kConflict);

  json::object list = Ok("run.list", {{"kind", "novel_to_script"}, {"status", "completed"}});
  ASSERT_EQ(list.at("runs").as_array().size(), 1u);
  ExpectRunShape(list.at("runs").as_array()[0].as_object(), /*full=*/false);
  EXPECT_TRUE(list.contains("next"));

  json::object events = Ok("run.events", {{"run_id", id}});
  const json::array& evs = events.at("events").as_array();
  ASSERT_EQ(evs.size(), 12u);  // created, 5 x (started, completed), run.completed
  for (std::size_t i = 0; i < evs.size(); ++i) {
    const json::object& e = Obj(evs[i]);
    EXPECT_EQ(e.at("version"), static_cast<std::int64_t>(i + 1));
    for (const char* key : {"run_id", "position", "type", "at", "data", "prev_hash", "hash"}) {
      EXPECT_TRUE(e.contains(key)) << key;
    }
  }
  EXPECT_EQ(Obj(evs.back()).at("type"), "run.completed");
  json::object page = Ok("run.events", {{"run_id", id}, {"after", 10}, {"limit", 1}});
  ASSERT_EQ(page.at("events").as_array().size(), 1u);
  EXPECT_EQ(Obj(page.at("events").as_array()[0]).at("version"), 11);
}

TEST_F(DaemonZmqTest, PauseResumeAutorunCancel) {
  std::ofstream(daemon_->dir() + "/gate").close();  // gated steps end at once here
  json::object run = Create("gated");
  const std::string id = Str(run, "id");
  EXPECT_EQ(Ok("run.pause", {{"run_id", id}})["run"].at("status"), "paused");
  EXPECT_EQ(Err("run.next", {{"run_id", id}}), Code::kConflict);
  EXPECT_EQ(Ok("run.resume", {{"run_id", id}})["run"].at("status"), "running");
  json::object on = Ok("run.autorun", {{"run_id", id}, {"enabled", true}})["run"].as_object();
  EXPECT_EQ(on.at("autorun"), true);
  WaitRun(id, [](const json::object& r) { return r.at("status") == "completed"; });

  json::object other = Create("quick");
  const std::string oid = Str(other, "id");
  Ok("run.next", {{"run_id", oid}});
  json::object canceled = Ok("run.cancel", {{"run_id", oid}})["run"].as_object();
  ExpectRunShape(canceled);
  EXPECT_EQ(canceled.at("status"), "canceled");
  EXPECT_EQ(canceled.at("cursor"), 1);
  EXPECT_EQ(Err("run.resume", {{"run_id", oid}}), Code::kConflict);
}

TEST_F(DaemonZmqTest, Retry) {
  const std::string id = Str(Create("flaky"), "id");
  json::object r = Ok("run.next", {{"run_id", id}});
  EXPECT_EQ(r.at("step").at("status"), "failed");
  EXPECT_EQ(r.at("run").at("status"), "failed");
  std::ofstream(daemon_->dir() + "/flag").close();
  EXPECT_EQ(Ok("run.retry", {{"run_id", id}})["run"].at("status"), "running");
  r = Ok("run.next", {{"run_id", id}});
  EXPECT_EQ(r.at("step").at("attempt"), 2);
  EXPECT_EQ(r.at("run").at("status"), "completed");
}

TEST_F(DaemonZmqTest, ForkAndLineage) {
  const std::string id = Str(Create("quick"), "id");
  for (int i = 0; i < 3; ++i) Ok("run.next", {{"run_id", id}});
  json::object fork = Ok("run.fork", {{"run_id", id}, {"at", 2}})["run"].as_object();
  ExpectRunShape(fork);
  EXPECT_EQ(fork.at("cursor"), 2);
  EXPECT_EQ(fork.at("status"), "queued");
  EXPECT_EQ(Str(fork.at("parent").as_object(), "run_id"), id);
  EXPECT_EQ(fork.at("parent").at("at"), 2);
  const std::string fid = Str(fork, "id");
  json::object ff = Ok("run.fork", {{"run_id", fid}, {"at", 1}})["run"].as_object();
  json::object lineage = Ok("run.lineage", {{"run_id", Str(ff, "id")}});
  EXPECT_EQ(Str(lineage, "root"), id);
  std::set<std::string> ids;
  for (const json::value& v : lineage.at("runs").as_array()) {
    const json::object& o = Obj(v);
    for (const char* key : {"run_id", "parent_run_id", "at", "status"}) {
      EXPECT_TRUE(o.contains(key)) << key;
    }
    ids.insert(Str(o, "run_id"));
  }
  EXPECT_EQ(ids, (std::set<std::string>{id, fid, Str(ff, "id")}));
  json::object evs = Ok("run.events", {{"run_id", fid}});
  const json::array& list = evs.at("events").as_array();
  const std::int64_t source_version = fork.at("parent").at("version").as_int64();
  ASSERT_GT(static_cast<std::int64_t>(list.size()), source_version);
  EXPECT_EQ(Obj(list[static_cast<std::size_t>(source_version)]).at("type"), "run.forked");
}

TEST_F(DaemonZmqTest, ErrorsCarryTheirCodes) {
  EXPECT_EQ(Err("run.get", {{"run_id", "r_missing"}}), Code::kNotFound);
  EXPECT_EQ(Err("run.get"), Code::kBadRequest);
  EXPECT_EQ(Err("no.such.cmd"), Code::kBadRequest);
  // limit 0 while runs exist once crashed forklined (RunRegistry::List took back() of an
  // empty page); it is refused now, and the daemon goes on.
  Create("quick");
  EXPECT_EQ(Err("run.list", {{"limit", 0}}), Code::kBadRequest);
  EXPECT_EQ(Ok("system.health").at("ok"), true);
  EXPECT_EQ(Err("run.create", {{"kind", "quick"}, {"input", 3}}), Code::kBadRequest);
  json::object a = Ok("run.create", {{"kind", "quick"}, {"input", json::object()}}, "key-1");
  json::object b = Ok("run.create", {{"kind", "quick"}, {"input", json::object()}}, "key-1");
  EXPECT_EQ(a.at("run").at("id"), b.at("run").at("id"));
  Result<json::object> c = client_->Call(
      "run.create", {{"kind", "quick"}, {"input", {{"other", true}}}}, "key-1");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Code::kConflict);
}

TEST_F(DaemonZmqTest, SseClientReadsARunToItsEnd) {
  const std::string id = Str(Create("quick"), "id");
  Ok("run.autorun", {{"run_id", id}, {"enabled", true}});
  client::SseClientOptions o;
  o.port = std::to_string(daemon_->http_port());
  o.target = "/v1/runs/" + id + "/events?until=terminal";
  o.reconnect = false;
  client::SseClient sse(o);
  std::vector<std::string> ids;
  std::vector<std::string> types;
  ASSERT_OK(sse.Run([&](const client::SseEvent& e) {
    if (e.id) ids.push_back(*e.id);
    types.push_back(e.type);
    return true;
  }));
  ASSERT_FALSE(types.empty());
  EXPECT_EQ(types.front(), "run.created");
  EXPECT_EQ(types.back(), "run.completed");
  for (std::size_t i = 0; i < ids.size(); ++i) EXPECT_EQ(ids[i], std::to_string(i + 1));
}

TEST_F(DaemonZmqTest, Kill9AndRestartKeepsEveryAcknowledgedEvent) {
  const std::string id = Str(Create("quick"), "id");
  Ok("run.next", {{"run_id", id}});
  const json::object before = Get(id);
  daemon_->Kill9();
  ASSERT_OK(daemon_->Start());
  client_ = NewClient();
  EXPECT_EQ(Get(id), before);
  Ok("run.next", {{"run_id", id}});
  Ok("run.next", {{"run_id", id}});
  EXPECT_EQ(Get(id).at("status"), "completed");
  EXPECT_EQ(daemon_->Stop(), 0) << "SIGTERM should end forklined with exit status 0";
}

// One client's conversation: a raw DEALER socket, so every reply's id is checked here and
// any doubled reply would still be waiting in the socket at the end.
struct ClientReport {
  std::string run_id;
  int replies = 0;
  std::vector<std::string> problems;
};

json::object Exchange(zmq::socket_t& sock, const std::string& id, json::object request,
                      ClientReport& report) {
  request["id"] = id;
  const std::string text = json::serialize(request);
  sock.send(zmq::buffer(text), zmq::send_flags::none);
  zmq::pollitem_t item{static_cast<void*>(sock), 0, ZMQ_POLLIN, 0};
  if (zmq::poll(&item, 1, std::chrono::seconds(120)) == 0) {
    report.problems.push_back("no reply to " + id);
    return {};
  }
  zmq::message_t msg;
  (void)sock.recv(msg, zmq::recv_flags::none);
  ++report.replies;
  boost::system::error_code ec;
  json::value v = json::parse(msg.to_string_view(), ec);
  if (ec || !v.is_object()) {
    report.problems.push_back("reply to " + id + " is not a JSON object");
    return {};
  }
  json::object& reply = v.as_object();
  if (reply["id"] != json::value(id)) {
    report.problems.push_back("reply to " + id + " has id " + json::serialize(reply["id"]));
  }
  if (reply["ok"] != true) {
    report.problems.push_back("error reply to " + id + ": " + json::serialize(reply));
    return {};
  }
  return reply["result"].as_object();
}

void StepOneRun(zmq::context_t& ctx, const std::string& endpoint, int n, ClientReport& report) {
  zmq::socket_t sock(ctx, zmq::socket_type::dealer);
  sock.set(zmq::sockopt::linger, 0);
  sock.connect(endpoint);
  const std::string prefix = "c" + std::to_string(n) + "-";
  json::object created =
      Exchange(sock, prefix + "create",
               {{"cmd", "run.create"},
                {"args", {{"kind", "novel_to_script"}, {"input", {{"text", kNovel}}}}}},
               report);
  if (created.empty()) return;
  report.run_id = Str(created.at("run").as_object(), "id");
  for (int i = 0; i < 20; ++i) {  // 5 steps; the bound only stops a runaway loop
    json::object r = Exchange(sock, prefix + "next-" + std::to_string(i),
                              {{"cmd", "run.next"}, {"args", {{"run_id", report.run_id}}}}, report);
    if (r.empty()) return;
    if (r.at("run").at("status") == "completed") break;
  }
  // The health reply must be the next message: a doubled reply would arrive before it.
  Exchange(sock, prefix + "final", {{"cmd", "system.health"}}, report);
  zmq::pollitem_t item{static_cast<void*>(sock), 0, ZMQ_POLLIN, 0};
  if (zmq::poll(&item, 1, std::chrono::milliseconds(0)) != 0) {
    report.problems.push_back("an extra message after the last reply");
  }
}

TEST_F(DaemonZmqTest, FiftyClientsStepFiftyRunsToCompletion) {
  constexpr int kClients = 50;
  zmq::context_t ctx(2);
  std::vector<ClientReport> reports(kClients);
  std::vector<std::thread> threads;
  threads.reserve(kClients);
  for (int n = 0; n < kClients; ++n) {
    threads.emplace_back([&, n] { StepOneRun(ctx, daemon_->zmq_endpoint(), n, reports[n]); });
  }
  for (std::thread& t : threads) t.join();

  std::set<std::string> run_ids;
  for (int n = 0; n < kClients; ++n) {
    const ClientReport& r = reports[n];
    for (const std::string& p : r.problems) ADD_FAILURE() << "client " << n << ": " << p;
    EXPECT_EQ(r.replies, 1 + 5 + 1) << "client " << n;  // create, 5 next, health
    run_ids.insert(r.run_id);
  }
  EXPECT_EQ(run_ids.size(), static_cast<std::size_t>(kClients));
  for (const std::string& id : run_ids) {
    json::object run = Get(id);
    EXPECT_EQ(run.at("status"), "completed") << id;
    EXPECT_EQ(run.at("cursor"), run.at("total_steps")) << id;
    json::object evs = Ok("run.events", {{"run_id", id}});
    int completed = 0;
    std::int64_t version = 0;
    for (const json::value& e : evs.at("events").as_array()) {
      EXPECT_EQ(e.at("version").as_int64(), ++version) << id;
      if (e.at("type") == "step.completed") ++completed;
    }
    EXPECT_EQ(completed, run.at("total_steps").as_int64()) << id;
  }
}

}  // namespace
}  // namespace forkline
