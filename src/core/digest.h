// Content digests: FNV-1a over 64 bits, for telling whether two pieces of data (a data set, a
// configuration, a saved file) are the same. Fast and stable across runs and machines; not
// cryptographic: it guards against mix-ups and corruption, not against attacks.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>

namespace emofuse {

/// FNV-1a, 64 bits, fed piece by piece: hash = (hash XOR byte) * 1099511628211 for every byte,
/// starting from 14695981039346656037.
class Fnv1aDigest {
 public:
  /// Adds `size` raw bytes.
  void add(const void* data, size_t size);
  /// Adds a string, length first, so that ("ab", "c") and ("a", "bc") differ.
  void add(const std::string& text);
  /// Adds a tensor's dtype, shape and values (an undefined tensor adds the word "undefined").
  void add(const torch::Tensor& tensor);
  /// The digest as 16 lowercase hex digits.
  std::string hex() const;

 private:
  uint64_t hash_ = 1469598103934665603ull;
};

/// Digest (16 hex digits) of the bytes of the file at `path`; throws emofuse::Error naming the
/// file when it cannot be read.
std::string file_digest(const std::string& path);

}  // namespace emofuse
