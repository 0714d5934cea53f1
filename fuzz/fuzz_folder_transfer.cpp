// Fuzz target: a packed fold folder as rank 0 receives it from another rank (dist::unpack_folder).
#include "dist/folder_transfer.h"
#include "fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace fz = emofuse::fuzz;
  return fz::run_reader([&] {
    emofuse::dist::unpack_folder(std::string(reinterpret_cast<const char*>(data), size),
                                 (fz::scratch_dir() / "fold").string(), "fuzz input");
  });
}
