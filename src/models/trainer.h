// The training loop shared by every gradient-trained model.
//
// Determinism: before model construction the caller seeds with the fit seed; every epoch e
// reseeds LibTorch's global generator with mix_seed(seed, e) (dropout, DropKey) and shuffles with
// a generator seeded by mix_seed(seed, e, 1). Nothing random depends on earlier epochs, so a run
// resumed from the checkpoint of epoch e continues exactly as the uninterrupted run would (same
// seed, same thread count).
//
// Early stopping and model selection (select_epoch): the validation score of each epoch is
// averaged over a trailing window of `smoothing` epochs; the kept epoch is the last epoch of the
// best window, never one before `min_epochs`; training stops `patience` eligible epochs after it.
// The decision is a pure function of the history, so a resumed run selects the same epoch.
//
// Checkpoint (<checkpoint_dir>/checkpoint.pt, written atomically after every epoch): model
// parameters and buffers, optimizer state, the best model so far, epoch counters and history.
// Beside it, <checkpoint_dir>/history.csv (history_csv) is rewritten from that history after
// every epoch: each loss term, each validation metric, the learning rate and the seconds.
#pragma once

#include <torch/torch.h>

#include <array>
#include <functional>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "core/options.h"
#include "data/dataset.h"
#include "models/estimator.h"
#include "models/module.h"

namespace emofuse::models {

/// How a batch's training loss is reduced over its samples before the backward pass.
enum class LossReduction {
  kMean,  ///< the model's loss as written: a mean over the batch
  kSum,   ///< summed over the batch: the model's (batch-mean) loss times the batch size
};
inline constexpr std::array<Choice<LossReduction>, 2> kLossReductions{
    {{"mean", LossReduction::kMean}, {"sum", LossReduction::kSum}}};

/// The optimizer of TrainerOptions.
enum class OptimizerKind {
  kAdam,   ///< "adam": Adam with L2 weight decay added to the gradient
  kAdamW,  ///< "adamw": decoupled weight decay (Loshchilov & Hutter 2019)
};
inline constexpr std::array<Choice<OptimizerKind>, 2> kOptimizerKinds{
    {{"adam", OptimizerKind::kAdam}, {"adamw", OptimizerKind::kAdamW}}};

/// The learning-rate schedule of TrainerOptions, over epochs after the warm-up.
enum class LrSchedule {
  kNone,         ///< "none": constant rate
  kCosine,       ///< "cosine": to 0 at the last epoch
  kStep,         ///< "step": times step_gamma every step_size epochs
  kExponential,  ///< "exponential": times decay_gamma after every epoch
};
inline constexpr std::array<Choice<LrSchedule>, 4> kLrSchedules{{{"none", LrSchedule::kNone},
                                                                 {"cosine", LrSchedule::kCosine},
                                                                 {"step", LrSchedule::kStep},
                                                                 {"exponential", LrSchedule::kExponential}}};

/// Parses "mean" or "sum"; throws OptionError naming `field` and the allowed values otherwise.
LossReduction parse_loss_reduction(const std::string& text, const std::string& field);
/// "mean" or "sum".
std::string to_string(LossReduction reduction);

struct TrainerOptions {
  /// kAdamW (decoupled weight decay, Loshchilov & Hutter 2019) or kAdam.
  TORCH_ARG(OptimizerKind, optimizer) = OptimizerKind::kAdamW;
  TORCH_ARG(double, learning_rate) = 1e-3;
  TORCH_ARG(double, weight_decay) = 1e-4;
  TORCH_ARG(int64_t, epochs) = 30;
  TORCH_ARG(int64_t, batch_size) = 128;
  /// Batch size for validation and prediction (no gradients, so larger is fine).
  TORCH_ARG(int64_t, eval_batch_size) = 1024;
  /// Clip the global gradient L2 norm to this value; 0 disables clipping.
  TORCH_ARG(double, grad_clip) = 1.0;
  /// Learning-rate schedule over epochs: kNone, kCosine (to 0 at the last epoch), kStep,
  /// kExponential.
  TORCH_ARG(LrSchedule, schedule) = LrSchedule::kCosine;
  /// Linear warm-up epochs before the schedule (0 = none).
  TORCH_ARG(int64_t, warmup_epochs) = 0;
  /// kStep schedule: multiply the rate by step_gamma every step_size epochs.
  TORCH_ARG(int64_t, step_size) = 10;
  TORCH_ARG(double, step_gamma) = 0.5;
  /// kExponential schedule: multiply the rate by decay_gamma after every epoch (HeLo's code: 0.99).
  TORCH_ARG(double, decay_gamma) = 0.99;
  /// Stop after this many eligible epochs without improvement of the smoothed `monitor` on
  /// validation (0 = never).
  TORCH_ARG(int64_t, patience) = 8;
  /// Neither stop nor select an epoch before epoch `min_epochs` (1-based; 0 or 1 = from the first).
  /// Must be <= epochs; a config that omits it gets min(5, epochs).
  TORCH_ARG(int64_t, min_epochs) = 5;
  /// Stop and select on the mean validation score of the last `smoothing` epochs (1 = raw scores;
  /// shorter windows over the first epochs). Must be <= epochs; a config that omits it gets
  /// min(3, epochs).
  TORCH_ARG(int64_t, smoothing) = 3;
  /// Validation metric for early stopping and model selection: "loss" or any metric name.
  TORCH_ARG(std::string, monitor) = "kl";
  /// Mean (default) or sum of the model's loss over the batch; see docs/configuration.md.
  TORCH_ARG(LossReduction, loss_reduction) = LossReduction::kMean;
  /// Show a progress bar on a terminal (one line per epoch otherwise); false = no per-epoch output.
  TORCH_ARG(bool, progress) = true;
  /// In a distributed run (FitContext::data_parallel), every rank fits the same model on its shard
  /// of each batch and the gradients are averaged over the ranks (see Trainer::fit). batch_size
  /// stays the global batch: 2 ranks with batch_size 64 take 32 rows each.
  TORCH_ARG(bool, data_parallel) = false;
  /// Continue from <checkpoint_dir>/checkpoint.pt when it exists.
  TORCH_ARG(bool, resume) = false;

