#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "core/error.h"
#include "dist/folder_transfer.h"
#include "test_util.h"

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using namespace emofuse;

TEST(FolderTransfer, RoundTripKeepsEveryFileByteForByte) {
  testutil::TempDir dir;
  const fs::path source = fs::path(dir.path()) / "fold";
  fs::create_directories(source / "model");
  const std::string binary = std::string("\0\1\2\n\n3", 6) + std::string(100000, 'x');
  testutil::write_file((source / "metrics.json").string(), "{\"a\": 1}\n");
  testutil::write_file((source / "model" / "weights.pt").string(), binary);
  testutil::write_file((source / "checkpoint.pt").string(), "skip me");
  const std::string packed = dist::pack_folder(source.string(), {"checkpoint.pt"});

  const fs::path target = fs::path(dir.path()) / "copy";
  fs::create_directories(target);
  testutil::write_file((target / "stale.txt").string(), "from before");
  dist::unpack_folder(packed, target.string(), "fold 2 from rank 1");
  EXPECT_EQ(testutil::read_file((target / "metrics.json").string()), "{\"a\": 1}\n");
  EXPECT_EQ(testutil::read_file((target / "model" / "weights.pt").string()), binary);
  EXPECT_FALSE(fs::exists(target / "checkpoint.pt"));
  EXPECT_FALSE(fs::exists(target / "stale.txt")) << "the target is replaced, not merged";
  EXPECT_FALSE(fs::exists(target.string() + ".partial"));
}

TEST(FolderTransferBadInput, MalformedInputIsRejectedAndNothingReplaced) {
  testutil::TempDir dir;
  const fs::path target = fs::path(dir.path()) / "fold";
  fs::create_directories(target);
  testutil::write_file((target / "metrics.json").string(), "kept");
  const std::vector<std::pair<std::string, std::string>> cases{
      {"not a folder", "not a packed folder"},
      {"emofuse-folder 1\nmetrics.json\n100\nshort", "file 'metrics.json': truncated"},
      {"emofuse-folder 1\nmetrics.json\nten\n", "file 'metrics.json': size 'ten' is not a number"},
      {"emofuse-folder 1\n../escape\n1\nx", "file '../escape': unsafe path"},
      {"emofuse-folder 1\n/etc/passwd\n1\nx", "file '/etc/passwd': unsafe path"},
      {"emofuse-folder 1\nmetrics.json", "file path: truncated"},
  };
  for (const auto& item : cases) {
    const std::string& packed = item.first;
    const std::string& expected = item.second;
    SCOPED_TRACE(packed);
    EXPECT_THAT(
        testutil::error_message<DataError>([&] { dist::unpack_folder(packed, target.string(), "fold 2 from rank 1"); }),
        HasSubstr("fold 2 from rank 1: " + expected));
    EXPECT_EQ(testutil::read_file((target / "metrics.json").string()), "kept");
  }
}
