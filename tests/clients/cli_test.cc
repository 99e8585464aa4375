// The forkline CLI: argument parsing, exit codes, and a few subcommands against a
// ZmqServer with a canned handler.

#include "clients/cli/cli.h"

#include <fstream>
#include <mutex>
#include <sstream>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "daemon/zmq/zmq_server.h"
#include "tests/testutil/status_matchers.h"
#include "tests/testutil/temp_dir.h"

namespace forkline::cli {
namespace {

namespace json = boost::json;

struct Outcome {
  int code;
  std::string out;
  std::string err;
};

Outcome Cli(const std::vector<std::string>& args) {
  std::ostringstream out;
  std::ostringstream err;
  const int code = RunCli(args, out, err);
  return {code, out.str(), err.str()};
}

TEST(CliArgsTest, HelpExitsZeroEverywhere) {
  for (const auto& args :
       std::vector<std::vector<std::string>>{{"--help"}, {"-h"}, {"help"}, {"--json", "--help"}}) {
    Outcome o = Cli(args);
    EXPECT_EQ(o.code, kExitOk) << args[0];
    EXPECT_NE(o.out.find("usage: forkline"), std::string::npos);
  }
  for (const char* sub :
       {"create", "next", "pause", "resume", "autorun", "cancel", "retry", "fork", "show", "ls",
        "events", "lineage", "workflows", "health", "output", "watch"}) {
    Outcome o = Cli({sub, "--help"});
    EXPECT_EQ(o.code, kExitOk) << sub;
    EXPECT_NE(o.out.find(std::string("usage: forkline ") + sub), std::string::npos) << o.out;
  }
}

TEST(CliArgsTest, UsageErrorsExitTwo) {
  Outcome o = Cli({"bogus"});
  EXPECT_EQ(o.code, kExitUsage);
  EXPECT_NE(o.err.find("unknown command 'bogus'"), std::string::npos) << o.err;
  EXPECT_EQ(Cli({}).code, kExitUsage);
  o = Cli({"show"});
  EXPECT_EQ(o.code, kExitUsage);
  EXPECT_NE(o.err.find("usage: forkline show RUN"), std::string::npos) << o.err;
  EXPECT_EQ(Cli({"show", "a", "b"}).code, kExitUsage);
  o = Cli({"pause", "r_1", "--nope"});
  EXPECT_EQ(o.code, kExitUsage);
  EXPECT_NE(o.err.find("unknown option '--nope'"), std::string::npos) << o.err;
  EXPECT_EQ(Cli({"fork", "r_1", "--at"}).code, kExitUsage);
  EXPECT_EQ(Cli({"fork", "r_1", "--at", "-3"}).code, kExitUsage);
  EXPECT_EQ(Cli({"autorun", "r_1", "maybe"}).code, kExitUsage);
  EXPECT_EQ(Cli({"show", "r_1", "--timeout", "soon"}).code, kExitUsage);
  EXPECT_EQ(Cli({"watch", "r_1", "--http", "nocolon"}).code, kExitUsage);
}

TEST(CliArgsTest, NoDaemonExitsThree) {
  Outcome o = Cli({"--connect", "tcp://127.0.0.1:1", "--timeout", "0.2", "health"});
  EXPECT_EQ(o.code, kExitNoAnswer);
  EXPECT_NE(o.err.find("forkline: unavailable: no reply"), std::string::npos) << o.err;
}

// Answers from a table of canned results; remembers the last request.
class CannedHandler : public CommandHandler {
 public:
  void Handle(CommandRequest request, ReplyFn reply) override {
    std::lock_guard<std::mutex> lock(mu);
    last = request;
    auto it = results.find(request.cmd);
    if (it == results.end()) return reply(Status::NotFound("run r_x does not exist"));
    reply(it->second);
  }
  std::mutex mu;
  CommandRequest last;
  std::map<std::string, json::object> results;
};

class CliServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ZmqOptions options;
    options.bind = "tcp://127.0.0.1:0";
    options.log = [](std::string_view, std::string_view) {};
    const json::value run = json::parse(R"({"id":"r_1","kind":"novel_to_script","title":"Alice",
      "status":"running","cursor":1,"total_steps":2,"autorun":false,"version":4,
      "created_at":"2024-01-01T00:00:00.000Z","updated_at":"2024-01-01T00:00:01.000Z",
      "parent":null,"input":{},"steps":[
        {"index":0,"name":"ingest","status":"completed","attempt":1,"duration_ms":12,
         "executor":"builtin","output":{"words":3,"fountain":"Title: Alice\n"}},
        {"index":1,"name":"assemble","status":"pending","attempt":0,"executor":"builtin"}]})");
    handler_.results["run.get"] = {{"run", run}};
    handler_.results["run.create"] = {{"run", run}};
    handler_.results["run.list"] = {{"runs", json::array{run}}, {"next", nullptr}};
    // The server's thread reads the table: it is filled before the thread starts.
    server_ = std::make_unique<ZmqServer>(options, handler_);
    ASSERT_OK(server_->Start());
  }
  Outcome Run(std::vector<std::string> args) {
    args.insert(args.begin(), {"--connect", server_->endpoint(), "--timeout", "10"});
    return Cli(args);
  }

  CannedHandler handler_;
  std::unique_ptr<ZmqServer> server_;
};

