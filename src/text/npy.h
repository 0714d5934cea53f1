// Minimal reader/writer for NumPy .npy files (format versions 1.0-3.0), used for precomputed
// utterance features (e.g. embeddings exported from Python with np.save).
//
// Supported: little-endian float32 ('<f4') and float64 ('<f8'), C order, any rank. Anything else
// (Fortran order, big-endian, integer or object arrays, truncated data) is rejected with an
// emofuse::DataError naming the file and the header field.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace emofuse::text {

/// An array read from .npy: values converted to double, row-major.
struct NpyArray {
  std::vector<int64_t> shape;  ///< e.g. {N, D}; {} for a scalar
  std::vector<double> data;    ///< prod(shape) values in C order
  std::string dtype;           ///< the file's descr, "<f4" or "<f8"
  int64_t numel() const;
};

/// Reads `path`. Throws emofuse::DataError(path, field, what) on any format problem.
NpyArray read_npy(const std::string& path);

/// Writes `values` (prod(shape) values, C order) as a version-1.0 .npy file with descr '<f4'
/// (`float64 = false`) or '<f8'. Throws emofuse::Error when the file cannot be written.
void write_npy(const std::string& path, const std::vector<int64_t>& shape, const std::vector<double>& values,
               bool float64 = false);

}  // namespace emofuse::text
