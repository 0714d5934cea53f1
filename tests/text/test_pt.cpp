#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <limits>

#include "core/error.h"
#include "text/pt.h"

namespace fs = std::filesystem;
using emofuse::text::read_pt_matrix;
using emofuse::text::read_pt_tensor;

namespace {

fs::path temp_file(const std::string& name) {
  return fs::temp_directory_path() / ("emofuse_pt_" + std::to_string(::getpid()) + "_" + name);
}

// What Python's torch.save(value, path) writes: torch::pickle_save produces the same zip archive
// (archive/data.pkl + archive/data/<storage>), see torch/csrc/jit/serialization/pickle.h.
void save(const fs::path& path, const c10::IValue& value) {
  const auto bytes = torch::pickle_save(value);
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string error_of(const fs::path& path) {
  try {
    read_pt_matrix(path.string());
  } catch (const emofuse::DataError& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST(PtTensor, RoundTripOfTorchSaveFormat) {
  const auto path = temp_file("feats.pt");
  // Float64 [3, 4] with values 10 r + c; read back as float32 with the same values.
  auto x = (10 * torch::arange(3, torch::kDouble).unsqueeze(1) + torch::arange(4, torch::kDouble));
  save(path, x);
  {
    std::ifstream in(path, std::ios::binary);
    char magic[4] = {};
    in.read(magic, 4);
    EXPECT_EQ(std::string(magic, 4), std::string("PK\x03\x04", 4));  // a zip archive, as torch.save
  }
  const auto raw = read_pt_tensor(path.string());
  EXPECT_EQ(raw.scalar_type(), torch::kDouble);
  EXPECT_TRUE(torch::equal(raw, x));
  const auto m = read_pt_matrix(path.string());
  EXPECT_EQ(m.scalar_type(), torch::kFloat32);
  ASSERT_EQ(m.sizes(), (std::vector<int64_t>{3, 4}));
  EXPECT_FLOAT_EQ(m[2][3].item<float>(), 23.0f);
  EXPECT_TRUE(m.is_contiguous());

  // A non-contiguous view (a transpose) is saved with its strides and read back by value.
  auto t = torch::arange(6, torch::kFloat32).view({2, 3}).t();  // [3, 2]
  save(path, t);
  EXPECT_TRUE(torch::equal(read_pt_matrix(path.string()), t.contiguous()));
  fs::remove(path);
}

TEST(PtTensor, ClearErrors) {
  const auto path = temp_file("bad.pt");
  save(path, torch::ones({2, 3, 4}));
  EXPECT_NE(error_of(path).find("field 'shape': expected a 2-D tensor [N, F] with F >= 1, got "
                                "[2, 3, 4]"),
            std::string::npos)
      << error_of(path);
  save(path, torch::ones({5}));
  EXPECT_NE(error_of(path).find("got [5]"), std::string::npos) << error_of(path);
  save(path, torch::ones({2, 2}, torch::kLong));
  EXPECT_NE(error_of(path).find("field 'dtype': expected a floating-point tensor, got Long"),
            std::string::npos)
      << error_of(path);
  auto nan = torch::zeros({3, 2});
  nan[1][0] = std::numeric_limits<float>::quiet_NaN();
  save(path, nan);
  EXPECT_NE(error_of(path).find("row 1: NaN or Inf"), std::string::npos) << error_of(path);

  c10::impl::GenericDict dict(c10::StringType::get(), c10::TensorType::get());
  dict.insert("features", torch::ones({2, 2}));
  save(path, dict);
  EXPECT_NE(error_of(path).find("expected one tensor"), std::string::npos) << error_of(path);

  // Truncated: the first half of a valid file (the zip's central directory is lost).
  const auto bytes = torch::pickle_save(torch::ones({4, 4}));
  {
    std::ofstream out(path, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size() / 2));
  }
  EXPECT_NE(error_of(path).find("cannot read a tensor saved by torch.save"), std::string::npos)
      << error_of(path);
  EXPECT_NE(error_of(path).find(path.string()), std::string::npos);  // names the file
  {
    std::ofstream out(path, std::ios::binary);  // empty file
  }
  EXPECT_NE(error_of(path).find("empty file"), std::string::npos) << error_of(path);
  EXPECT_NE(error_of(temp_file("missing.pt")).find("file not found"), std::string::npos);
  fs::remove(path);
}
