#include "models/module.h"

namespace emofuse::models {

torch::Tensor kl_divergence_loss(const torch::Tensor& log_probs, const torch::Tensor& targets) {
  TORCH_CHECK(log_probs.dim() == 2 && log_probs.sizes() == targets.sizes(), "kl_divergence_loss: log_probs ",
              log_probs.sizes(), " and targets ", targets.sizes(), " must both be [B, C]");
  // KL(t || p) = sum_c t_c (log t_c - log p_c); xlogy gives 0 for t_c = 0.
  return (torch::xlogy(targets, targets) - targets * log_probs).sum(1).mean();
}

}  // namespace emofuse::models
