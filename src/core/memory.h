// Heap settings for LibTorch's large temporary buffers.
#pragma once

namespace emofuse {

/// Makes glibc keep freed memory in the heap for the next allocation instead of returning it to
/// the kernel. By default glibc serves large blocks with mmap and trims the top of the heap
/// beyond 128 KB, so the activation and gradient buffers that LibTorch allocates and frees in
/// every training step (megabytes each at batch 128) can be unmapped when freed and faulted back
/// in, zero-filled by the kernel, on the next step. Measured with bench_helo's HeLo training
/// step at one thread (docs/models/helo.md, Speed): on an idle machine the p99 step fell from
/// 341-668 ms to 207-294 ms (the median within the noise); with a second training process on
/// the other core, 1.4x more samples per second. Sets M_MMAP_THRESHOLD to 32 MB (glibc's largest) and
/// M_TRIM_THRESHOLD to 1 GB; the price is a resident set that stays near its peak.
/// Leaves glibc's settings alone when MALLOC_MMAP_THRESHOLD_ or MALLOC_TRIM_THRESHOLD_ is set
/// (the user's own choice), when EMOFUSE_MALLOC_DEFAULTS=1 (to measure the difference), and
/// outside glibc. Programs call it first thing in main; returns whether it changed anything.
bool reuse_freed_memory();

}  // namespace emofuse
