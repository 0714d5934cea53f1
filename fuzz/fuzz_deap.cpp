// Fuzz target: the DEAP EEG feature folder read by load_deap.
// Input: EEG_feature.txt, part marker, subject_video.txt, part marker, valence_arousal_label.txt.
#include "data/tabular.h"
#include "fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace fz = emofuse::fuzz;
  return fz::run_reader([&] {
    const auto dir = fz::fresh_dir("deap");
    fz::write_parts(dir, {"EEG_feature.txt", "subject_video.txt", "valence_arousal_label.txt"}, data, size);
    emofuse::data::load_deap(dir.string(), size % 2 == 0 ? "valence" : "arousal");
  });
}
