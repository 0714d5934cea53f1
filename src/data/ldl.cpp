#include "data/ldl.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <sstream>

#include "core/error.h"
#include "data/mat_io.h"

namespace emofuse::data {
namespace {

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return s;
}

// Throws DataError(path, field) at the first non-finite entry of `m` [rows, cols].
void require_finite(const torch::Tensor& m, const std::string& path, const std::string& name) {
  auto bad = ~torch::isfinite(m);
  if (!bad.any().item<bool>()) return;
  auto at = bad.nonzero()[0];
  std::ostringstream where;
  where << "field '" << name << "' row " << at[0].item<int64_t>() << " column " << at[1].item<int64_t>();
  throw DataError(path, where.str(), "not finite (NaN or Inf)");
}

}  // namespace

const std::vector<std::string>& ldl_emotion_names() {
  static const std::vector<std::string> names{"happiness", "sadness", "surprise", "fear", "anger", "disgust"};
  return names;
}

bool looks_like_ldl_mat(const std::string& path) {
  if (std::filesystem::path(path).extension() != ".mat") return false;
  try {
    return mat_has_variable(path, "features") && mat_has_variable(path, "labels");
  } catch (const Error&) {
    return false;
  }
}

MultimodalDataset load_ldl_mat(const std::string& path, ModalityRole role, bool renormalise) {
  // read_mat_matrix throws DataError(path, "field 'x'") for a missing or non-2-D variable.
  auto features = read_mat_matrix(path, "features");  // [N, d] float64
  auto labels = read_mat_matrix(path, "labels");      // [N, C] float64
  const int64_t n = features.size(0), d = features.size(1), c = labels.size(1);
  if (n == 0 || d == 0) throw DataError(path, "field 'features'", "empty matrix");
  if (labels.size(0) == 0 || c == 0) throw DataError(path, "field 'labels'", "empty matrix");
  if (labels.size(0) != n) {
    throw DataError(
        path, "field 'labels'",
        std::to_string(labels.size(0)) + " rows, expected " + std::to_string(n) + " (one per row of 'features')");
  }
  if (c < 2) throw DataError(path, "field 'labels'", "expected at least 2 label columns, got " + std::to_string(c));
  require_finite(features, path, "features");
  require_float32_range(features, path, "field 'features'");
  require_finite(labels, path, "labels");
  auto negative = (labels < 0).any(1);
  if (negative.any().item<bool>()) {
    throw DataError(path, "field 'labels' row " + std::to_string(negative.nonzero()[0][0].item<int64_t>()),
                    "negative description degree");
  }
  std::string source = path;
  if (renormalise) {
    const int64_t changed = renormalise_rows(labels, path, "field 'labels'", kRowSumTolerance);
    source = note_renormalised(path, changed, n);
  }
  auto sums = labels.sum(1);
  auto off = (sums - 1.0).abs() > kRowSumTolerance;
  if (off.any().item<bool>()) {
    const int64_t row = off.nonzero()[0][0].item<int64_t>();
    std::ostringstream msg;
    msg << "sums to " << sums[row].item<double>() << ", expected 1 within " << kRowSumTolerance
        << " (rows are not renormalised unless the data option renormalise is true)";
    throw DataError(path, "field 'labels' row " + std::to_string(row), msg.str());
  }

  std::vector<std::string> class_names;
  const auto stem = upper(std::filesystem::path(path).filename().string());
  const bool emotion_set = stem.find("JAFFE") != std::string::npos || stem.find("BU_3DFE") != std::string::npos;
  if (c == 6 && emotion_set) {
    class_names = ldl_emotion_names();
  } else {
    for (int64_t j = 0; j < c; ++j) class_names.push_back("label_" + std::to_string(j));
  }
  ModalitySpec spec;
  spec.name = "features";
  spec.role = role;
  spec.shape = {d};
  auto ids = torch::arange(n, torch::kInt64);  // every sample independent: subject = trial = row
  return MultimodalDataset({spec}, {features.to(torch::kFloat32)}, labels, ids, ids.clone(), class_names, source);
}

}  // namespace emofuse::data
