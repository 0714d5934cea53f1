// Cost matrices, marginals and plan helpers for the OT solvers. See docs/ot.md.
#pragma once

#include <torch/torch.h>

#include <cstdint>

namespace emofuse::ot {

/// Cosine cost C_ij = 1 - <x_i, y_j> / (|x_i| |y_j|), in [0, 2].
/// x [B, n, d], y [B, m, d] -> C [B, n, m]. Norms are clamped at 1e-8 (zero vectors give 1).
torch::Tensor cosine_cost(const torch::Tensor& x, const torch::Tensor& y);

/// Squared Euclidean cost C_ij = |x_i - y_j|^2. x [B, n, d], y [B, m, d] -> C [B, n, m].
torch::Tensor squared_euclidean_cost(const torch::Tensor& x, const torch::Tensor& y);

/// Options for `threshold_cost`.
struct ThresholdCostOptions {
  /// Fraction f in [0, 1] of the cost range below which costs are zeroed (0.1 in HeLo).
  TORCH_ARG(double, fraction) = 0.1;
};

/// Per batch element: ReLU(C - (min C + f (max C - min C))), with min/max over the [n, m] matrix
/// of that element. The HeLo / GOT reference code applies this to its intra-set cosine costs
/// before Gromov-Wasserstein, so that near pairs count as distance 0. C [B, n, m] -> [B, n, m].
torch::Tensor threshold_cost(const torch::Tensor& cost, const ThresholdCostOptions& options = ThresholdCostOptions());

/// Uniform marginal 1/n of shape [batch, n], with the given dtype/device (pass x.options()).
torch::Tensor uniform_marginal(int64_t batch, int64_t n, const torch::TensorOptions& options);

/// Barycentric projection: row-normalised plan times target features,
///   z_i = sum_j P_ij y_j / sum_j P_ij,
/// which carries target-set features to the source positions. plan [B, n, m], y [B, m, d]
/// -> [B, n, d]. Rows with zero mass give zero vectors.
torch::Tensor barycentric_projection(const torch::Tensor& plan, const torch::Tensor& y);

}  // namespace emofuse::ot
