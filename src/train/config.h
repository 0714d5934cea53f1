// Experiment configuration: YAML files with command-line overrides, validated in full before any
// data is loaded. See docs/configuration.md for every key and its default.
//
//   name: helo_dmer                 # run name; run folder defaults to runs/<name>
//   seed: 0                         # fixes every random choice (cohort, splits, init, batches)
//   threads: 0                      # LibTorch intra-op threads (0 = all cores)
//   data: {format: dmer, path: ...} # see src/data/load.h
//   protocol: {name: loso, folds: 5, validation_fraction: 0.2, max_folds: 0}
//   model: {name: helo, options: {...}}
//   training: {optimizer: adamw, learning_rate: 1e-3, epochs: 30, ...}
//   output: {run_dir: runs/helo_dmer, save_models: true, final_model: false}
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

#include "core/options.h"
#include "protocol/splits.h"
#include "train/trainer.h"

namespace emofuse::train {

struct ExperimentConfig {
  std::string name = "experiment";
  uint64_t seed = 0;
  int threads = 0;
  YAML::Node data;
  protocol::ProtocolOptions protocol;
  std::string model_name = "mlp_early";
  YAML::Node model_options;
  TrainerOptions training;
  std::string run_dir;       ///< default runs/<name>
  bool save_models = true;   ///< save each fold's model bundle
  bool final_model = false;  ///< after the folds, fit on all data and save <run_dir>/model
  /// The resolved configuration (every default filled in), as written to <run_dir>/config.yaml.
  YAML::Node to_yaml() const;
};

/// Reads a YAML file; throws DataError naming the file and line on a syntax error.
using emofuse::load_yaml_file;

/// Applies "a.b.c=value" to `root` (value parsed as YAML: numbers, booleans, [lists]).
/// Throws OptionError for a malformed assignment.
void apply_override(YAML::Node& root, const std::string& assignment);

/// Parses and validates everything (data options, protocol, model name and options, training)
/// without loading data. Unknown keys are errors.
ExperimentConfig parse_experiment_config(const YAML::Node& root);

}  // namespace emofuse::train
