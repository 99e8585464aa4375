// The Host allow-list (daemon/http/host_check.h), without sockets.

#include "daemon/http/host_check.h"

#include <gtest/gtest.h>

namespace forkline {
namespace {

TEST(HostCheckTest, LoopbackBindDefaults) {
  const std::vector<std::string> expected = {"localhost", "127.0.0.1", "[::1]"};
  EXPECT_EQ(DefaultAllowedHosts("127.0.0.1:7711"), expected);
  EXPECT_EQ(DefaultAllowedHosts("localhost:7711"), expected);
  EXPECT_EQ(DefaultAllowedHosts("[::1]:7711"), expected);
  const std::vector<std::string> other = {"localhost", "127.0.0.1", "[::1]", "127.0.0.2"};
  EXPECT_EQ(DefaultAllowedHosts("127.0.0.2:0"), other);
  EXPECT_TRUE(DefaultAllowedHosts("0.0.0.0:7711").empty());
  EXPECT_TRUE(DefaultAllowedHosts("[::]:7711").empty());
  EXPECT_TRUE(DefaultAllowedHosts("192.168.1.5:7711").empty());
}

TEST(HostCheckTest, Matching) {
  const auto loopback = DefaultAllowedHosts("127.0.0.1:7711");
  for (const char* ok : {"localhost", "localhost:7711", "LOCALHOST:1", "localhost.", "127.0.0.1",
                         "127.0.0.1:80", "[::1]", "[::1]:7711", "127.0.0.1:7711 "}) {
    EXPECT_TRUE(HostAllowed(loopback, ok)) << ok;
  }
  for (const char* bad : {"", "evil.example", "evil.example:7711", "localhost.evil.example",
                          "127.0.0.1.nip.io", "127.0.0.2", "[::2]:7711", "localhost:",
                          "localhost:x", "localhost:7711:1", "[::1", "a b", "localhost@evil"}) {
    EXPECT_FALSE(HostAllowed(loopback, bad)) << bad;
  }
  EXPECT_TRUE(HostAllowed({}, "anything.example"));
  EXPECT_TRUE(HostAllowed({"*"}, "anything.example:1"));
  const std::vector<std::string> pinned = {"ops.example:8443", "::1"};
  EXPECT_TRUE(HostAllowed(pinned, "ops.example:8443"));
  EXPECT_FALSE(HostAllowed(pinned, "ops.example"));
  EXPECT_FALSE(HostAllowed(pinned, "ops.example:443"));
  EXPECT_TRUE(HostAllowed(pinned, "[::1]:9"));
}

TEST(HostCheckTest, EntriesAreChecked) {
  EXPECT_TRUE(CheckAllowedHosts({"*", "a.example", "a.example:1", "[::1]", "10.0.0.1:80"}).ok());
  for (const char* bad : {"", "a b", "a.example:", "a.example:port", "[::1", "http://a.example"}) {
    Status s = CheckAllowedHosts({bad});
    EXPECT_EQ(s.code(), Code::kBadRequest) << bad;
    EXPECT_NE(s.message().find("allowed_hosts"), std::string::npos) << s.ToString();
  }
}

}  // namespace
}  // namespace forkline
