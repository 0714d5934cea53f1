#include "data/mat_io.h"

#include <matio.h>

#include <cstdio>
#include <filesystem>
#include <memory>

#include "core/error.h"

namespace emofuse::data {
namespace {

struct MatCloser {
  void operator()(mat_t* m) const {
    if (m) Mat_Close(m);
  }
};
struct VarFreer {
  void operator()(matvar_t* v) const {
    if (v) Mat_VarFree(v);
  }
};
using MatFile = std::unique_ptr<mat_t, MatCloser>;
using MatVar = std::unique_ptr<matvar_t, VarFreer>;

MatFile open_for_reading(const std::string& path) {
  if (!std::filesystem::exists(path)) throw DataError(path, "", "file not found");
  MatFile mat(Mat_Open(path.c_str(), MAT_ACC_RDONLY));
  if (!mat) throw DataError(path, "", "not a readable MATLAB .mat file (or truncated)");
  return mat;
}

template <typename T>
torch::Tensor column_major_to_tensor(const void* data, int64_t rows, int64_t cols) {
  const T* p = static_cast<const T*>(data);
  auto out = torch::empty({rows, cols}, torch::kFloat64);
  auto acc = out.accessor<double, 2>();
  for (int64_t j = 0; j < cols; ++j) {
    for (int64_t i = 0; i < rows; ++i) acc[i][j] = static_cast<double>(p[i + j * rows]);
  }
  return out;
}

}  // namespace

bool mat_has_variable(const std::string& path, const std::string& name) {
  auto mat = open_for_reading(path);
  MatVar var(Mat_VarReadInfo(mat.get(), name.c_str()));
  return var != nullptr;
}

torch::Tensor read_mat_matrix(const std::string& path, const std::string& name) {
  auto mat = open_for_reading(path);
  const std::string field = "field '" + name + "'";
  MatVar var(Mat_VarRead(mat.get(), name.c_str()));
  if (!var) throw DataError(path, field, "variable missing (or the file is truncated)");
  if (var->rank != 2) throw DataError(path, field, "expected a 2-D matrix, got rank " + std::to_string(var->rank));
  if (var->isComplex) throw DataError(path, field, "complex matrices are not supported");
  if (var->class_type == MAT_C_SPARSE) throw DataError(path, field, "sparse matrices are not supported");
  const int64_t rows = static_cast<int64_t>(var->dims[0]);
  const int64_t cols = static_cast<int64_t>(var->dims[1]);
  if (rows * cols > 0 && var->data == nullptr) throw DataError(path, field, "no data (truncated file?)");
  switch (var->class_type) {
    case MAT_C_DOUBLE: return column_major_to_tensor<double>(var->data, rows, cols);
    case MAT_C_SINGLE: return column_major_to_tensor<float>(var->data, rows, cols);
    case MAT_C_INT8: return column_major_to_tensor<int8_t>(var->data, rows, cols);
    case MAT_C_UINT8: return column_major_to_tensor<uint8_t>(var->data, rows, cols);
    case MAT_C_INT16: return column_major_to_tensor<int16_t>(var->data, rows, cols);
    case MAT_C_UINT16: return column_major_to_tensor<uint16_t>(var->data, rows, cols);
    case MAT_C_INT32: return column_major_to_tensor<int32_t>(var->data, rows, cols);
    case MAT_C_UINT32: return column_major_to_tensor<uint32_t>(var->data, rows, cols);
    case MAT_C_INT64: return column_major_to_tensor<int64_t>(var->data, rows, cols);
    case MAT_C_UINT64: return column_major_to_tensor<uint64_t>(var->data, rows, cols);
    default: throw DataError(path, field, "not a numeric matrix (class " + std::to_string(var->class_type) + ")");
  }
}

void write_mat_matrices(const std::string& path,
                        const std::vector<std::pair<std::string, torch::Tensor>>& variables) {
  const std::string tmp = path + ".partial";
  {
    MatFile mat(Mat_CreateVer(tmp.c_str(), nullptr, MAT_FT_MAT5));
    if (!mat) throw DataError(path, "", "cannot create file");
    for (const auto& [name, tensor] : variables) {
      TORCH_CHECK(tensor.dim() == 2, "write_mat_matrices: '", name, "' must be 2-D");
      // MATLAB is column-major: the transpose's row-major buffer is the column-major original.
      auto col_major = tensor.to(torch::kFloat64).t().contiguous();
      size_t dims[2] = {static_cast<size_t>(tensor.size(0)), static_cast<size_t>(tensor.size(1))};
      MatVar var(Mat_VarCreate(name.c_str(), MAT_C_DOUBLE, MAT_T_DOUBLE, 2, dims,
                               col_major.data_ptr<double>(), MAT_F_DONT_COPY_DATA));
      if (!var || Mat_VarWrite(mat.get(), var.get(), MAT_COMPRESSION_NONE) != 0) {
        mat.reset();
        std::remove(tmp.c_str());
        throw DataError(path, "field '" + name + "'", "cannot write variable");
      }
    }
  }
  std::filesystem::rename(tmp, path);
}

}  // namespace emofuse::data
