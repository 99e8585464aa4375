// SerialQueue: tasks run one at a time in the order they came, each after the previous
// one called its `done`; RunOrPost runs a task at once only when the queue is idle.
#include "daemon/engine/serial_queue.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <thread>
#include <vector>

namespace forkline {
namespace {

TEST(SerialQueueTest, RunOrPostRunsAtOnceOnTheCallingThreadWhenIdle) {
  boost::asio::io_context io;  // never run: a task posted to it would not run
  auto queue = std::make_shared<SerialQueue>(io.get_executor());
  std::thread::id ran_on;
  queue->RunOrPost([&](SerialQueue::Done done) {
    ran_on = std::this_thread::get_id();
    done();
  });
  EXPECT_EQ(ran_on, std::this_thread::get_id());
  // Done and idle again: the next one runs at once too.
  bool second = false;
  queue->RunOrPost([&](SerialQueue::Done done) {
    second = true;
    done();
  });
  EXPECT_TRUE(second);
}

TEST(SerialQueueTest, RunOrPostWaitsBehindATaskThatHasNotCalledDone) {
  boost::asio::io_context io;
  auto queue = std::make_shared<SerialQueue>(io.get_executor());
  std::vector<int> order;
  SerialQueue::Done first_done;
  queue->RunOrPost([&](SerialQueue::Done done) {
    order.push_back(1);
    first_done = std::move(done);  // finishes later (its append is in flight)
  });
  queue->RunOrPost([&](SerialQueue::Done done) {
    order.push_back(2);
    done();
  });
  queue->Post([&](SerialQueue::Done done) {
    order.push_back(3);
    done();
  });
  EXPECT_EQ(order, std::vector<int>{1});
  first_done();
  io.run();  // the queued ones run on the executor, in order
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
  // All done: idle, so RunOrPost runs at once again.
  queue->RunOrPost([&](SerialQueue::Done done) {
    order.push_back(4);
    done();
  });
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3, 4}));
}

}  // namespace
}  // namespace forkline
