#include "core/runtime.h"

#include <dlfcn.h>
#include <link.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <thread>
#include <utility>

#include "core/error.h"

namespace emofuse {

namespace {
int hardware_threads() {
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}
}  // namespace

int max_thread_count() {
  return std::max(4, 4 * hardware_threads());
}

void validate_thread_count(int threads, const std::string& option) {
  require_option(threads >= 0 && threads <= max_thread_count(), option,
                 "must be between 0 (all cores) and " + std::to_string(max_thread_count()) + " (4x the " +
                     std::to_string(hardware_threads()) + " hardware threads), got " + std::to_string(threads));
}

int set_thread_count(int threads) {
  validate_thread_count(threads);
  if (threads == 0) threads = hardware_threads();
  torch::set_num_threads(threads);
  // Debian's LibTorch calls the generic libblas.so.3; when OpenBLAS provides it, its own thread
  // pool defaults to every core whatever LibTorch was told. Apply the same count to it, looked up
  // at run time (absent with the reference BLAS).
  using SetThreads = void (*)(int);
  if (auto set_blas_threads = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) {
    set_blas_threads(threads);
  }
  return torch::get_num_threads();
}

void ensure_passive_omp_wait(char** argv) {
  if (std::getenv("OMP_WAIT_POLICY") != nullptr) return;
  setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
  execv("/proc/self/exe", argv);  // returns only on failure
}

uint64_t seed_everything(uint64_t seed) {
  torch::manual_seed(seed);
  return seed;
}

uint64_t mix_seed(uint64_t a, uint64_t b, uint64_t c) {
  // splitmix64 finaliser applied to a running combination.
  auto mix = [](uint64_t z) {
    z += 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  };
  return mix(mix(mix(a) ^ b) ^ c) & 0x7FFFFFFFFFFFFFFFULL;  // torch seeds are taken as int64
}

std::string data_dir() {
  if (const char* env = std::getenv("EMOFUSE_DATA_DIR"); env && *env) return env;
  if (const char* src = std::getenv("EMOFUSE_SOURCE_DIR"); src && *src) {
    return (std::filesystem::path(src) / ".." / "shared" / "data").lexically_normal().string();
  }
  return "../shared/data";
}

std::string blas_library_name() {
  std::string found = "unknown";
  dl_iterate_phdr(
      [](struct dl_phdr_info* info, size_t, void* out) {
        std::string name = info->dlpi_name ? info->dlpi_name : "";
        auto* result = static_cast<std::string*>(out);
        for (const char* blas : {"openblas", "libblas", "mkl", "blis"}) {
          if (name.find(blas) != std::string::npos) {
            *result = std::filesystem::path(name).filename().string();
            // A symlink such as libblas.so.3 may point at OpenBLAS (Debian alternatives).
            std::error_code ec;
            auto real = std::filesystem::canonical(name, ec);
            if (!ec) *result += " -> " + real.string();
            return 1;
          }
        }
        return 0;
      },
      &found);
  return found;
}

namespace {
std::function<void()>& interrupt_check() {
  static std::function<void()> check;
  return check;
}
}  // namespace

void set_interrupt_check(std::function<void()> check) {
  interrupt_check() = std::move(check);
}

void check_interrupt() {
  if (interrupt_check()) interrupt_check()();
}

}  // namespace emofuse
