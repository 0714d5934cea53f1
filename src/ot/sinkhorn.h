// Entropic optimal transport by Sinkhorn iterations in the log domain (Cuturi 2013; Peyré &
// Cuturi, "Computational Optimal Transport", 2019, Sec. 4.4; Schmitzer 2019). See docs/ot.md.
#pragma once

#include <torch/torch.h>

#include <cstdint>

namespace emofuse::ot {

/// Options for `sinkhorn_log`.
///
/// `epsilon` is absolute, in the units of the cost: the plan's entries fall off as
/// exp(-cost / epsilon), so epsilon = 1e-2 on costs in [0, 2] (cosine costs) is close to exact
/// OT, while epsilon = 1 on the same costs gives a blurred plan.
struct SinkhornOptions {
  /// Entropic regularisation epsilon (> 0), in cost units.
  TORCH_ARG(double, epsilon) = 0.1;
  /// Maximum number of Sinkhorn iterations (one iteration updates both potentials).
  TORCH_ARG(int64_t, iterations) = 100;
  /// Stop once the largest (over the batch) L1 error of the row marginal, sum_i |P 1 - a|_i, is
  /// below this. Column marginals are exact after every iteration. 0 runs all `iterations`.
  TORCH_ARG(double, tolerance) = 1e-6;
  /// epsilon-scaling factor s in (0, 1] (Schmitzer 2019): iteration k uses
  /// eps_k = max(epsilon, s^k (max C - min C)) per batch element, warm-starting the potentials,
  /// which makes small epsilon converge in far fewer iterations. 1 disables it. With s < 1,
  /// `iterations` must exceed log(epsilon / (max C - min C)) / log(s) (e.g. 66 for s = 0.9,
  /// epsilon = 1e-3, costs in [0, 1]); the tolerance is checked only at the target epsilon.
  TORCH_ARG(double, epsilon_scaling) = 1.0;
  /// true: autograd records every iteration, gradients flow to `cost` (and `a`, `b`).
  /// false: the solve runs under torch::NoGradGuard on detached inputs; the result carries no
  /// graph (cheap evaluation, e.g. a plan used as a fixed target).
  TORCH_ARG(bool, differentiable) = true;
};

/// Result of `sinkhorn_log`.
struct SinkhornResult {
  /// Transport plan P [B, n, m]; P 1 = a up to `marginal_error`, P^T 1 = b.
  torch::Tensor plan;
  /// Transport cost <P, C> = sum_ij P_ij C_ij [B] (without the entropy term).
  torch::Tensor transport_cost;
  /// Dual potentials f [B, n] and g [B, m], in cost units: P_ij = exp((f_i + g_j - C_ij) / eps).
  torch::Tensor f;
  torch::Tensor g;
  /// Iterations run (<= options.iterations()).
  int64_t iterations = 0;
  /// Largest (over the batch) L1 row-marginal error sum_i |(P 1)_i - a_i| of `plan`.
  double marginal_error = 0.0;
};

/// Entropic OT between marginals a [B, n] and b [B, m] (nonnegative, equal mass per batch
/// element) for cost [B, n, m]:
///   P = argmin_{P 1 = a, P^T 1 = b} <P, C> - eps H(P),   H(P) = -sum_ij P_ij (log P_ij - 1),
/// solved by Sinkhorn's alternating projections written on the dual potentials with logsumexp,
/// so that tiny epsilon (1e-4) and zero costs neither overflow nor underflow. Batched: all B
/// problems run together; iterations stop when the worst one meets the tolerance.
/// Throws c10::Error on bad shapes, non-finite cost, negative or unequal-mass marginals,
/// epsilon <= 0 or iterations < 1.
SinkhornResult sinkhorn_log(const torch::Tensor& cost, const torch::Tensor& a, const torch::Tensor& b,
                            const SinkhornOptions& options = SinkhornOptions());

}  // namespace emofuse::ot
