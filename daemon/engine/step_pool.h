#pragma once
// StepPool: a fixed number of threads that run step attempts (engine.max_concurrent_steps).
// Jobs start in the order they were submitted, so one busy run cannot starve others
// (each run has at most one step in flight). Executors may block; io threads never do.

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace forkline {

class StepPool {
 public:
  explicit StepPool(unsigned threads);
  ~StepPool();  // Stop()
  // Finishes running jobs, drops queued ones and joins the threads; later Submits are
  // ignored. Idempotent.
  void Stop();
  StepPool(const StepPool&) = delete;
  StepPool& operator=(const StepPool&) = delete;

  void Submit(std::function<void()> job);

 private:
  void Loop();

  std::mutex mu_;  // guards jobs_, stopping_
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace forkline
