// Fuzz target: a NumPy .npy file read by read_npy.
#include "fuzz_common.h"
#include "text/npy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace fz = emofuse::fuzz;
  return fz::run_reader([&] {
    const auto path = fz::scratch_dir() / "features.npy";
    fz::write_bytes(path, std::string_view(reinterpret_cast<const char*>(data), size));
    emofuse::text::read_npy(path.string());
  });
}
