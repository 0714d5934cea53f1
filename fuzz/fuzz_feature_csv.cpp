// Fuzz target: a generic feature CSV described by a dataset.yaml, loaded as `data: {format: csv,
// path: <folder>}` (load_data -> load_yaml_file -> load_feature_csv).
// Input: dataset.yaml, part marker, features.csv (the seeds' dataset.yaml names features.csv).
#include "data/load.h"
#include "fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace fz = emofuse::fuzz;
  return fz::run_reader([&] {
    const auto dir = fz::fresh_dir("csv");
    fz::write_parts(dir, {"dataset.yaml", "features.csv"}, data, size);
    YAML::Node section;
    section["format"] = "csv";
    section["path"] = dir.string();
    emofuse::data::load_data(section, 0);
  });
}
