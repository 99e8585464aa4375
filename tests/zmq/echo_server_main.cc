// zmq_echo_server: a ZmqServer with the fake test handler, for independent clients
// (tests/zmq/pyzmq_test.py). Prints its endpoint on the first line of stdout and serves
// until stdin closes. Usage: zmq_echo_server [--token T] [--max-bytes N]

#include <cstdlib>
#include <iostream>
#include <string>

#include "daemon/zmq/zmq_server.h"
#include "tests/zmq/zmq_test_util.h"

int main(int argc, char** argv) {
  forkline::ZmqOptions options;
  options.bind = "tcp://127.0.0.1:0";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--token") options.token = argv[i + 1];
    if (flag == "--max-bytes") options.max_message_bytes = std::strtoull(argv[i + 1], nullptr, 10);
  }
  forkline::testing::FakeHandler handler;
  forkline::ZmqServer server(options, handler);
  if (forkline::Status s = server.Start(); !s.ok()) {
    std::cerr << s.ToString() << "\n";
    return 1;
  }
  std::cout << server.endpoint() << std::endl;
  std::string line;
  while (std::getline(std::cin, line)) {
  }
  handler.release.Open();
  server.Stop();
  return 0;
}
