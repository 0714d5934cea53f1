#include "core/digest.h"

#include <cstdio>
#include <fstream>
#include <vector>

#include "core/error.h"

namespace emofuse {

void Fnv1aDigest::add(const void* data, size_t size) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < size; ++i) {
    hash_ ^= p[i];
    hash_ *= 1099511628211ull;
  }
}

void Fnv1aDigest::add(const std::string& text) {
  const uint64_t size = text.size();
  add(&size, sizeof(size));
  add(text.data(), text.size());
}

void Fnv1aDigest::add(const torch::Tensor& tensor) {
  if (!tensor.defined()) {
    add(std::string("undefined"));
    return;
  }
  auto t = tensor.contiguous().cpu();
  add(std::string(c10::toString(t.scalar_type())));
  for (auto s : t.sizes()) add(&s, sizeof(s));
  add(t.data_ptr(), t.nbytes());
}

std::string Fnv1aDigest::hex() const {
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(hash_));
  return buf;
}

std::string file_digest(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw DataError(path, "", "cannot open file");
  Fnv1aDigest digest;
  std::vector<char> buffer(1 << 16);
  while (in.read(buffer.data(), static_cast<std::streamsize>(buffer.size())) || in.gcount() > 0) {
    digest.add(buffer.data(), static_cast<size_t>(in.gcount()));
  }
  return digest.hex();
}

}  // namespace emofuse