TEST_F(CliServerTest, ShowAndLsPrintTables) {
  Outcome o = Run({"show", "r_1"});
  ASSERT_EQ(o.code, kExitOk) << o.err;
  EXPECT_NE(o.out.find("run r_1  novel_to_script  \"Alice\""), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("cursor 1/2"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("ingest    completed"), std::string::npos) << o.out;
  o = Run({"ls"});
  ASSERT_EQ(o.code, kExitOk) << o.err;
  EXPECT_NE(o.out.find("ID   KIND             STATUS   CURSOR/TOTAL  AUTORUN  TITLE"),
            std::string::npos)
      << o.out;
  EXPECT_NE(o.out.find("r_1  novel_to_script  running  1/2           off      Alice"),
            std::string::npos)
      << o.out;
}

TEST_F(CliServerTest, CreateSendsInputTitleAutorunAndKey) {
  forkline::testing::TempDir dir;
  std::ofstream(dir.Sub("alice.txt")) << "Alice was beginning to get very tired.";
  Outcome o = Run({"create", "novel_to_script", "--text-file", dir.Sub("alice.txt"), "--title",
                   "Alice", "--autorun", "--key", "k1", "--json"});
  ASSERT_EQ(o.code, kExitOk) << o.err;
  EXPECT_EQ(json::parse(o.out).at("run").at("id"), "r_1");
  std::lock_guard<std::mutex> lock(handler_.mu);
  EXPECT_EQ(handler_.last.cmd, "run.create");
  EXPECT_EQ(handler_.last.key, "k1");
  EXPECT_EQ(handler_.last.args.at("kind"), "novel_to_script");
  EXPECT_EQ(handler_.last.args.at("title"), "Alice");
  EXPECT_EQ(handler_.last.args.at("autorun"), true);
  EXPECT_EQ(handler_.last.args.at("input").at("text"), "Alice was beginning to get very tired.");
}

TEST_F(CliServerTest, OutputByNameOrIndexAndField) {
  Outcome o = Run({"output", "r_1", "ingest", "--field", "fountain"});
  ASSERT_EQ(o.code, kExitOk) << o.err;
  EXPECT_EQ(o.out, "Title: Alice\n");
  o = Run({"output", "r_1", "0"});
  ASSERT_EQ(o.code, kExitOk) << o.err;
  EXPECT_EQ(json::parse(o.out).at("words"), 3);
  o = Run({"output", "r_1", "assemble"});
  EXPECT_EQ(o.code, kExitCommandError);
  EXPECT_NE(o.err.find("has no output (status pending)"), std::string::npos) << o.err;
  EXPECT_EQ(Run({"output", "r_1", "9"}).code, kExitCommandError);
}

TEST_F(CliServerTest, ErrorRepliesExitOneWithTheCodeAndMessage) {
  Outcome o = Run({"cancel", "r_x"});
  EXPECT_EQ(o.code, kExitCommandError);
  EXPECT_EQ(o.err, "forkline: not_found: run r_x does not exist\n");
  std::lock_guard<std::mutex> lock(handler_.mu);
  EXPECT_EQ(handler_.last.cmd, "run.cancel");
  EXPECT_EQ(handler_.last.args.at("run_id"), "r_x");
}

TEST_F(CliServerTest, ArgumentsReachTheCommand) {
  forkline::testing::TempDir dir;
  std::ofstream(dir.Sub("o.json")) << R"({"fountain":"edited"})";
  (void)Run({"fork", "r_1", "--at", "1", "--title", "B", "--override-file", dir.Sub("o.json")});
  {
    std::lock_guard<std::mutex> lock(handler_.mu);
    EXPECT_EQ(handler_.last.cmd, "run.fork");
    EXPECT_EQ(handler_.last.args.at("at"), 1);
    EXPECT_EQ(handler_.last.args.at("override").at("output").at("fountain"), "edited");
  }
  (void)Run({"pause", "r_1", "--abort-step"});
  {
    std::lock_guard<std::mutex> lock(handler_.mu);
    EXPECT_EQ(handler_.last.cmd, "run.pause");
    EXPECT_EQ(handler_.last.args.at("abort_step"), true);
  }
  (void)Run({"autorun", "r_1", "off"});
  {
    std::lock_guard<std::mutex> lock(handler_.mu);
    EXPECT_EQ(handler_.last.cmd, "run.autorun");
    EXPECT_EQ(handler_.last.args.at("enabled"), false);
  }
  (void)Run({"ls", "--status", "failed", "--limit", "5"});
  std::lock_guard<std::mutex> lock(handler_.mu);
  EXPECT_EQ(handler_.last.args.at("status"), "failed");
  EXPECT_EQ(handler_.last.args.at("limit"), 5);
}

}  // namespace
}  // namespace forkline::cli
