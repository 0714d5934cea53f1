// Cost matrices and plan helpers. Layouts are batch-first: point sets [B, n, d], costs and plans
// [B, n, m].
#include "ot/costs.h"

namespace emofuse::ot {
namespace {

// Two point sets [B, n, d] and [B, m, d] with the same B and d.
void check_point_sets(const torch::Tensor& x, const torch::Tensor& y, const char* where) {
  TORCH_CHECK(x.defined() && y.defined(), where, ": x and y must be defined tensors");
  TORCH_CHECK(x.dim() == 3, where, ": x must be [B, n, d], got shape ", x.sizes());
  TORCH_CHECK(y.dim() == 3, where, ": y must be [B, m, d], got shape ", y.sizes());
  TORCH_CHECK(x.size(0) == y.size(0), where, ": x and y must have the same batch size, got ", x.size(0), " and ",
              y.size(0));
  TORCH_CHECK(x.size(2) == y.size(2), where, ": x and y must have the same feature size d, got ", x.size(2), " and ",
              y.size(2));
  TORCH_CHECK(x.is_floating_point() && x.scalar_type() == y.scalar_type(), where,
              ": x and y must be floating point of one dtype, got ", x.scalar_type(), " and ", y.scalar_type());
}

}  // namespace

torch::Tensor cosine_cost(const torch::Tensor& x, const torch::Tensor& y) {
  check_point_sets(x, y, "cosine_cost");
  namespace F = torch::nn::functional;
  // Unit vectors x_i / max(|x_i|, 1e-8), so the similarity is a batched Gram matrix.
  const auto unit = F::NormalizeFuncOptions().p(2).dim(2).eps(1e-8);
  const torch::Tensor x_unit = F::normalize(x, unit);                          // [B, n, d]
  const torch::Tensor y_unit = y.is_same(x) ? x_unit : F::normalize(y, unit);  // [B, m, d]
  return 1.0 - torch::bmm(x_unit, y_unit.transpose(1, 2));                     // [B, n, m]
}

torch::Tensor squared_euclidean_cost(const torch::Tensor& x, const torch::Tensor& y) {
  check_point_sets(x, y, "squared_euclidean_cost");
  // Direct differences rather than |x|^2 + |y|^2 - 2 <x, y>: exact zeros on identical points
  // (the expansion leaves rounding noise of order |x|^2 * 1e-7 in float) and a finite gradient.
  const torch::Tensor diff = x.unsqueeze(2) - y.unsqueeze(1);  // [B, n, m, d]
  return diff.pow(2).sum(3);                                   // [B, n, m]
}

torch::Tensor threshold_cost(const torch::Tensor& cost, const ThresholdCostOptions& options) {
  TORCH_CHECK(cost.defined() && cost.dim() == 3, "threshold_cost: cost must be [B, n, m], got ",
              cost.defined() ? cost.sizes() : torch::IntArrayRef{});
  TORCH_CHECK(cost.is_floating_point(), "threshold_cost: cost must be floating point, got ", cost.scalar_type());
  TORCH_CHECK(options.fraction() >= 0 && options.fraction() <= 1, "threshold_cost: fraction must be in [0, 1], got ",
              options.fraction());
  // Per batch element (the reference code takes min/max over the whole batch; per element keeps
  // every sample independent of the others in its batch).
  torch::Tensor low, high;  // [B, 1, 1]
  if (cost.requires_grad()) {
    low = cost.amin({1, 2}, /*keepdim=*/true);
    high = cost.amax({1, 2}, /*keepdim=*/true);
  } else {
    // One pass for both (LibTorch 1.13 has no derivative for aminmax, hence the branch).
    std::tie(low, high) = torch::aminmax(cost.flatten(1), /*dim=*/1, /*keepdim=*/true);  // [B, 1]
    low = low.unsqueeze(2);
    high = high.unsqueeze(2);
  }
  const torch::Tensor threshold = low + options.fraction() * (high - low);
  return torch::relu(cost - threshold);
}

torch::Tensor uniform_marginal(int64_t batch, int64_t n, const torch::TensorOptions& options) {
  TORCH_CHECK(batch > 0 && n > 0, "uniform_marginal: batch and n must be > 0, got batch = ", batch, ", n = ", n);
  return torch::full({batch, n}, 1.0 / static_cast<double>(n), options);
}

torch::Tensor barycentric_projection(const torch::Tensor& plan, const torch::Tensor& y) {
  TORCH_CHECK(plan.defined() && plan.dim() == 3, "barycentric_projection: plan must be [B, n, m], got ",
              plan.defined() ? plan.sizes() : torch::IntArrayRef{});
  TORCH_CHECK(y.defined() && y.dim() == 3 && y.size(0) == plan.size(0) && y.size(1) == plan.size(2),
              "barycentric_projection: y must be [B, m, d] = [", plan.size(0), ", ", plan.size(2),
              ", d] to match plan ", plan.sizes(), ", got ", y.defined() ? y.sizes() : torch::IntArrayRef{});
  // Row sums clamped away from 0 so that empty rows give 0 instead of NaN.
  const torch::Tensor row_mass = plan.sum(2, /*keepdim=*/true).clamp_min(1e-30);  // [B, n, 1]
  return torch::bmm(plan / row_mass, y);                                          // [B, n, d]
}

}  // namespace emofuse::ot