 public:
  /// Throws OptionError naming the field ("training.learning_rate must be > 0").
  void validate() const;
  /// Learning-rate factor for `epoch` (0-based) under the schedule and warm-up.
  double lr_factor(int64_t epoch) const;
};

struct EpochRecord {
  int64_t epoch = 0;
  double train_loss = 0;
  double validation_score = 0;  ///< the monitored metric (NaN without validation data)
  double learning_rate = 0;
  double seconds = 0;             ///< wall time of the epoch's training batches
  double validation_seconds = 0;  ///< wall time of its validation pass and metrics (0 without validation data)
  /// Epoch mean (over samples) of each term of the model's loss, e.g. {"kl", "corr"} for HeLo.
  std::map<std::string, double> train_terms;
  /// Every metric on the validation rows, and "loss" (their KL); empty without validation data.
  std::map<std::string, double> validation_metrics;
};

/// <fold folder>/history.csv of `history` (one row per epoch, written after every epoch):
///   epoch (1-based), train_loss, train_<term> for each loss term, validation_<metric> for "loss"
///   and every metric, learning_rate, seconds.
/// The columns are those of the first record; a value a record lacks is left empty.
std::string history_csv(const std::vector<EpochRecord>& history);

/// What the early-stopping rule decides after the epochs of a history.
struct EpochSelection {
  int64_t best_epoch = -1;  ///< 0-based epoch whose weights are kept; -1 while none is eligible
  double best_score = std::numeric_limits<double>::quiet_NaN();     ///< smoothed score of best_epoch
  double last_smoothed = std::numeric_limits<double>::quiet_NaN();  ///< smoothed score of the last epoch
  int64_t epochs_since_best = 0;  ///< eligible epochs after best_epoch (after none: all eligible ones)
  bool stop = false;              ///< patience > 0 and epochs_since_best >= patience
};

/// Trailing means of `scores` over windows of `window` epochs: out[e] = mean(scores[max(0, e-window+1) .. e]).
std::vector<double> smoothed_scores(const std::vector<double>& scores, int64_t window);

/// Model selection and early stopping on `history` (one record per epoch, in order) under
/// options.min_epochs, smoothing, patience and the direction of options.monitor. The best epoch
/// is the first strict optimum of the smoothed validation curve among epochs >= min_epochs
/// (1-based); NaN scores never improve.
EpochSelection select_epoch(const std::vector<EpochRecord>& history, const TrainerOptions& options);

struct TrainResult {
  int64_t best_epoch = -1;  ///< epoch whose weights are kept (last epoch without validation)
  double best_score = 0;    ///< its smoothed validation score (training loss without validation)
  int64_t epochs_run = 0;
  bool stopped_early = false;
  std::vector<EpochRecord> history;
};

class Trainer {
 public:
  explicit Trainer(TrainerOptions options);

  /// Trains `model` on `train`, selecting the epoch by `validation` (may be empty). The model
  /// ends holding the selected weights. Throws emofuse::Error on a non-finite loss.
  TrainResult fit(DistributionModule& model, const data::MultimodalDataset& train,
                  const data::MultimodalDataset& validation, const FitContext& context);

  /// Predicted distributions [N, C] under eval() and NoGradGuard, in batches.
  static torch::Tensor predict(DistributionModule& model, const data::MultimodalDataset& data, int64_t batch_size);

  /// Called after each epoch's checkpoint is written (tests use it to simulate a killed run).
  std::function<void(const EpochRecord&)> on_epoch_end;

 private:
  TrainerOptions options_;
};

}  // namespace emofuse::models
