#pragma once
// FUZZ_CHECK: a property a fuzz target asserts; a failure aborts with the condition, so
// libFuzzer (and the regression driver) report it as a crash with its input.

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(cond)                                                          \
  do {                                                                            \
    if (!(cond)) {                                                                \
      std::fprintf(stderr, "%s:%d: FUZZ_CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                               \
    }                                                                             \
  } while (0)
