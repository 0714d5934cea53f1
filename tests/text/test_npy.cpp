#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "text/npy.h"

namespace fs = std::filesystem;
using emofuse::text::read_npy;
using emofuse::text::write_npy;

namespace {

fs::path temp_file(const std::string& name) {
  return fs::temp_directory_path() / ("emofuse_npy_" + std::to_string(::getpid()) + "_" + name);
}

// Writes a version-1.0 .npy with an arbitrary header dict and `payload` bytes.
void write_raw_npy(const fs::path& path, const std::string& dict, const std::string& payload) {
  std::string header = dict;
  while ((10 + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::ofstream out(path, std::ios::binary);
  out.write("\x93NUMPY\x01\x00", 8);
  const char len[2] = {static_cast<char>(header.size() & 0xFF), static_cast<char>(header.size() >> 8)};
  out.write(len, 2);
  out << header << payload;
}

std::string error_of(const fs::path& path) {
  try {
    read_npy(path.string());
  } catch (const emofuse::DataError& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST(Npy, RoundTripFloat32AndFloat64) {
  const std::vector<double> values = {0.5, -1.25, 3.0, 1e-3, 7.0, -0.0};
  for (bool f64 : {false, true}) {
    const auto path = temp_file(f64 ? "f8.npy" : "f4.npy");
    write_npy(path.string(), {2, 3}, values, f64);
    const auto array = read_npy(path.string());
    EXPECT_EQ(array.dtype, f64 ? "<f8" : "<f4");
    EXPECT_EQ(array.shape, (std::vector<int64_t>{2, 3}));
    ASSERT_EQ(array.data.size(), values.size());
    for (size_t i = 0; i < values.size(); ++i) {
      EXPECT_NEAR(array.data[i], values[i], f64 ? 0.0 : 1e-7);
    }
    fs::remove(path);
  }
  // 1-D shape "(3,)" and the header padding to a multiple of 64 bytes.
  const auto path = temp_file("vec.npy");
  write_npy(path.string(), {3}, {1, 2, 3});
  EXPECT_EQ(read_npy(path.string()).shape, (std::vector<int64_t>{3}));
  EXPECT_EQ((fs::file_size(path) - 3 * 4) % 64, 0u);
  fs::remove(path);
}

TEST(Npy, ReadsHandWrittenHeader) {
  // As numpy writes it: "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 1), }".
  const auto path = temp_file("hand.npy");
  const float v[2] = {1.5f, -2.0f};
  write_raw_npy(path, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 1), }",
                std::string(reinterpret_cast<const char*>(v), sizeof(v)));
  const auto array = read_npy(path.string());
  EXPECT_EQ(array.shape, (std::vector<int64_t>{2, 1}));
  EXPECT_EQ(array.data, (std::vector<double>{1.5, -2.0}));
  fs::remove(path);
}

TEST(Npy, ClearErrors) {
  const auto path = temp_file("bad.npy");
  const std::string eight_bytes(8, '\0');
  {
    std::ofstream out(path, std::ios::binary);
    out << "not numpy";
  }
  EXPECT_NE(error_of(path).find("magic"), std::string::npos) << error_of(path);

  write_raw_npy(path, "{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }", eight_bytes);
  EXPECT_NE(error_of(path).find("fortran_order"), std::string::npos) << error_of(path);

  write_raw_npy(path, "{'descr': '<i8', 'fortran_order': False, 'shape': (1,), }", eight_bytes);
  EXPECT_NE(error_of(path).find("unsupported dtype '<i8'"), std::string::npos) << error_of(path);

  write_raw_npy(path, "{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", eight_bytes);
  EXPECT_NE(error_of(path).find("'>f4'"), std::string::npos) << error_of(path);

  write_raw_npy(path, "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", eight_bytes);
  EXPECT_NE(error_of(path).find("expected 3 values"), std::string::npos) << error_of(path);

  write_raw_npy(path, "{'descr': '<f4', 'fortran_order': False}", eight_bytes);
  EXPECT_NE(error_of(path).find("'shape'"), std::string::npos) << error_of(path);

  EXPECT_NE(error_of(temp_file("missing.npy")).find("cannot open"), std::string::npos);
  // The message names the file.
  EXPECT_NE(error_of(path).find(path.string()), std::string::npos);
  fs::remove(path);
}

// Sizes announced by a corrupt file are checked against the file before anything is allocated
// (found by fuzz_npy: a 4 GiB header length, and a shape whose product overflows int64).
TEST(Npy, AnnouncedSizesCheckedAgainstTheFile) {
  const auto path = temp_file("huge.npy");
  {
    // Version 2.0: a 4-byte header length, here 0xFFFFFFF0, followed by 10 bytes.
    std::ofstream out(path, std::ios::binary);
    out.write("\x93NUMPY\x02\x00\xF0\xFF\xFF\xFF", 12);
    out << "{'descr': ";
  }
  EXPECT_NE(error_of(path).find("4294967280 bytes announced, 10 left"), std::string::npos) << error_of(path);
  EXPECT_NE(error_of(path).find(path.string()), std::string::npos);

  const std::string eight_bytes(8, '\0');
  write_raw_npy(path, "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296), }", eight_bytes);
  EXPECT_NE(error_of(path).find("field 'shape': (4294967296, 4294967296) holds more values"), std::string::npos)
      << error_of(path);

  write_raw_npy(path, "{'descr': '<f8', 'fortran_order': False, 'shape': (100000000, 3), }", eight_bytes);
  EXPECT_NE(error_of(path).find("data: expected 300000000 values of 8 bytes, file is shorter (8 "
                                "bytes of data)"),
            std::string::npos)
      << error_of(path);
  fs::remove(path);
}
