// Fuzz target: a tensor saved by Python's torch.save, read by read_pt_tensor and read_pt_matrix.
#include "fuzz_common.h"
#include "text/pt.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace fz = emofuse::fuzz;
  fz::run_reader([&] {
    const auto path = fz::scratch_dir() / "features.pt";
    fz::write_bytes(path, std::string_view(reinterpret_cast<const char*>(data), size));
    emofuse::text::read_pt_tensor(path.string());
  });
  return fz::run_reader([&] { emofuse::text::read_pt_matrix((fz::scratch_dir() / "features.pt").string()); });
}
