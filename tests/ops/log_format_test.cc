// daemon/log: line formats, the command_id extraction the event log lines use, and the
// sd_notify datagram (sent to a socket the test owns).
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <cstring>
#include <string>

#include "daemon/log/command_log.h"
#include "daemon/log/log.h"
#include "daemon/log/sd_notify.h"
#include "tests/testutil/temp_dir.h"

namespace forkline {
namespace {

TEST(LogFormat, JsonLineCarriesFieldsEscaped) {
  const std::string line = log::Format(log::Level::kWarn, "say \"hi\"\n",
                                       {{"run_id", "r_1"}, {"error", "a\tb\"c"}}, true,
                                       "2026-01-01T00:00:00.000Z");
  boost::json::object o = boost::json::parse(line).as_object();
  EXPECT_EQ(o.at("level"), "warn");
  EXPECT_EQ(o.at("msg"), "say \"hi\"\n");
  EXPECT_EQ(o.at("run_id"), "r_1");
  EXPECT_EQ(o.at("error"), "a\tb\"c");
  EXPECT_EQ(line.find('\n'), std::string::npos) << "one line: " << line;
}

TEST(LogFormat, TextLineQuotesValuesWithSpaces) {
  const std::string line = log::Format(log::Level::kInfo, "command",
                                       {{"cmd", "run.next"}, {"error", "it is paused"}, {"empty", ""}},
                                       false, "T");
  EXPECT_EQ(line, "T info command cmd=run.next error=\"it is paused\" empty=\"\"");
}

TEST(LogFormat, LevelsParse) {
  EXPECT_EQ(log::ParseLevel("debug"), log::Level::kDebug);
  EXPECT_EQ(log::ParseLevel("trace"), log::Level::kDebug);
  EXPECT_EQ(log::ParseLevel("warn"), log::Level::kWarn);
  EXPECT_EQ(log::ParseLevel("error"), log::Level::kError);
  EXPECT_EQ(log::ParseLevel("anything"), log::Level::kInfo);
}

TEST(CommandIdOf, ReadsTheEventsOwnKeyOnly) {
  EXPECT_EQ(CommandIdOf(R"({"at":"x","command_id":"run.next#ab12","data":{"index":0}})"), "run.next#ab12");
  // A command_id inside the data (an output, an input) is not the event's.
  EXPECT_EQ(CommandIdOf(R"({"at":"x","data":{"output":{"command_id":"fake"}},"hash":"h"})"), "");
  EXPECT_EQ(CommandIdOf("not json"), "");
}

class NotifySocket {
 public:
  explicit NotifySocket(const std::string& path) : fd_(::socket(AF_UNIX, SOCK_DGRAM, 0)) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.data(), path.size());
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  }
  ~NotifySocket() { ::close(fd_); }
  std::string Receive() {
    char buf[512];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
    return n < 0 ? std::string() : std::string(buf, static_cast<std::size_t>(n));
  }

 private:
  int fd_;
};

TEST(SdNotify, SendsOneDatagramPerState) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/notify";
  NotifySocket socket(path);
  ASSERT_TRUE(NotifyTo(path, "READY=1\nSTATUS=serving"));
  ASSERT_TRUE(NotifyTo(path, "STOPPING=1"));
  EXPECT_EQ(socket.Receive(), "READY=1\nSTATUS=serving");
  EXPECT_EQ(socket.Receive(), "STOPPING=1");
}

TEST(SdNotify, BadPathsAreRefusedNotCrashed) {
  EXPECT_FALSE(NotifyTo("", "READY=1"));
  EXPECT_FALSE(NotifyTo("relative/path", "READY=1"));
  EXPECT_FALSE(NotifyTo("/" + std::string(200, 'x'), "READY=1"));
  EXPECT_FALSE(NotifyTo("/nonexistent/forkline-notify", "READY=1"));
}

}  // namespace
}  // namespace forkline
