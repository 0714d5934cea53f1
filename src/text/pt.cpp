#include "text/pt.h"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include "core/error.h"

namespace emofuse::text {

namespace {

std::string shape_text(const torch::Tensor& t) {
  std::string s;
  for (auto d : t.sizes()) s += (s.empty() ? "" : ", ") + std::to_string(d);
  return "[" + s + "]";
}

}  // namespace

torch::Tensor read_pt_tensor(const std::string& path) {
  if (!std::filesystem::exists(path)) throw DataError(path, "", "file not found");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw DataError(path, "", "cannot open file");
  const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (bytes.empty()) throw DataError(path, "", "empty file");
  c10::IValue value;
  try {
    value = torch::pickle_load(bytes);
  } catch (const c10::Error& e) {
    // e.what_without_backtrace(): e.g. "PytorchStreamReader failed reading zip archive: failed
    // finding central directory" for a truncated file.
    throw DataError(path, "",
                    std::string("cannot read a tensor saved by torch.save (truncated, or not the "
                                "zip format of PyTorch >= 1.6): ") +
                        e.what_without_backtrace());
  }
  if (!value.isTensor()) {
    throw DataError(path, "",
                    "expected one tensor (torch.save(tensor, path)), found a " + value.tagKind());
  }
  return value.toTensor();
}

torch::Tensor read_pt_matrix(const std::string& path) {
  auto t = read_pt_tensor(path);
  if (t.dim() != 2 || t.size(1) == 0) {
    throw DataError(path, "field 'shape'",
                    "expected a 2-D tensor [N, F] with F >= 1, got " + shape_text(t));
  }
  if (!t.is_floating_point()) {
    throw DataError(path, "field 'dtype'",
                    std::string("expected a floating-point tensor, got ") + c10::toString(t.scalar_type()));
  }
  t = t.to(torch::kCPU, torch::kFloat32).contiguous();
  if (!torch::isfinite(t).all().item<bool>()) {
    const auto row = torch::isfinite(t).all(1).logical_not().nonzero()[0][0].item<int64_t>();
    throw DataError(path, "row " + std::to_string(row), "NaN or Inf value");
  }
  return t;
}

}  // namespace emofuse::text
