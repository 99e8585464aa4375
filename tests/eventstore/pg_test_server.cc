#include "tests/eventstore/pg_test_server.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <mutex>
#include <random>
#include <stdexcept>

namespace forkline::testing {
namespace {

std::string UrlFromState(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("url=", 0) == 0) return line.substr(4);
  }
  throw std::runtime_error("no url= line in " + path + " (did the pg server fixture start?)");
}

// A server this process started; stopped when the process exits normally.
class OwnServer {
 public:
  OwnServer() {
    char tmpl[] = "/tmp/forkline-pg-state.XXXXXX";
    const int fd = ::mkstemp(tmpl);
    if (fd < 0) throw std::runtime_error("mkstemp failed");
    ::close(fd);
    state_ = tmpl;
    const std::string cmd =
        std::string("bash ") + FORKLINE_PG_TEST_SERVER + " start " + state_ + " >/dev/null";
    if (std::system(cmd.c_str()) != 0) {
      std::remove(state_.c_str());
      throw std::runtime_error("scripts/pg-test-server start failed");
    }
    url_ = UrlFromState(state_);
  }
  ~OwnServer() {
    const std::string cmd = std::string("bash ") + FORKLINE_PG_TEST_SERVER + " stop " + state_;
    if (std::system(cmd.c_str()) != 0) std::fprintf(stderr, "pg-test-server stop failed\n");
  }
  const std::string& url() const { return url_; }

 private:
  std::string state_;
  std::string url_;
};

}  // namespace

const std::string& PgTestUrl() {
  static std::once_flag once;
  static std::string url;
  static std::unique_ptr<OwnServer> own;
  std::call_once(once, [] {
    if (const char* u = std::getenv("FORKLINE_TEST_PG_URL"); u && *u) {
      url = u;
    } else if (const char* s = std::getenv("FORKLINE_TEST_PG_STATE"); s && *s) {
      url = UrlFromState(s);
    } else {
      own = std::make_unique<OwnServer>();
      url = own->url();
    }
  });
  return url;
}

PostgresStoreOptions FreshPgOptions() {
  static std::atomic<int> counter{0};
  PostgresStoreOptions o;
  o.url = PgTestUrl();
  static const unsigned salt = std::random_device{}();  // pids repeat across a long run
  o.schema = "t" + std::to_string(::getpid()) + "_" + std::to_string(salt) + "_" +
             std::to_string(++counter);
  return o;
}

}  // namespace forkline::testing
