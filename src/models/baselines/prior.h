// The floor every results table carries: `prior` predicts, for every sample, the mean target
// distribution of the training set,
//
//   q = (1/N) sum_i d_i    (d_i the training targets; for one-hot targets, the class frequencies),
//
// whatever the input. A model that does not beat it has learned nothing from its inputs that the
// label balance of the training subjects does not already give. Under the KL loss q is also the
// best constant prediction: argmin_q sum_i KL(d_i || q) = mean of the d_i (Gibbs' inequality).
// Its argmax is the training majority class, so its accuracy is that of always predicting the
// majority. See docs/models/baselines.md.
#pragma once

#include <torch/torch.h>

#include "models/estimator.h"

namespace emofuse::models {

struct ModelEntry;

class PriorEstimator : public Estimator {
 public:
  explicit PriorEstimator(const data::DatasetSchema& schema);
  std::string name() const override { return "prior"; }
  /// q = mean of the training targets; the validation set is not used.
  void fit(const data::MultimodalDataset& train, const data::MultimodalDataset& validation,
           const FitContext& context) override;
  /// q repeated for every sample of `data`: [N, C].
  torch::Tensor predict(const data::MultimodalDataset& data) override;
  void save(const std::string& path) const override;
  void load(const std::string& path) override;
  /// The C values of q are fitted statistics, not trained parameters.
  int64_t parameter_count() const override { return 0; }
  const torch::Tensor& distribution() const { return distribution_; }  ///< q [C] float32

 private:
  int64_t classes_;
  torch::Tensor distribution_;
};

/// Registers `prior` (takes no options).
void register_prior(std::vector<ModelEntry>& registry);

}  // namespace emofuse::models
