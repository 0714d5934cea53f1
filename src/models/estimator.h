// The interface every model implements, deep or classical: fit on a training set (with a
// validation set from the training subjects only), predict distributions, save and load.
#pragma once

#include <torch/torch.h>

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "data/dataset.h"

namespace emofuse::dist {
class Distributed;  // dist/distributed.h
}  // namespace emofuse::dist

namespace emofuse::models {

struct TrainerOptions;  // models/trainer.h
struct EpochRecord;     // models/trainer.h

/// What fit() may use besides the data: training options, where to checkpoint, how to report.
struct FitContext {
  const TrainerOptions* trainer = nullptr;  ///< for gradient-trained models
  std::string checkpoint_dir;               ///< empty: no checkpoints; else resumable state goes here
  std::string fold_name;                    ///< e.g. "fold 3/12 (S07)" for progress lines
  uint64_t seed = 0;                        ///< seed for this fit (already mixed with the fold)
  /// Called after every epoch (after its checkpoint is written), for gradient-trained models.
  std::function<void(const EpochRecord&)> on_epoch_end;

  /// Where this fit sits in a longer run (the folds of an experiment), for the run's ETA on the
  /// per-epoch lines. Fractions are of the whole run's work, each fold counting equally.
  struct RunProgress {
    double done_before = 0;    ///< done when this fit starts (earlier folds)
    double share = 1;          ///< this fit's part of the run
    double done_at_start = 0;  ///< done when `started` (folds read back on resume took no time)
    std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  };
  /// Unset: the ETA covers this fit only.
  std::optional<RunProgress> run_progress;
  /// The ranks that fit this model together, data-parallel (TrainerOptions::data_parallel); null:
  /// this process fits it alone.
  dist::Distributed* data_parallel = nullptr;
};

class Estimator {
 public:
  virtual ~Estimator() = default;
  /// Registered name, e.g. "helo", "mlp_early", "aa_knn".
  virtual std::string name() const = 0;
  /// Fits on `train`; `validation` (possibly empty) comes from training subjects only and is used
  /// for early stopping / model selection, never for fitting parameters directly.
  virtual void fit(const data::MultimodalDataset& train, const data::MultimodalDataset& validation,
                   const FitContext& context) = 0;
  /// Predicted distributions [N, C] (rows sum to one) for every sample of `data`.
  virtual torch::Tensor predict(const data::MultimodalDataset& data) = 0;
  /// Saves everything predict() needs (parameters, fitted statistics) to one file.
  virtual void save(const std::string& path) const = 0;
  /// Loads what save() wrote; the estimator must have been built for the same schema/options.
  virtual void load(const std::string& path) = 0;
  /// Number of trainable scalars (0 for non-parametric methods).
  virtual int64_t parameter_count() const { return 0; }
  /// Named 2-D matrices that show what the fitted model does on `sample` (one sample), for
  /// reports: for HeLo the label correlation R of its training targets, the similarity S of its
  /// label embeddings and the sample's transport plan. Empty for models that show none.
  virtual std::map<std::string, torch::Tensor> inspect(const data::MultimodalDataset& sample) {
    (void)sample;
    return {};
  }
};

}  // namespace emofuse::models
