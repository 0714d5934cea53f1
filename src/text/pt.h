// Reader for tensors saved by Python's torch.save (the zip format of PyTorch >= 1.6) or by
// torch::pickle_save in C++, used for precomputed utterance features (RoBERTa, wav2vec, ...).
#pragma once

#include <torch/torch.h>

#include <string>

namespace emofuse::text {

/// Reads the single tensor stored in `path` (torch.save(tensor, path)) with emofuse's own parser
/// of that format (zip directory, CRC-32 of every record read, the pickle opcodes of a saved
/// tensor; see pt.cpp), not LibTorch's general unpickler. The tensor keeps its dtype, sizes and
/// strides. Throws emofuse::DataError naming the file (and the record) when it is missing,
/// truncated, damaged, not in the zip format (legacy `_use_new_zipfile_serialization=False`
/// files), or holds something other than one tensor (e.g. a dict: save the tensor itself).
torch::Tensor read_pt_tensor(const std::string& path);

/// Reads a feature matrix [N, F] from `path` (read_pt_tensor) as contiguous float32. Throws
/// emofuse::DataError(path, "field 'shape'" / "field 'dtype'", ...) when the tensor is not 2-D,
/// has no feature column or is not floating point, or when it holds NaN or Inf.
torch::Tensor read_pt_matrix(const std::string& path);

}  // namespace emofuse::text
