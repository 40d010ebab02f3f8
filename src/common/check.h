// SB_CHECK: a broken invariant is a bug; log where and abort. Never use it on input.
#pragma once

#include <cstdio>
#include <cstdlib>

#define SB_CHECK(cond)                                                              \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                 \
    }                                                                               \
  } while (0)
