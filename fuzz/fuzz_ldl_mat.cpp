// Fuzz target: an LDL benchmark .mat file (features, labels) read by load_ldl_mat.
#include "data/ldl.h"
#include "fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace fz = emofuse::fuzz;
  return fz::run_reader([&] {
    const auto path = fz::scratch_dir() / "ldl.mat";
    fz::write_bytes(path, std::string_view(reinterpret_cast<const char*>(data), size));
    emofuse::data::load_ldl_mat(path.string());
  });
}
