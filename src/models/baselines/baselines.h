// Baselines for emotion distribution learning from several modalities.
//   mlp_early   early fusion: flatten and concatenate every modality, one MLP, softmax.
//   late_fusion one MLP head per modality, each a softmax distribution; the prediction is their
//               average (a uniform mixture), trained end to end with the KL loss.
// See docs/models/baselines.md.
#pragma once

#include <yaml-cpp/yaml.h>

#include "models/module.h"
#include "nn/layers.h"

namespace emofuse::models {

struct BaselineOptions {
  TORCH_ARG(int64_t, hidden) = 256;  ///< hidden width of every MLP
  TORCH_ARG(int64_t, layers) = 2;    ///< hidden layers per MLP
  TORCH_ARG(double, dropout) = 0.2;  ///< dropout after each hidden layer

 public:
  /// Reads and validates "model.options" (unknown keys rejected).
  static BaselineOptions from_yaml(const YAML::Node& node);
  /// Every option by its key, as from_yaml reads them.
  YAML::Node to_yaml() const;
  /// Throws OptionError naming the first invalid option. Called by from_yaml and by the
  /// constructors of both baselines.
  void validate() const;
};

/// Early fusion: [B, sum of modality sizes] -> MLP -> log_softmax [B, C].
class EarlyFusionMlp : public DistributionModule {
 public:
  EarlyFusionMlp(const data::DatasetSchema& schema, BaselineOptions options);
  ModelOutput forward(const std::vector<torch::Tensor>& inputs) override;

 private:
  nn::Mlp mlp_{nullptr};
};

/// Late fusion: per-modality MLP -> softmax; prediction = mean of the per-modality distributions.
class LateFusion : public DistributionModule {
 public:
  LateFusion(const data::DatasetSchema& schema, BaselineOptions options);
  ModelOutput forward(const std::vector<torch::Tensor>& inputs) override;

 private:
  std::vector<nn::Mlp> heads_;
};

}  // namespace emofuse::models
