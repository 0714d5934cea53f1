// MATLAB v5 .mat matrices through matio: read a named 2-D numeric variable as a double tensor,
// write double matrices. MATLAB stores column-major; these functions return/accept row-major
// [rows, cols] tensors.
#pragma once

#include <torch/torch.h>

#include <string>
#include <utility>
#include <vector>

namespace emofuse::data {

/// Reads variable `name` of the .mat file `path` as a [rows, cols] float64 tensor. Accepts any
/// real numeric class (double, single, integer). Throws DataError naming the file and field when
/// the file cannot be opened, the variable is missing, complex, sparse or not 2-D.
torch::Tensor read_mat_matrix(const std::string& path, const std::string& name);

/// True when the .mat file has a variable called `name` (throws if the file cannot be opened).
bool mat_has_variable(const std::string& path, const std::string& name);

/// Writes the named [rows, cols] tensors (converted to double) into a new MATLAB v5 file. The file
/// is written under a temporary name and renamed, so a failure leaves no half-written file.
void write_mat_matrices(const std::string& path,
                        const std::vector<std::pair<std::string, torch::Tensor>>& variables);

}  // namespace emofuse::data
