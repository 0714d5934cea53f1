// One entry point from a `data:` config section to a dataset. Formats:
//   synthetic       the built-in cohort (options of SyntheticOptions; no files)
//   dmer            a folder of DMER <subject>.mat files
//   csv             a generic feature CSV (inline spec, a dataset.yaml, or a folder holding one)
//   wesad_features  the WESAD window-feature CSV (default: $EMOFUSE_DATA_DIR/wesad_features/...)
//   deap            the DEAP EEG feature folder; `task: valence | arousal`
//   ldl             an LDL benchmark .mat file (features, labels); see ldl.h
//   meld            MELD / EmoryNLP-style conversation CSVs (text, optional audio); see meld.h
// Common keys: `select: [names]` keeps only those modalities, in that order; `renormalise: true`
// (ldl and csv distribution targets only; default false) divides every label row by its sum
// instead of rejecting rows that do not sum to one, and says so on stderr and in the source;
// `normalize_per_subject: true` (default false) z-scores every feature within each subject
// (normalize.h), noted in the source.
#pragma once

#include <yaml-cpp/yaml.h>

#include <map>
#include <optional>
#include <string>

#include "data/dataset.h"

namespace emofuse::data {

struct LoadedData {
  MultimodalDataset dataset;
  /// For synthetic data: the metrics of the true distributions against the targets.
  std::optional<std::map<std::string, double>> ceiling;
};

/// The format names load_data understands.
const std::vector<std::string>& data_formats();

/// Guesses the format of a path: a folder of .mat files -> dmer, a folder or file dataset.yaml
/// -> csv, a folder with EEG_feature.txt -> deap, a .csv with WESAD columns -> wesad_features.
/// Throws emofuse::Error when the path is missing or unrecognised.
std::string detect_format(const std::string& path);

/// Validates the `data:` section without reading any file (format known, keys known, values in
/// range). Throws OptionError.
void validate_data_options(const YAML::Node& data);

/// Loads the dataset described by `data`; `default_seed` seeds the synthetic cohort when the
/// section has no seed of its own. `work_dir` is where loaders that learn something from the
/// training split keep it (MELD's SentencePiece tokenizer: <work_dir>/tokenizer.model); empty =
/// a folder under the system temporary directory.
LoadedData load_data(const YAML::Node& data, uint64_t default_seed, const std::string& work_dir = "");

}  // namespace emofuse::data
