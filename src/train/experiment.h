// Runs one model under one protocol: for every fold, standardise on the training rows, fit
// (validation from training subjects only), predict the test rows, score, and write the run folder:
//
//   <run_dir>/fingerprint.json   what the results depend on (config and data; see run_folder.h)
//   <run_dir>/config.yaml        resolved configuration
//   <run_dir>/folds/NN_<name>/   checkpoint.pt (while unfinished), history.csv (one row per epoch,
//                                models/trainer.h), model/ (bundle), predictions.csv, metrics.json,
//                                model_views.json (Estimator::inspect on the first test sample)
//   <run_dir>/metrics.json       per-fold metrics, mean/std summary, the floor (prior) and the paired
//                                statistics against it, per-class scores, the confusion matrix,
//                                what ran (data, command line, commit, threads, time), and where
//                                each fit's time went (fit, training batches, validation passes;
//                                the final model's under "final_model")
//   <run_dir>/metrics.csv        one row per fold, then mean and std rows
//   <run_dir>/confusion.csv      the confusion matrix of all folds' test rows
//   <run_dir>/summary.md         a short report (report.h): data, protocol, command, the table with
//                                the floor, paired statistics, per-fold and per-class tables
//   <run_dir>/predictions.csv    every fold's test predictions
//
// A run may be spread over several processes (RunOptions::distributed): folds run on every rank,
// and rank 0 gathers them and writes everything listed above.
//
// A fold whose metrics.json exists is complete; with `resume`, it is read back instead of rerun,
// and a fold with a checkpoint continues from its last epoch. Which folders a run may write into
// (fresh, `resume`, `overwrite`) and the fingerprint that ties a folder to one experiment are in
// run_folder.h. The model bundles (folds/NN_<name>/model/ and the final model/) are written by
// models/bundle.h, which replaces a bundle atomically.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "data/normalize.h"
#include "metrics/metrics.h"
#include "models/bundle.h"
#include "models/estimator.h"
#include "train/config.h"

namespace emofuse::dist {
class Distributed;  // dist/distributed.h
}  // namespace emofuse::dist

namespace emofuse::train {

struct FoldOutcome {
  std::string name;
  std::map<std::string, double> metrics;
  int64_t train_size = 0, validation_size = 0, test_size = 0;
  double fit_seconds = 0, predict_seconds = 0;
  /// Of fit_seconds: the training batches and the per-epoch validation passes (models trained by
  /// epochs; 0 for the others). The rest is checkpoints, history files and the best-epoch copy.
  double training_seconds = 0, validation_seconds = 0;
  int64_t best_epoch = -1, epochs_run = 0;
  int64_t parameters = 0;  ///< trainable values of the fold's model
  /// The floor: the `prior` model (mean training distribution) scored on the same test rows.
  std::map<std::string, double> floor_metrics;
  /// Confusion matrix of the test rows [C][C]: rows = true class, columns = predicted (argmax).
  std::vector<std::vector<int64_t>> confusion;
  std::vector<std::string> test_subjects;  ///< subjects of the test rows, sorted
  int rank = 0;                            ///< the process that ran the fold (distributed runs; else 0)
};

/// What a run's report says about the data it ran on.
struct DataDescription {
  std::string source;
  int64_t samples = 0, subjects = 0;
  std::vector<std::string> class_names;
  std::vector<int64_t> class_counts;  ///< samples per class (hard label)
  bool one_hot_targets = false;       ///< every target row is one-hot (classification data)
};

struct ExperimentResult {
  std::string name;
  std::string model_name;
  std::string protocol;
  bool leaky = false;
  std::vector<FoldOutcome> folds;
  std::map<std::string, metrics::MetricSummary> summary;
  std::map<std::string, metrics::MetricSummary> floor_summary;  ///< the prior's metrics over folds
  std::string run_dir;
  int64_t parameters = 0;
  DataDescription data;
  std::string headline_metric;       ///< see report.h: accuracy (one-hot targets) or chebyshev
  std::string protocol_details;      ///< e.g. "loso, validation_fraction 0.2"
  int threads = 0;                   ///< LibTorch threads in effect (per process)
  int world_size = 1;                ///< processes that ran the folds (see dist/distributed.h)
  double seconds = 0;                ///< wall time of the run (folds read back on resume excluded)
  std::string command_line, commit;  ///< see core/build_info.h
  /// The final model's fit (output.final_model): its wall time and the same breakdown as a
  /// fold's (fit_seconds, training_seconds, validation_seconds, epochs_run); absent without one.
  std::optional<FoldOutcome> final_model_fit;
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
  std::function<void(const std::string& fold, const models::EpochRecord&)> on_epoch_end;
  /// The best any model can do on these data (synthetic data: the true distributions), for the
  /// ceiling row of summary.md; absent for real data.
  std::optional<std::map<std::string, double>> ceiling;
  /// Several processes share the run (null or world size 1: this process runs every fold). Fold
  /// f runs on rank f % world_size, which sends the fold's folder to rank 0 when it is complete;
  /// rank 0 writes the one run folder (config.run_dir on rank 0's machine). Ranks other than 0 work
  /// in <run_dir>/.rank<R>/ on their own machine (where an interrupted fold's checkpoint stays for
  /// --resume with the same world size), write nothing else, and return rank 0's result. Every
  /// rank must call run_experiment with the same config and data, in the same order.
  dist::Distributed* distributed = nullptr;
};

/// Runs `config` on `dataset` (already loaded) and writes the run folder. Throws DataError naming
/// the run folder or its fingerprint.json when the folder may not be used (see run_folder.h), and
/// naming a fold's metrics.json or checkpoint.pt that cannot be read back when resuming.
ExperimentResult run_experiment(const ExperimentConfig& config, const data::MultimodalDataset& dataset,
                                const RunOptions& options = {});

/// Where rank `rank` (not 0) of a distributed run works: <run_dir>/.rank<rank> on its own machine.
std::string rank_work_dir(const std::string& run_dir, int rank);

/// Reads a finished run back from <run_dir>/metrics.json (what run_experiment returned, without
/// re-running anything), for reports. Throws DataError naming the file and the field that is
/// missing or of the wrong type.
ExperimentResult read_experiment_result(const std::string& run_dir);

/// Writes predictions [N, C] of `data` as CSV: row, subject, trial, predicted label, then one
/// probability column per class (and the targets when `with_targets`), with 9 significant digits:
/// a float32 probability reads back exactly.
std::string predictions_csv(const data::MultimodalDataset& data, const torch::Tensor& predictions,
                            const std::string& fold, bool with_targets);

}  // namespace emofuse::train
