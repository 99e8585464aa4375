#pragma once
// AbortCheck: a cheap, copyable view of the engine's abort flag, polled by the novel
// steps between paragraphs so that a long text can be stopped within milliseconds.

#include <atomic>

namespace forkline {

class AbortCheck {
 public:
  AbortCheck() = default;  // never aborts (tests, tools)
  explicit AbortCheck(const std::atomic<bool>* flag) : flag_(flag) {}
  bool Stopped() const { return flag_ != nullptr && flag_->load(std::memory_order_relaxed); }

 private:
  const std::atomic<bool>* flag_ = nullptr;
};

}  // namespace forkline
