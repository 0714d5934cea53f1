// Process-wide runtime settings: LibTorch thread count, seeding, the shared data folder.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace emofuse {

/// The largest thread count emofuse accepts: 4x the hardware threads (at least 4). More threads
/// than that only oversubscribe the cores, and an absurd count (say 100000) would start thousands
/// of OS threads that make no progress.
int max_thread_count();

/// Throws OptionError(option, ...) unless 0 <= threads <= max_thread_count().
void validate_thread_count(int threads, const std::string& option = "threads");

/// Sets LibTorch's intra-op thread count, and OpenBLAS's when it provides the BLAS. `threads == 0`
/// means all hardware cores; a count outside [0, max_thread_count()] throws OptionError. Debian's
/// LibTorch starts with one thread unless told otherwise, so every entry point calls this.
/// Returns the count in effect.
int set_thread_count(int threads);

/// LibTorch's OpenMP threads spin while waiting for work by default; beside OpenBLAS's own
/// threads or any other load on a 2-core machine that made 2 threads ~9x slower than 1. libgomp
/// reads OMP_WAIT_POLICY when it is loaded, before main, so programs call this first thing in
/// main: unless the variable is set, it sets OMP_WAIT_POLICY=PASSIVE and re-executes the program
/// (returns normally if the re-exec fails, or when the variable was already set).
void ensure_passive_omp_wait(char** argv);

/// Seeds LibTorch's global generator (dropout, DropKey, parameter init) and returns `seed`.
uint64_t seed_everything(uint64_t seed);

/// Mixes several integers into one 64-bit seed (splitmix64), so that e.g. (seed, fold, epoch)
/// gives an independent, reproducible stream without storing generator state.
uint64_t mix_seed(uint64_t a, uint64_t b = 0, uint64_t c = 0);

/// The real-data folder: $EMOFUSE_DATA_DIR, else `../shared/data` next to the source tree
/// ($EMOFUSE_SOURCE_DIR/../shared/data when set, else ../shared/data from the working directory).
std::string data_dir();

/// Long computations call check_interrupt() at safe points (the trainer, before every batch). It
/// runs the check a host installed with set_interrupt_check, which stops the computation by
/// throwing Interrupted (core/error.h). The Python module installs one that does so after Ctrl-C,
/// and Python then sees its KeyboardInterrupt. The command-line tool installs none: a signal ends
/// the process, and --resume continues from the last checkpoint. An empty function removes it.
void set_interrupt_check(std::function<void()> check);
void check_interrupt();

/// Name of the BLAS library LibTorch's process resolved (e.g. "libopenblas", "libblas"), for logs.
std::string blas_library_name();

}  // namespace emofuse
