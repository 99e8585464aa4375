#pragma once
// A real forklined child process for frontend_bench: its own temporary data folder and
// empty workflows folder, free loopback ports, stopped with SIGTERM on destruction.

#include <sys/types.h>

#include <string>

#include "bench/bench_util.h"

namespace forkline::bench {

class DaemonProcess {
 public:
  // Starts `binary` and waits (up to 30 s) until GET /healthz answers 200.
  // Throws std::runtime_error when it does not come up.
  explicit DaemonProcess(const std::string& binary);
  ~DaemonProcess();
  DaemonProcess(const DaemonProcess&) = delete;
  DaemonProcess& operator=(const DaemonProcess&) = delete;

  std::string zmq_endpoint() const { return "tcp://127.0.0.1:" + std::to_string(zmq_port_); }
  int http_port() const { return http_port_; }
  pid_t pid() const { return pid_; }
  // The daemon's resident set size (VmRSS) in KiB, 0 when unreadable.
  long RssKib() const;
  const std::string& log_path() const { return log_; }

 private:
  bool Healthy() const;

  TempDir dir_;
  int zmq_port_ = 0;
  int http_port_ = 0;
  std::string log_;
  pid_t pid_ = -1;
};

// A loopback TCP connection to 127.0.0.1:`port`; -1 on failure.
int ConnectLoopback(int port);
// A port that was free a moment ago.
int FreePort();

}  // namespace forkline::bench
