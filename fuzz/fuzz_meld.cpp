// Fuzz target: MELD / EmoryNLP conversation CSVs loaded as `data: {format: meld, ...}` with
// precomputed text features (keyed CSV). The SentencePiece path is not fuzzed here: training a
// tokenizer per input is slow, and the tokenizer module is opened with RTLD_DEEPBIND, which
// AddressSanitizer does not support.
// Input: conversation CSV (used for the train, dev and test splits), part marker, feature CSV
// `Dialogue_ID,Utterance_ID,f0,...` (used for all three splits).
#include "data/load.h"
#include "fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace fz = emofuse::fuzz;
  return fz::run_reader([&] {
    const auto dir = fz::fresh_dir("meld");
    const auto features = fz::fresh_dir("meld_text");
    const auto parts = fz::split_parts(data, size);
    for (const char* split : {"train", "dev", "test"}) {
      fz::write_bytes(dir / (std::string(split) + ".csv"), parts[0]);
      if (parts.size() > 1) fz::write_bytes(features / (std::string(split) + ".csv"), parts[1]);
    }
    YAML::Node section;
    section["format"] = "meld";
    section["path"] = dir.string();
    section["split_files"].push_back("train.csv");
    section["split_files"].push_back("dev.csv");
    section["split_files"].push_back("test.csv");
    section["text_features"] = features.string();
    emofuse::data::load_data(section, 0, (fz::scratch_dir() / "meld_work").string());
  });
}
