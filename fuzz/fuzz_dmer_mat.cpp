// Fuzz target: a DMER subject file (MATLAB v5 .mat with feas, vids, dis_label) read by load_dmer.
// Input: the .mat bytes [part marker, classes.txt]; see fuzz_common.h.
#include "data/dmer.h"
#include "fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace fz = emofuse::fuzz;
  return fz::run_reader([&] {
    const auto dir = fz::fresh_dir("dmer");
    fz::write_parts(dir, {"S01.mat", "classes.txt"}, data, size);
    emofuse::data::load_dmer(dir.string());
  });
}
