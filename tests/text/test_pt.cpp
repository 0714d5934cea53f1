#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>

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

// The DataError message of reading `path` with `read` ("no error" when it reads).
std::string error_of(const fs::path& path, torch::Tensor (*read)(const std::string&) = read_pt_matrix) {
  try {
    read(path.string());
  } catch (const emofuse::DataError& e) {
    return e.what();
  }
  return "no error";
}

void write_bytes(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string saved_bytes(const c10::IValue& value) {
  const auto bytes = torch::pickle_save(value);
  return std::string(bytes.begin(), bytes.end());
}

uint32_t crc32_of(const std::string& data) {
  uint32_t c = 0xFFFFFFFFu;
  for (unsigned char byte : data) {
    c ^= byte;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
  }
  return c ^ 0xFFFFFFFFu;
}

void put_le32(std::string& bytes, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) bytes[at + i] = static_cast<char>((v >> (8 * i)) & 0xFF);
}

uint32_t le16(const std::string& bytes, size_t at) {
  return static_cast<unsigned char>(bytes[at]) | (static_cast<unsigned char>(bytes[at + 1]) << 8);
}

// Offset of the local header of record `name` in a torch.save archive, and of its data.
size_t local_header_of(const std::string& zip, const std::string& name) {
  for (size_t header = zip.find(std::string("PK\x03\x04", 4)); header != std::string::npos;
       header = zip.find(std::string("PK\x03\x04", 4), header + 4)) {
    if (zip.compare(header + 30, le16(zip, header + 26), name) == 0) return header;
  }
  ADD_FAILURE() << "no record " << name;
  return 0;
}
size_t data_of(const std::string& zip, size_t header) {
  return header + 30 + le16(zip, header + 26) + le16(zip, header + 28);
}

std::string record_of(const std::string& zip, const std::string& name, size_t length) {
  return zip.substr(data_of(zip, local_header_of(zip, name)), length);
}

// Replaces the content of record `name` by `content` of the same length and, unless `keep_crc`,
// writes its new CRC-32 into the local header and the central directory, so that only what the
// test changes is wrong.
std::string with_record(std::string zip, const std::string& name, const std::string& content, bool keep_crc = false) {
  const size_t header = local_header_of(zip, name);
  zip.replace(data_of(zip, header), content.size(), content);
  if (!keep_crc) {
    put_le32(zip, header + 14, crc32_of(content));
    const std::string central("PK\x01\x02", 4);
    for (size_t at = zip.find(central); at != std::string::npos; at = zip.find(central, at + 4)) {
      if (zip.compare(at + 46, le16(zip, at + 28), name) == 0) put_le32(zip, at + 16, crc32_of(content));
    }
  }
  return zip;
}

}  // namespace

// Every dtype and layout that torch.save writes comes back as LibTorch's own unpickler reads it:
// same dtype, sizes, strides, storage offset and values.
TEST(PtTensor, ReadsWhatLibTorchsUnpicklerReads) {
  const auto path = temp_file("layouts.pt");
  torch::manual_seed(0);
  const auto base = torch::randn({4, 6}, torch::kFloat64);
  const std::vector<torch::Tensor> cases = {
      base.to(torch::kFloat32),
      base,
      base.to(torch::kFloat16),
      base.to(torch::kBFloat16),
      (base * 100).to(torch::kInt64),
      (base * 100).to(torch::kInt32),
      (base * 10).to(torch::kInt16),
      (base * 10).to(torch::kInt8),
      (base.abs() * 10).to(torch::kUInt8),
      base > 0,
      base.to(torch::kFloat32).t(),              // transposed: strides (1, 6)
      base.to(torch::kFloat32).narrow(0, 1, 2),  // storage offset 6
      base.to(torch::kFloat32).select(1, 2),     // 1-D, stride 6, offset 2
      torch::zeros({0, 5}),                      // no rows
      torch::tensor(3.5),                        // 0-D
      torch::arange(1000, torch::kFloat32).view({10, 100}),
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE("case " + std::to_string(i));
    const auto bytes = torch::pickle_save(cases[i]);
    write_bytes(path, std::string(bytes.begin(), bytes.end()));
    const auto expected = torch::pickle_load(bytes).toTensor();
    const auto got = read_pt_tensor(path.string());
    EXPECT_EQ(got.scalar_type(), expected.scalar_type());
    EXPECT_EQ(got.sizes(), expected.sizes());
    EXPECT_EQ(got.strides(), expected.strides());
    EXPECT_EQ(got.storage_offset(), expected.storage_offset());
    EXPECT_TRUE(torch::equal(got, cases[i]));
  }
  fs::remove(path);
}

