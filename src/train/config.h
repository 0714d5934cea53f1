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
#include "models/trainer.h"
#include "protocol/splits.h"

namespace emofuse::train {

struct ExperimentConfig {
  std::string name = "experiment";
  uint64_t seed = 0;
  int threads = 0;
  YAML::Node data;
  protocol::ProtocolOptions protocol;
  std::string model_name = "mlp_early";
  YAML::Node model_options;
  models::TrainerOptions training;
  std::string run_dir;       ///< default runs/<name>
  bool save_models = true;   ///< save each fold's model bundle
  bool final_model = false;  ///< after the folds, fit on all data and save <run_dir>/model
  /// The resolved configuration (every default filled in, model.options included; doubles in
  /// their shortest exact form, 0.2), as written to <run_dir>/config.yaml.
  YAML::Node to_yaml() const;
};

/// Reads a YAML file; throws DataError naming the file and line on a syntax error.
using emofuse::load_yaml_file;

/// Applies "a.b.c=value" to `root` (value parsed as YAML: numbers, booleans, [lists]).
/// Throws OptionError for a malformed assignment.
void apply_override(YAML::Node& root, const std::string& assignment);

/// Applies the command line's `--set` assignments to `root` (a config file) in order, as
/// apply_override does, and keeps a model switch coherent. When they change model.name to another
/// model than the file's (mlp_early when the file names none):
///   - the file's model.options are dropped (one model's options mean nothing to another): the new
///     model starts from its defaults plus the model.options.* assignments, before or after the switch;
///   - unless an assignment sets `name`, the file's run name follows: the old model's name in it is
///     replaced (helo_wesad -> mlp_early_wesad), else "_<new model>" is appended; the run folder,
///     unless the file or an assignment sets output.run_dir, is runs/<name> and follows with it.
/// Each such change is described by one line added to `notes` (when not null) for the user.
/// Throws OptionError for a malformed assignment, before any is applied.
void apply_overrides(YAML::Node& root, const std::vector<std::string>& assignments,
                     std::vector<std::string>* notes = nullptr);

/// Parses and validates everything (data options, protocol, model name and options, training)
/// without loading data. Unknown keys are errors.
ExperimentConfig parse_experiment_config(const YAML::Node& root);

}  // namespace emofuse::train
