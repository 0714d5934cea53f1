// One entry point from a `data:` config section to a dataset. Every format is one entry of
// data_format_registry() (name, one-line summary, loader): the dispatch of load_data, the list in
// the unknown-format error and the `--format` help all read that table, so a loadable format is
// always a listed one (`emofuse info --formats` prints it).
// Common keys: `select: [names]` keeps only those modalities, in that order; `renormalise: true`
// (ldl and csv distribution targets only; default false) divides every label row by its sum
// instead of rejecting rows that do not sum to one, and says so on stderr and in the source;
// `normalize_per_subject: true` (default false) z-scores every feature within each subject
// (normalize.h), noted in the source.
#pragma once

#include <yaml-cpp/yaml.h>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/options.h"
#include "data/dataset.h"

namespace emofuse::data {

struct LoadedData {
  MultimodalDataset dataset;
  /// For synthetic data: the metrics of the true distributions against the targets.
  std::optional<std::map<std::string, double>> ceiling;
};

/// What a format's loader receives: the `data:` section with its common keys already read.
struct FormatRequest {
  const YAML::Node& data;     ///< the whole `data:` section
  OptionReader& options;      ///< reader of `data:`: the loader reads its own keys, then calls finish()
  std::string path;           ///< data.path; empty when not given
  bool renormalise = false;   ///< data.renormalise (already checked to apply to this format)
  bool load = true;           ///< false: validate the options only, read no file
  uint64_t default_seed = 0;  ///< seeds the synthetic cohort when `data:` has no seed
  std::string work_dir;       ///< as load_data's `work_dir`
};

/// One data format, selected by `data.format`.
struct DataFormat {
  std::string name;
  std::string summary;  ///< one line, e.g. for the `--format` help
  /// Reads and checks the format's keys (OptionError), then, when `request.load`, loads the
  /// dataset (DataError naming the file on bad input); returns an empty LoadedData otherwise.
  std::function<LoadedData(FormatRequest& request)> load;
};

/// Every format load_data understands, in the order they are listed.
const std::vector<DataFormat>& data_format_registry();
/// The names of data_format_registry(), in its order.
const std::vector<std::string>& data_formats();
/// "synthetic, dmer, ...": the names of data_format_registry() for messages and help texts.
std::string data_format_list();
/// Entry called `name`; throws OptionError("data.format", "unknown format ...; known: ...").
const DataFormat& find_data_format(const std::string& name);

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
