// NumPy arrays <-> LibTorch tensors for the Python module, zero-copy where the layout allows.
//
//   tensor_view(array, dtype, name)  a tensor on the array's own memory when it already has the
//                                    dtype and a C-contiguous layout, else on a converted copy; it
//                                    is valid only while the py::array it returns beside it lives
//                                    (keep ArrayTensor alive for the call; clone what outlives it)
//   to_numpy(tensor)                 an array on the tensor's memory (no copy for contiguous
//                                    tensors); the array keeps the tensor alive
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <torch/torch.h>

#include <string>

namespace emofuse::python {

namespace py = pybind11;

/// A tensor viewing a NumPy array, and the array that owns the memory.
struct ArrayTensor {
  py::array array;
  torch::Tensor tensor;
};

/// `value` (a NumPy array or anything np.asarray accepts) as a tensor of `dtype` (kFloat32,
/// kFloat64 or kInt64). No copy when it is already a C-contiguous array of that dtype; otherwise
/// NumPy converts it (floats to float32, integral floats to int64). Throws DataError naming `name`
/// when it cannot be converted (strings, ragged lists, fractional values for an int64 field).
ArrayTensor tensor_view(const py::handle& value, torch::ScalarType dtype, const std::string& name);

/// The tensor's values as a NumPy array of the same dtype and shape, sharing its memory (a
/// contiguous copy first when it is not contiguous). The array holds a reference to the tensor.
py::array to_numpy(const torch::Tensor& tensor);

}  // namespace emofuse::python
