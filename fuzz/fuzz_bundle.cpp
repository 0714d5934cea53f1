// Fuzz target: a saved model bundle read by load_model_bundle (what `emofuse predict` and `eval`
// load). Input: model.yaml [part marker, weights.pt [part marker, standardizer.pt]]; a file the
// input does not carry is the valid one of bundle_seed.h, so that mutations of model.yaml reach
// the weight loading. The seeds are model.yaml files only: LibTorch's TorchScript archive reader
// (torch::serialize::InputArchive) crashes on corrupt weights (docs/robustness.md), which would
// stop the fuzzer at once; those crashes are kept in fuzz/regressions/fuzz_bundle/.
#include "bundle_seed.h"
#include "fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace fz = emofuse::fuzz;
  static const fz::fs::path reference = [] {
    const auto dir = fz::fresh_dir("bundle_reference");
    fz::init_once();
    fz::write_seed_bundle(dir.string());
    return dir;
  }();
  return fz::run_reader([&] {
    const auto dir = fz::fresh_dir("bundle");
    const std::vector<std::string> names{"model.yaml", "weights.pt", "standardizer.pt"};
    const auto parts = fz::split_parts(data, size);
    for (size_t k = 0; k < names.size(); ++k) {
      if (k < parts.size()) {
        fz::write_bytes(dir / names[k], parts[k]);
      } else if (k > 0) {
        fz::fs::copy_file(reference / names[k], dir / names[k]);
      }
    }
    emofuse::models::load_model_bundle(dir.string());
  });
}
