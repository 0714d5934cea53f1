// reuse_freed_memory: LibTorch's large per-step buffers stay in the heap after free.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>

#include "core/memory.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#if defined(__SANITIZE_ADDRESS__)
#define EMOFUSE_TEST_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define EMOFUSE_TEST_UNDER_ASAN 1
#endif
#endif

namespace {
char* volatile escaped_block;  // keeps the compiler from eliding the malloc/free pair below
}  // namespace

// An 8 MB block (the size of a batch-128 activation buffer) comes from the heap, not from a
// fresh mapping, and freeing it does not shrink the heap: the next step's buffer reuses those
// pages instead of faulting in new zero-filled ones. With glibc's defaults (each test runs in its
// own process under ctest) the block is mmapped, and unmapped when freed.
TEST(Memory, FreedBuffersStayInTheHeap) {
#if !defined(__GLIBC__) || defined(EMOFUSE_TEST_UNDER_ASAN)
  GTEST_SKIP() << "glibc's allocator only (a sanitizer replaces it)";
#else
  if (std::getenv("MALLOC_MMAP_THRESHOLD_") || std::getenv("MALLOC_TRIM_THRESHOLD_") ||
      std::getenv("EMOFUSE_MALLOC_DEFAULTS")) {
    EXPECT_FALSE(emofuse::reuse_freed_memory());  // the user's own settings win
    GTEST_SKIP() << "MALLOC_MMAP_THRESHOLD_, MALLOC_TRIM_THRESHOLD_ or EMOFUSE_MALLOC_DEFAULTS is set";
  }
  ASSERT_TRUE(emofuse::reuse_freed_memory());
  const size_t bytes = 8u << 20;
  const size_t mapped_before = mallinfo2().hblkhd;  // bytes in mmapped blocks
  escaped_block = static_cast<char*>(std::malloc(bytes));
  ASSERT_NE(escaped_block, nullptr);
  std::memset(escaped_block, 1, bytes);
  EXPECT_EQ(mallinfo2().hblkhd, mapped_before) << "the block was mmapped";
  const size_t heap_with_block = mallinfo2().arena;  // bytes the main heap holds from the system
  std::free(escaped_block);
  EXPECT_EQ(mallinfo2().arena, heap_with_block) << "the heap was trimmed when the block was freed";
#endif
}
