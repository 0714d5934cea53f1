#include "test_util.h"

#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "core/runtime.h"
#include "data/synthetic.h"

namespace fs = std::filesystem;

namespace emofuse::testutil {
namespace {

// LibTorch seeds its default generator from a random device, so a test that draws random
// tensors without seeding would see different values on every run (and differently under ctest,
// one process per test, than in one process). Seed before every test: each test is repeatable.
class SeedEveryTest : public ::testing::EmptyTestEventListener {
  void OnTestStart(const ::testing::TestInfo&) override { torch::manual_seed(0); }
};

const bool kSeedListenerInstalled = [] {
  ::testing::UnitTest::GetInstance()->listeners().Append(new SeedEveryTest);
  return true;
}();

}  // namespace

TempDir::TempDir() {
  std::string pattern = (fs::temp_directory_path() / "emofuse_test_XXXXXX").string();
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  path_ = mkdtemp(buf.data());
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

std::string real_data_path(const std::string& relative) {
  auto p = fs::path(data_dir()) / relative;
  return fs::exists(p) ? p.string() : "";
}

data::MultimodalDataset tiny_cohort(int64_t subjects, int64_t clips, int64_t seconds, uint64_t seed) {
  data::SyntheticOptions o;
  o.subjects = subjects;
  o.clips = clips;
  o.seconds = seconds;
  o.seed = seed;
  return data::make_synthetic_cohort(o).dataset;
}

void write_file(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

}  // namespace emofuse::testutil
