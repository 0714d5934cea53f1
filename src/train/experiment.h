// Runs one model under one protocol: for every fold, standardise on the training rows, fit
// (validation from training subjects only), predict the test rows, score, and write the run folder:
//
//   <run_dir>/fingerprint.json   what the results depend on (config and data; see run_folder.h)
//   <run_dir>/config.yaml        resolved configuration
//   <run_dir>/folds/NN_<name>/   checkpoint.pt, model/ (bundle), predictions.csv, metrics.json
//   <run_dir>/metrics.json       per-fold metrics and mean/std summary (plus "leaky" flag)
//   <run_dir>/metrics.csv        one row per fold, then mean and std rows
//   <run_dir>/summary.md         the summary table
//   <run_dir>/predictions.csv    every fold's test predictions
//
// A fold whose metrics.json exists is complete; with `resume`, it is read back instead of rerun,
// and a fold with a checkpoint continues from its last epoch. Which folders a run may write into
// (fresh, `resume`, `overwrite`) and the fingerprint that ties a folder to one experiment are in
// run_folder.h. A model bundle is written into `<dir>.partial` and renamed into place, so a kill
// leaves the old bundle, no bundle, or the new one, never a mixture.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "data/normalize.h"
#include "metrics/metrics.h"
#include "models/estimator.h"
#include "train/config.h"

namespace emofuse::train {

struct FoldOutcome {
  std::string name;
  std::map<std::string, double> metrics;
  int64_t train_size = 0, validation_size = 0, test_size = 0;
  double fit_seconds = 0, predict_seconds = 0;
  int64_t best_epoch = -1, epochs_run = 0;
  int64_t parameters = 0;  ///< trainable values of the fold's model
};

struct ExperimentResult {
  std::string name;
  std::string model_name;
  std::string protocol;
  bool leaky = false;
  std::vector<FoldOutcome> folds;
  std::map<std::string, metrics::MetricSummary> summary;
  std::string run_dir;
  int64_t parameters = 0;
};

class RunFolder;

struct RunOptions {
  bool resume = false;     ///< skip completed folds, continue interrupted ones from checkpoints
  bool overwrite = false;  ///< clear a non-empty run folder first (else it is refused without `resume`)
  bool quiet = false;      ///< no per-epoch lines
  /// The run folder, when the caller checked it before loading the data (the `train` command);
  /// null: run_experiment checks config.run_dir itself under `resume` / `overwrite`.
  RunFolder* folder = nullptr;
  /// Called after each epoch (tests simulate a killed run by throwing from it).
  std::function<void(const std::string& fold, const EpochRecord&)> on_epoch_end;
};

/// Runs `config` on `dataset` (already loaded) and writes the run folder. Throws DataError naming
/// the run folder or its fingerprint.json when the folder may not be used (see run_folder.h), and
/// naming a fold's metrics.json or checkpoint.pt that cannot be read back when resuming.
ExperimentResult run_experiment(const ExperimentConfig& config, const data::MultimodalDataset& dataset,
                                const RunOptions& options = {});

/// A saved model: what `emofuse predict` / `eval` load.
struct ModelBundle {
  std::string model_name;
  YAML::Node model_options;
  data::DatasetSchema schema;
  data::Standardizer standardizer;
  std::unique_ptr<models::Estimator> estimator;
};

/// Writes <dir>/model.yaml, <dir>/weights.pt, <dir>/standardizer.pt and copies of `extra_files`
/// (e.g. a tokenizer), all into <dir>.partial first, then replaces <dir> by it: a reader (or a
/// kill) sees the old bundle, no bundle, or the new one, never new weights with an old model.yaml.
void save_model_bundle(const std::string& dir, const std::string& model_name, const YAML::Node& options,
                       const data::DatasetSchema& schema, const data::Standardizer& standardizer,
                       const models::Estimator& estimator, const std::vector<std::string>& extra_files = {});
/// Loads a bundle; throws DataError naming the file when something is missing or inconsistent.
ModelBundle load_model_bundle(const std::string& dir);
/// Keeps and orders `data`'s modalities as the bundle's schema expects (by name), checking shapes
/// and class count; throws emofuse::Error naming the mismatch.
data::MultimodalDataset conform_to_schema(const data::MultimodalDataset& data, const data::DatasetSchema& schema);

/// Writes predictions [N, C] of `data` as CSV: row, subject, trial, predicted label, then one
/// probability column per class (and the targets when `with_targets`).
std::string predictions_csv(const data::MultimodalDataset& data, const torch::Tensor& predictions,
                            const std::string& fold, bool with_targets);

/// A table comparing experiments (mean +- std of each metric), optionally with a ceiling row.
/// `markdown` selects a Markdown table, else aligned plain text.
std::string format_comparison(const std::vector<ExperimentResult>& results,
                              const std::optional<std::map<std::string, double>>& ceiling,
                              const std::vector<std::string>& metric_names, bool markdown);

}  // namespace emofuse::train
