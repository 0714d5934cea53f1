// IPOT: the inexact proximal point method for exact optimal transport (Xie, Wang, Wang & Zha,
// "A Fast Proximal Point Method for Computing Exact Wasserstein Distance", UAI 2019). See
// docs/ot.md.
#pragma once

#include <torch/torch.h>

#include <cstdint>

namespace emofuse::ot {

/// Options for `ipot`. Defaults follow Xie et al. 2019 (beta = 1, one inner Sinkhorn step).
struct IpotOptions {
  /// Proximal step beta (> 0), in cost units: each outer step solves
  /// min_T <C, T> + beta KL(T || T_t). Unlike Sinkhorn's epsilon it does not bias the
  /// result, only the speed; the paper recommends beta = 1 for costs of order 1.
  TORCH_ARG(double, beta) = 1.0;
  /// Number of proximal (outer) steps N.
  TORCH_ARG(int64_t, outer_iterations) = 50;
  /// Sinkhorn steps L inside each proximal step (the paper shows L = 1 suffices).
  TORCH_ARG(int64_t, inner_iterations) = 1;
  /// true: autograd records every step (gradients flow to `cost`). false: the solve runs under
  /// torch::NoGradGuard on detached inputs and the result carries no graph.
  TORCH_ARG(bool, differentiable) = true;
};

/// Result of `ipot`.
struct IpotResult {
  /// Transport plan T [B, n, m]; T^T 1 = b, T 1 = a up to `marginal_error`.
  torch::Tensor plan;
  /// Transport cost <C, T> [B], which converges to the exact (unregularised) OT cost.
  torch::Tensor transport_cost;
  /// Largest (over the batch) L1 row-marginal error sum_i |(T 1)_i - a_i| of `plan`.
  double marginal_error = 0.0;
};

/// Exact OT between marginals a [B, n] and b [B, m] (nonnegative, equal mass per batch element)
/// for cost [B, n, m] by IPOT, batched, computed in the log domain. Throws c10::Error on bad
/// shapes or marginals, beta <= 0 or iteration counts < 1.
IpotResult ipot(const torch::Tensor& cost, const torch::Tensor& a, const torch::Tensor& b,
                const IpotOptions& options = IpotOptions());

}  // namespace emofuse::ot
