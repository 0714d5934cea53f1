// Content digests (src/core/digest.h): FNV-1a over 64 bits.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "core/digest.h"
#include "core/error.h"
#include "test_util.h"

using namespace emofuse;

namespace {

uint64_t value_of(const Fnv1aDigest& d) {
  return std::stoull(d.hex(), nullptr, 16);
}

std::string digest_of_bytes(const std::string& bytes) {
  Fnv1aDigest d;
  d.add(bytes.data(), bytes.size());
  return d.hex();
}

}  // namespace

// Each byte b takes the hash h to (h XOR b) * 1099511628211 (mod 2^64), from whatever the
// starting value is: checked here for "a" (0x61) and then "b" (0x62), by hand.
TEST(Fnv1aDigest, EachByteIsXoredThenMultipliedByThePrime) {
  const uint64_t prime = 1099511628211ull;
  Fnv1aDigest empty;
  const uint64_t start = value_of(empty);
  Fnv1aDigest a;
  a.add("a", 1);
  EXPECT_EQ(value_of(a), (start ^ 0x61u) * prime);
  Fnv1aDigest ab;
  ab.add("ab", 2);
  EXPECT_EQ(value_of(ab), (((start ^ 0x61u) * prime) ^ 0x62u) * prime);
  // Fed piece by piece or at once: the same bytes give the same digest.
  Fnv1aDigest pieces;
  pieces.add("a", 1);
  pieces.add("b", 1);
  EXPECT_EQ(pieces.hex(), ab.hex());
  EXPECT_EQ(ab.hex().size(), 16u);
  EXPECT_EQ(ab.hex().find_first_not_of("0123456789abcdef"), std::string::npos) << ab.hex();
}

TEST(Fnv1aDigest, StringsAreLengthPrefixed) {
  Fnv1aDigest ab_c, a_bc;
  ab_c.add(std::string("ab"));
  ab_c.add(std::string("c"));
  a_bc.add(std::string("a"));
  a_bc.add(std::string("bc"));
  EXPECT_NE(ab_c.hex(), a_bc.hex());
  // The prefix is the length as 8 bytes, then the characters.
  Fnv1aDigest by_hand;
  const uint64_t three = 3;
  by_hand.add(&three, sizeof(three));
  by_hand.add("abc", 3);
  Fnv1aDigest text;
  text.add(std::string("abc"));
  EXPECT_EQ(text.hex(), by_hand.hex());
}

TEST(Fnv1aDigest, TensorsDifferByDtypeShapeOrValuesNotByLayout) {
  auto hex = [](const torch::Tensor& t) {
    Fnv1aDigest d;
    d.add(t);
    return d.hex();
  };
  const auto x = torch::arange(6, torch::kFloat).view({2, 3});
  EXPECT_EQ(hex(x), hex(x.clone()));
  EXPECT_EQ(hex(x.t()), hex(x.t().contiguous()));  // a transposed view digests its values in order
  EXPECT_NE(hex(x), hex(x.view({3, 2})));          // same bytes, other shape
  EXPECT_NE(hex(x), hex(x.to(torch::kDouble)));    // same values, other dtype
  auto y = x.clone();
  y[1][2] = 5.5;
  EXPECT_NE(hex(x), hex(y));
  Fnv1aDigest undefined, word;
  undefined.add(torch::Tensor());
  word.add(std::string("undefined"));
  EXPECT_EQ(undefined.hex(), word.hex());
}

TEST(FileDigest, DigestOfTheFileBytesAndAClearErrorWhenMissing) {
  testutil::TempDir dir;
  std::string bytes(200000, 'x');  // more than one 64 KiB read
  bytes[123456] = '\0';
  bytes.back() = 'y';
  testutil::write_file(dir.file("f.bin"), bytes);
  EXPECT_EQ(file_digest(dir.file("f.bin")), digest_of_bytes(bytes));
  testutil::write_file(dir.file("empty.bin"), "");
  EXPECT_EQ(file_digest(dir.file("empty.bin")), Fnv1aDigest().hex());
  EXPECT_EQ(testutil::error_message<DataError>([&] { file_digest(dir.file("none.bin")); }),
            dir.file("none.bin") + ": cannot open file");
}
