#include "python/arrays.h"

#include <cmath>
#include <vector>

#include "core/error.h"

namespace emofuse::python {
namespace {

// "float32", "<U5", ...: NumPy's name of an array's dtype, for messages.
std::string dtype_name(const py::array& array) {
  return py::str(array.dtype()).cast<std::string>();
}

// Checks that a floating-point array holds only whole numbers before it becomes int64 (NumPy's
// cast would truncate 1.5 to 1 without a word).
void require_whole_numbers(const py::array& source, const std::string& name) {
  auto values = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(source);
  const double* data = values.data();
  for (py::ssize_t i = 0; i < values.size(); ++i) {
    if (!std::isfinite(data[i]) || data[i] != std::floor(data[i])) {
      throw DataError(name, "element " + std::to_string(i), "expected a whole number, got " + std::to_string(data[i]));
    }
  }
}

template <typename T>
py::array converted(const py::array& source) {
  return py::array_t<T, py::array::c_style | py::array::forcecast>::ensure(source);
}

}  // namespace

ArrayTensor tensor_view(const py::handle& value, torch::ScalarType dtype, const std::string& name) {
  py::array source = py::array::ensure(value);
  if (!source) throw DataError(name, "", "not convertible to a NumPy array of numbers");
  const char kind = source.dtype().kind();
  if (kind != 'b' && kind != 'i' && kind != 'u' && kind != 'f') {
    throw DataError(name, "", "expected numbers, got an array of dtype " + dtype_name(source));
  }
  py::array array;
  if (dtype == torch::kFloat32) {
    array = converted<float>(source);
  } else if (dtype == torch::kFloat64) {
    array = converted<double>(source);
  } else if (dtype == torch::kInt64) {
    if (kind == 'f') require_whole_numbers(source, name);
    array = converted<int64_t>(source);
  } else {
    throw Error("tensor_view: unsupported dtype for " + name);
  }
  if (!array) throw DataError(name, "", "cannot be converted from dtype " + dtype_name(source));
  std::vector<int64_t> sizes(array.shape(), array.shape() + array.ndim());
  // The memory is NumPy's: the tensor must not outlive `array` (ArrayTensor keeps both).
  auto tensor = torch::from_blob(const_cast<void*>(array.data()), sizes, torch::TensorOptions().dtype(dtype));
  return {array, tensor};
}

py::array to_numpy(const torch::Tensor& tensor) {
  auto* owner = new torch::Tensor(tensor.contiguous());
  py::capsule keep_alive(owner, [](void* p) { delete static_cast<torch::Tensor*>(p); });
  std::vector<py::ssize_t> shape(owner->sizes().begin(), owner->sizes().end());
  std::vector<py::ssize_t> strides;
  for (auto s : owner->strides()) strides.push_back(s * static_cast<py::ssize_t>(owner->element_size()));
  switch (owner->scalar_type()) {
    case torch::kFloat32:
      return py::array(py::dtype::of<float>(), shape, strides, owner->data_ptr<float>(), keep_alive);
    case torch::kFloat64:
      return py::array(py::dtype::of<double>(), shape, strides, owner->data_ptr<double>(), keep_alive);
    case torch::kInt64:
      return py::array(py::dtype::of<int64_t>(), shape, strides, owner->data_ptr<int64_t>(), keep_alive);
    case torch::kBool:
      return py::array(py::dtype::of<bool>(), shape, strides, owner->data_ptr<bool>(), keep_alive);
    default:
      return to_numpy(owner->to(torch::kFloat64));
  }
}

}  // namespace emofuse::python
