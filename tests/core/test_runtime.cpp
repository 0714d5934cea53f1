// Process-wide runtime settings (src/core/runtime.h): thread counts, seeds, the data folder.
#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>
#include <string>
#include <thread>

#include "core/error.h"
#include "core/runtime.h"
#include "test_util.h"

using namespace emofuse;

namespace {

// Sets (or, with nullopt, unsets) an environment variable for one scope, then restores it.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, std::optional<std::string> value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value)
      setenv(name, value->c_str(), 1);
    else
      unsetenv(name);
  }
  ~ScopedEnv() {
    if (old_)
      setenv(name_, old_->c_str(), 1);
    else
      unsetenv(name_);
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

}  // namespace

TEST(ThreadCount, LimitIsFourTimesTheHardwareThreadsAtLeastFour) {
  const int hardware = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  EXPECT_EQ(max_thread_count(), std::max(4, 4 * hardware));
}

TEST(ThreadCount, OutOfRangeCountsNameTheOptionAndTheRange) {
  const int max = max_thread_count();
  EXPECT_NO_THROW(validate_thread_count(0));
  EXPECT_NO_THROW(validate_thread_count(max));
  const std::string range = "must be between 0 (all cores) and " + std::to_string(max);
  for (int bad : {-1, max + 1}) {
    const auto message = testutil::error_message<OptionError>([&] { validate_thread_count(bad, "training.threads"); });
    EXPECT_EQ(message.rfind("option 'training.threads': " + range, 0), 0u) << message;
    EXPECT_NE(message.find("got " + std::to_string(bad)), std::string::npos) << message;
  }
  EXPECT_EQ(testutil::error_message<OptionError>([] { set_thread_count(-3); }).rfind("option 'threads': ", 0), 0u);
}

TEST(ThreadCount, SetThreadCountAppliesTheCount) {
  const int before = torch::get_num_threads();
  EXPECT_EQ(set_thread_count(1), 1);
  EXPECT_EQ(torch::get_num_threads(), 1);
  set_thread_count(before);
  EXPECT_EQ(torch::get_num_threads(), before);
}

TEST(Seeds, SeedEverythingMakesLibTorchRepeatable) {
  EXPECT_EQ(seed_everything(42), 42u);
  const auto a = torch::randn({5});
  seed_everything(42);
  EXPECT_TRUE(torch::equal(a, torch::randn({5})));
  seed_everything(43);
  EXPECT_FALSE(torch::equal(a, torch::randn({5})));
}

// splitmix64's finaliser, z += 0x9E3779B97F4A7C15, then two xor-shift-multiply rounds and a final
// xor-shift, applied as mix(mix(mix(a) ^ b) ^ c) and masked to 63 bits. The two values were
// worked out step by step outside this code (Python integers, the same constants); the first
// step from 0 is splitmix64's well-known first output 0xE220A8397B1DCDAF.
TEST(Seeds, MixSeedMatchesSplitmix64ByHand) {
  EXPECT_EQ(mix_seed(0, 0, 0), 2558736989570252433ull);
  EXPECT_EQ(mix_seed(1, 2, 3), 5797055558538453683ull);
  EXPECT_EQ(mix_seed(1, 2), mix_seed(1, 2, 0));
  EXPECT_NE(mix_seed(1, 2), mix_seed(2, 1));  // order matters
  for (uint64_t a : {0ull, 1ull, 0xFFFFFFFFFFFFFFFFull}) {
    EXPECT_EQ(mix_seed(a, 7, 9) >> 63, 0u) << "torch seeds are read as int64";
  }
}

TEST(DataDir, EnvironmentOverridesSourceDirOverridesDefault) {
  {
    ScopedEnv data("EMOFUSE_DATA_DIR", "/data/here");
    ScopedEnv source("EMOFUSE_SOURCE_DIR", "/src/emofuse");
    EXPECT_EQ(data_dir(), "/data/here");
  }
  {
    ScopedEnv data("EMOFUSE_DATA_DIR", std::nullopt);
    ScopedEnv source("EMOFUSE_SOURCE_DIR", "/src/emofuse");
    EXPECT_EQ(data_dir(), "/src/shared/data");
  }
  {
    ScopedEnv data("EMOFUSE_DATA_DIR", "");  // empty counts as unset
    ScopedEnv source("EMOFUSE_SOURCE_DIR", std::nullopt);
    EXPECT_EQ(data_dir(), "../shared/data");
  }
}

TEST(BlasLibraryName, NamesALibrary) {
  EXPECT_FALSE(blas_library_name().empty());
}
