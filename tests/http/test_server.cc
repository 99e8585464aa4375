#include "tests/http/test_server.h"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <thread>
#include <vector>

namespace forkline::testing {

struct TestServer::Io {
  boost::asio::io_context ioc;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work =
      boost::asio::make_work_guard(ioc);
  std::vector<std::thread> threads;
};

TestServer::TestServer(HttpOptions options, CommandHandler& handler, EventFeed& feed,
                       bool ephemeral)
    : io_(std::make_unique<Io>()) {
  if (ephemeral) options.bind = "127.0.0.1:0";
  server_ = std::make_unique<HttpServer>(std::move(options), handler, feed, io_->ioc);
  start_status_ = server_->Start();
  for (int i = 0; i < 2; ++i) io_->threads.emplace_back([this] { io_->ioc.run(); });
}

TestServer::~TestServer() {
  server_->Stop();
  io_->work.reset();
  io_->ioc.stop();
  for (auto& t : io_->threads) t.join();
  server_.reset();
  io_.reset();
}

}  // namespace forkline::testing
