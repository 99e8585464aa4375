#pragma once
// ASSERT_OK / EXPECT_OK for Status and Result<T>, printing the status when it fails.

#include <gtest/gtest.h>

#include "eventstore/status.h"

namespace forkline::testing {

inline const Status& StatusOf(const Status& s) { return s; }
template <typename T>
const Status& StatusOf(const Result<T>& r) {
  static const Status kOk;
  return r.ok() ? kOk : r.status();
}

}  // namespace forkline::testing

#define ASSERT_OK(expr)                                                         \
  do {                                                                          \
    const auto& fl_r_ = (expr);                                                 \
    ASSERT_TRUE(::forkline::testing::StatusOf(fl_r_).ok())                      \
        << #expr << " -> " << ::forkline::testing::StatusOf(fl_r_).ToString(); \
  } while (0)
#define EXPECT_OK(expr)                                                         \
  do {                                                                          \
    const auto& fl_r_ = (expr);                                                 \
    EXPECT_TRUE(::forkline::testing::StatusOf(fl_r_).ok())                      \
        << #expr << " -> " << ::forkline::testing::StatusOf(fl_r_).ToString(); \
  } while (0)
