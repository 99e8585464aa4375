// GET / and web_dir files: content types, built-in page, no path traversal.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "daemon/http/static_files.h"
#include "tests/http/fake_command_handler.h"
#include "tests/http/fake_event_feed.h"
#include "tests/http/test_client.h"
#include "tests/http/test_server.h"
#include "tests/testutil/status_matchers.h"
#include "tests/testutil/temp_dir.h"

namespace forkline::testing {
namespace {

void Write(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path) << text;
}

class StaticFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    web_ = dir_.Sub("web");
    Write(web_ + "/index.html", "<h1>ui</h1>");
    Write(web_ + "/js/app.js", "let x = 1;");
    Write(web_ + "/css/app.css", "body{}");
    Write(web_ + "/docs/index.html", "docs");
    Write(web_ + "/.secret", "hidden");
    Write(dir_.Sub("outside.txt"), "outside");
    std::filesystem::create_symlink(dir_.Sub("outside.txt"), web_ + "/link.txt");
  }
  TempDir dir_;
  std::string web_;
};

TEST_F(StaticFilesTest, ServesFilesWithContentTypes) {
  auto r = ServeStatic(web_, "/");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "<h1>ui</h1>");
  EXPECT_EQ(r.content_type, "text/html; charset=utf-8");
  r = ServeStatic(web_, "/js/app.js");
  EXPECT_EQ(r.body, "let x = 1;");
  EXPECT_EQ(r.content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(ServeStatic(web_, "/css/app.css").content_type, "text/css; charset=utf-8");
  EXPECT_EQ(ServeStatic(web_, "/docs/").body, "docs");
  EXPECT_EQ(ServeStatic(web_, "/docs").body, "docs");
  EXPECT_EQ(ContentTypeFor("a.svg"), "image/svg+xml");
  EXPECT_EQ(ContentTypeFor("a.bin"), "application/octet-stream");
}

TEST_F(StaticFilesTest, NoTraversalNoHiddenNoEscapingSymlinks) {
  EXPECT_EQ(ServeStatic(web_, "/../outside.txt").status, 404);
  EXPECT_EQ(ServeStatic(web_, "/js/../../outside.txt").status, 404);
  EXPECT_EQ(ServeStatic(web_, "/.secret").status, 404);
  EXPECT_EQ(ServeStatic(web_, "/link.txt").status, 404);
  EXPECT_EQ(ServeStatic(web_, "/missing.js").status, 404);
  EXPECT_NE(ServeStatic(web_, "/missing.js").body.find("not_found"), std::string::npos);
}

TEST_F(StaticFilesTest, BuiltInPageWithoutUi) {
  auto r = ServeStatic("", "/");
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("not installed"), std::string::npos);
  EXPECT_EQ(ServeStatic(dir_.Sub("nope"), "/").status, 200);
  EXPECT_EQ(ServeStatic("", "/app.js").status, 404);
}

TEST_F(StaticFilesTest, OverHttp) {
  FakeCommandHandler handler;
  FakeEventFeed feed;
  HttpOptions options;
  options.web_dir = web_;
  TestServer server(options, handler, feed);
  ASSERT_OK(server.start_status());
  auto r = Request(server.port(), "GET", "/");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "<h1>ui</h1>");
  r = Request(server.port(), "GET", "/js/app.js?v=3");
  EXPECT_EQ(r.headers["content-type"], "text/javascript; charset=utf-8");
  EXPECT_EQ(Request(server.port(), "GET", "/../outside.txt").status, 404);
  EXPECT_EQ(Request(server.port(), "GET", "/%2e%2e/outside.txt").status, 404);
  EXPECT_EQ(Request(server.port(), "GET", "/js/%2e%2e%2f%2e%2e%2foutside.txt").status, 404);
  r = Request(server.port(), "HEAD", "/js/app.js");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers["content-length"], "10");
  EXPECT_EQ(r.body, "");
  EXPECT_EQ(Request(server.port(), "POST", "/index.html").status, 405);
  EXPECT_TRUE(handler.requests().empty());
}

}  // namespace
}  // namespace forkline::testing
