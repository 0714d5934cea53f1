// Fuzz target: the WESAD window-feature CSV (may14_feats4.csv layout) read by load_wesad_features,
// with every signal column and with the informative subset.
#include "data/tabular.h"
#include "fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace fz = emofuse::fuzz;
  return fz::run_reader([&] {
    const auto path = fz::scratch_dir() / "wesad.csv";
    fz::write_bytes(path, std::string_view(reinterpret_cast<const char*>(data), size));
    // The column set is taken from the input's length so that both code paths are fuzzed.
    emofuse::data::load_wesad_features(path.string(), size % 2 == 0 ? "all" : "informative");
  });
}
