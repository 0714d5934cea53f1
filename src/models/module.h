// The interface of gradient-trained emofuse models (HeLo, LSGMER, the MLP baselines).
//
// A DistributionModule maps a batch of modality tensors to a log-distribution over the C
// emotions. forward() never sees labels, only the loss does, so that a
// prediction cannot depend on the answer. The trainer
// (src/models/trainer.h) drives every module the same way:
//   prepare(train set) -> for each batch: out = forward(inputs); loss(out, batch).backward();
//   optimizer step; after_step(out, batch)
#pragma once

#include <torch/torch.h>

#include <map>
#include <string>
#include <vector>

#include "data/dataset.h"

namespace emofuse::models {

/// What forward() returns.
struct ModelOutput {
  torch::Tensor log_probs;  ///< [B, C] log of the predicted distribution (log_softmax output)
  /// Named extra tensors a model exposes to its own loss / after_step (e.g. "fused" [B, D],
  /// "ot_distance" [B]). Empty for plain models.
  std::map<std::string, torch::Tensor> extras;
};

/// Loss value with its named parts (for logs): total = sum of weighted parts.
struct LossTerms {
  torch::Tensor total;
  std::map<std::string, double> parts;  ///< e.g. {"kl": 0.41, "corr": 0.02}
};

/// KL(target || prediction) averaged over the batch: sum_c t_c (log t_c - log p_c), with
/// 0 log 0 = 0. `log_probs` [B, C], `targets` [B, C].
torch::Tensor kl_divergence_loss(const torch::Tensor& log_probs, const torch::Tensor& targets);

class DistributionModule : public torch::nn::Module {
 public:
  /// `inputs` holds one tensor per modality of the schema the model was built for, [B, ...].
  virtual ModelOutput forward(const std::vector<torch::Tensor>& inputs) = 0;
  /// Called once per fit, before the first epoch, with the training set: dataset-level statistics
  /// a model needs (HeLo's label correlation matrix) are computed here and stored in buffers.
  virtual void prepare(const data::MultimodalDataset& train) {}
  /// Training loss; default KL(target || prediction).
  virtual LossTerms loss(const ModelOutput& output, const data::Batch& batch) {
    auto kl = kl_divergence_loss(output.log_probs, batch.targets);
    return {kl, {{"kl", kl.item<double>()}}};
  }
  /// Called after each optimizer step with that step's output and batch (e.g. LSGMER's moving-
  /// average update of label embeddings). Runs under NoGradGuard.
  virtual void after_step(const ModelOutput& output, const data::Batch& batch) {}
  /// Whether after_step changes the model's state. Data-parallel training refuses such a model:
  /// each rank would update it from its own shard and the ranks' models would drift apart.
  virtual bool updates_after_step() const { return false; }
};

}  // namespace emofuse::models
