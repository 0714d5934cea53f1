// Shared helpers for the tests: temporary folders and the real-data folder.
#pragma once

#include <string>

#include "data/dataset.h"

namespace emofuse::testutil {

/// A fresh, empty temporary folder removed when the object goes out of scope.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

/// Path of `relative` under the real-data folder (EMOFUSE_DATA_DIR or ../shared/data), or "" when
/// it does not exist (callers GTEST_SKIP with a message).
std::string real_data_path(const std::string& relative);

/// A small synthetic cohort (subjects x clips x seconds), deterministic.
data::MultimodalDataset tiny_cohort(int64_t subjects = 4, int64_t clips = 6, int64_t seconds = 3, uint64_t seed = 0);

/// Writes `text` to `path`.
void write_file(const std::string& path, const std::string& text);

}  // namespace emofuse::testutil
