// MATLAB v5 .mat matrices through matio: read a named 2-D numeric variable as a double tensor,
// write double matrices. MATLAB stores column-major; these functions return/accept row-major
// [rows, cols] tensors.
//
// matio reads a variable's bytes without checking that the file holds them: a file cut short
// would give values read from uninitialised memory. Every read therefore first walks the file's
// element tags (level 5 format, MATLAB "MAT-File Format" reference, ch. 1) and checks that each
// variable lies inside the file, and that the requested variable's data elements hold exactly
// rows x cols values (inflating zlib-compressed variables completely). Version 4 files are
// walked by their matrix headers in the same way; version 7.3 files are HDF5, whose library
// checks them under matio.
#pragma once

#include <torch/torch.h>

#include <string>
#include <utility>
#include <vector>

namespace emofuse::data {

/// Reads variable `name` of the .mat file `path` as a [rows, cols] float64 tensor. Accepts any
/// real numeric class (double, single, integer). Throws DataError naming the file and field when
/// the file cannot be opened or is truncated or corrupt, the variable is missing (the message
/// lists the variables the file holds), complex, sparse or not 2-D.
torch::Tensor read_mat_matrix(const std::string& path, const std::string& name);

/// True when the .mat file has a variable called `name` (throws if the file cannot be opened).
bool mat_has_variable(const std::string& path, const std::string& name);

/// Names of the variables of the .mat file, in file order. Throws DataError when the file cannot
/// be opened or is truncated.
std::vector<std::string> mat_variable_names(const std::string& path);

/// Writes the named [rows, cols] tensors (converted to double) into a new MATLAB v5 file, zlib
/// compressed when `compress` is true (as MATLAB's default -v7 does). The file is written under
/// a temporary name and renamed, so a failure leaves no half-written file.
void write_mat_matrices(const std::string& path, const std::vector<std::pair<std::string, torch::Tensor>>& variables,
                        bool compress = false);

}  // namespace emofuse::data
