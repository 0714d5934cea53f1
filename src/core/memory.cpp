#include "core/memory.h"

#include <cstdlib>
#include <string>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace emofuse {

bool reuse_freed_memory() {
#if defined(__GLIBC__)
  if (std::getenv("MALLOC_MMAP_THRESHOLD_") || std::getenv("MALLOC_TRIM_THRESHOLD_")) return false;
  if (const char* defaults = std::getenv("EMOFUSE_MALLOC_DEFAULTS"); defaults && std::string(defaults) == "1") {
    return false;
  }
  // Both are needed: a fixed mmap threshold alone still returns the heap top on every free, and a
  // trim threshold alone turns off glibc's adaptive mmap threshold, so every block above 128 KB
  // is mapped and unmapped (bench_helo's training at one thread, with another process on the other
  // core: 81 samples/s with the trim threshold alone, 568 with both).
  const bool mmap_set = mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024) == 1;
  const bool trim_set = mallopt(M_TRIM_THRESHOLD, 1024 * 1024 * 1024) == 1;
  return mmap_set && trim_set;
#else
  return false;
#endif
}

}  // namespace emofuse
