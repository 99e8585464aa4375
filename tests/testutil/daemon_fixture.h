#pragma once
// A real forklined for integration tests: writes a config with free loopback ports, a
// temporary data folder and workflows folder, starts the binary, and waits until
// GET /healthz answers 200. Kill9 + Start restarts it on the same data folder.
//
// The binary is $FORKLINED when set, else the path baked in at build time
// (FORKLINE_FORKLINED_PATH). The destructor stops the daemon (SIGTERM, then SIGKILL) and
// removes the folder.
//
// Thread safety: none; drive one TestDaemon from one thread. The endpoints it hands out
// may be used from any number of threads.

#include <sys/types.h>

#include <chrono>
#include <map>
#include <string>

#include "eventstore/status.h"
#include "tests/testutil/temp_dir.h"

namespace forkline::testing {

struct TestDaemonOptions {
  // Workflow files written into the workflows folder: kind file name -> TOML text. The
  // text may use "@DIR@", replaced by the daemon's temporary folder.
  std::map<std::string, std::string> workflows;
  // Appended to the generated config (e.g. "[engine]\nmax_concurrent_steps = 8\n").
  // The generated config writes [store], [zmq], [http] and (with a token) [auth]; extra
  // keys for those sections go in http_extra / zmq_extra instead.
  std::string extra_toml;
  std::string http_extra;  // lines added to [http]
  std::string zmq_extra;   // lines added to [zmq]
  std::string token;       // [auth] token; empty = no auth
};

// One HTTP/1.1 exchange (Connection: close) over a fresh loopback connection.
// (Not `HttpResponse`: tests/http/test_client.h has one with other members, and two classes
// of one name in one namespace are an ODR violation once linked together.)
struct RawHttpResponse {
  int status = 0;  // 0 when no response could be read
  std::string headers;
  std::string body;
};
RawHttpResponse HttpRequest(int port, const std::string& method, const std::string& target,
                            const std::string& body = "", const std::string& extra_headers = "",
                            std::chrono::milliseconds timeout = std::chrono::seconds(30));

// Returns a TCP port on 127.0.0.1 that was free a moment ago.
int FreePort();

class TestDaemon {
 public:
  explicit TestDaemon(TestDaemonOptions options = {});
  ~TestDaemon();
  TestDaemon(const TestDaemon&) = delete;
  TestDaemon& operator=(const TestDaemon&) = delete;

  // Starts forklined and waits for /healthz; an error (with the log's tail) when it exits
  // or does not become healthy within `timeout`.
  Status Start(std::chrono::seconds timeout = std::chrono::seconds(60));
  // SIGTERM and wait (SIGKILL after `grace`); returns the exit status (-1 if killed).
  int Stop(std::chrono::seconds grace = std::chrono::seconds(30));
  // SIGKILL and wait. The data folder stays for the next Start.
  void Kill9();
  bool running() const { return pid_ > 0; }

  std::string zmq_endpoint() const { return "tcp://127.0.0.1:" + std::to_string(zmq_port_); }
  int http_port() const { return http_port_; }
  const std::string& dir() const { return dir_.path(); }
  const std::string& config_path() const { return config_path_; }
  // The last `bytes` of the daemon's combined stdout/stderr.
  std::string LogTail(std::size_t bytes = 4000) const;

 private:
  void WriteFiles();

  TestDaemonOptions options_;
  TempDir dir_;
  int zmq_port_ = 0;
  int http_port_ = 0;
  std::string config_path_;
  std::string log_path_;
  pid_t pid_ = -1;
};

// The forklined binary the tests use.
std::string ForklinedPath();

}  // namespace forkline::testing