// Damaged or crafted archives end in a DataError naming the file and what is wrong, before any
// allocation is sized from them.
TEST(PtTensor, DamagedOrCraftedArchivesAreRejected) {
  const auto path = temp_file("crafted.pt");
  const auto good = saved_bytes(torch::arange(6, torch::kFloat32).view({2, 3}));
  auto expect_error = [&](const std::string& bytes, const std::string& needle) {
    write_bytes(path, bytes);
    const auto message = error_of(path, read_pt_tensor);
    EXPECT_NE(message.find(needle), std::string::npos) << message;
    EXPECT_NE(message.find(path.string()), std::string::npos) << message;
  };
  write_bytes(path, good);
  ASSERT_EQ(error_of(path, read_pt_tensor), "no error");
  // Python names the folder after the file (torch.save(t, "train01.pt") -> train01/data.pkl).
  auto renamed = good;
  for (auto at = renamed.find("archive/"); at != std::string::npos; at = renamed.find("archive/", at)) {
    renamed.replace(at, 8, "train01/");
  }
  write_bytes(path, renamed);
  EXPECT_TRUE(torch::equal(read_pt_tensor(path.string()), torch::arange(6, torch::kFloat32).view({2, 3})));

  // One bit of the tensor data flipped: the CRC-32 no longer matches.
  auto data = record_of(good, "archive/data/0", 24);
  data[5] ^= 0x10;
  expect_error(with_record(good, "archive/data/0", data, /*keep_crc=*/true),
               "record 'archive/data/0': cannot read a tensor saved by torch.save: CRC-32 mismatch");

  const auto pickle = record_of(good, "archive/data.pkl", 146);
  // The string 'storage' claims 2 GB (BINUNICODE length at byte 40): checked against what is left.
  auto long_string = pickle;
  ASSERT_EQ(long_string[39], 'X');
  put_le32(long_string, 40, 0x7FFFFFFFu);
  expect_error(with_record(good, "archive/data.pkl", long_string), "longer than the rest of the pickle");

  // Sizes (2, 3) -> (2, 9): the view would read past the 6-element storage.
  auto too_big = pickle;
  ASSERT_EQ(too_big[105], 3);  // BININT1 3 in the sizes tuple
  too_big[105] = 9;
  expect_error(with_record(good, "archive/data.pkl", too_big), "reach past its storage of 6 elements");

  // The storage declares 7 elements but its record holds 6 x 4 bytes.
  auto numel = pickle;
  ASSERT_EQ(numel[94], 6);  // BININT1 6, the storage's element count
  numel[94] = 7;
  expect_error(with_record(good, "archive/data.pkl", numel), "24 bytes, but the pickle declares 7 elements");

  // An opcode a saved tensor never uses (APPENDS) in place of the final REDUCE.
  auto other = pickle;
  other[144] = 'e';
  expect_error(with_record(good, "archive/data.pkl", other), "expected one tensor");

  // Not a zip archive; the end-of-directory record cut off.
  expect_error("PK\x03\x04" + std::string(40, 'x'), "no zip end-of-directory record");
  expect_error("\x80\x02legacy", "not a zip archive");
  expect_error(good.substr(0, good.size() - 10), "no zip end-of-directory record");
  fs::remove(path);
}

// The inputs with which the fuzzer made LibTorch's unpickler allocate 1.9 GB, run for minutes or
// leak (docs/robustness.md, findings) are rejected with a DataError.
TEST(PtTensor, FuzzerFindingsAreRejected) {
  const fs::path dir = EMOFUSE_PT_REGRESSIONS;
  size_t replayed = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    SCOPED_TRACE(entry.path().string());
    EXPECT_THROW(read_pt_tensor(entry.path().string()), emofuse::DataError);
    ++replayed;
  }
  EXPECT_EQ(replayed, 3u);
}

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
  EXPECT_NE(error_of(path).find("field 'dtype': expected a floating-point tensor, got Long"), std::string::npos)
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
  EXPECT_NE(error_of(path).find("cannot read a tensor saved by torch.save"), std::string::npos) << error_of(path);
  EXPECT_NE(error_of(path).find(path.string()), std::string::npos);  // names the file
  {
    std::ofstream out(path, std::ios::binary);  // empty file
  }
  EXPECT_NE(error_of(path).find("empty file"), std::string::npos) << error_of(path);
  EXPECT_NE(error_of(temp_file("missing.pt")).find("file not found"), std::string::npos);
  fs::remove(path);
}
