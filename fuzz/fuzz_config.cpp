// Fuzz target: a YAML experiment configuration, read as `emofuse train -c` does (load_yaml_file,
// parse_experiment_config: every section validated, no data loaded), then written back (to_yaml).
#include "fuzz_common.h"
#include "train/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace fz = emofuse::fuzz;
  return fz::run_reader([&] {
    const auto path = fz::scratch_dir() / "config.yaml";
    fz::write_bytes(path, std::string_view(reinterpret_cast<const char*>(data), size));
    const YAML::Node root = emofuse::train::load_yaml_file(path.string());
    const auto config = emofuse::train::parse_experiment_config(root);
    YAML::Emitter out;
    out << config.to_yaml();
  });
}
