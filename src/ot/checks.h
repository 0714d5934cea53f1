// Input validation shared by the optimal-transport solvers (sinkhorn, ipot, gromov_wasserstein).
// Every check is a TORCH_CHECK, so a bad input raises c10::Error naming the function and what
// was expected, before any work starts.
#pragma once

#include <torch/torch.h>

#include <cmath>
#include <string>

namespace emofuse::ot::detail {

/// Relative tolerance on |sum(a) - sum(b)| / max(sum(a), sum(b)) per batch element. Balanced OT
/// needs equal masses; 1e-4 leaves room for float32 rounding of sums of ~1e4 entries.
constexpr double kMassTolerance = 1e-4;

/// Checks one balanced transport problem: cost [B, n, m], a [B, n], b [B, m], all floating point
/// of one dtype and device, finite cost, nonnegative marginals with equal positive mass per batch
/// element. `where` names the calling function in messages ("sinkhorn_log").
inline void check_transport_problem(const torch::Tensor& cost, const torch::Tensor& a, const torch::Tensor& b,
                                    const char* where) {
  TORCH_CHECK(cost.defined() && a.defined() && b.defined(), where, ": cost, a and b must be defined tensors");
  TORCH_CHECK(cost.dim() == 3, where, ": cost must be [B, n, m], got shape ", cost.sizes());
  TORCH_CHECK(cost.is_floating_point(), where, ": cost must be floating point, got ", cost.scalar_type());
  const int64_t batch = cost.size(0), n = cost.size(1), m = cost.size(2);
  TORCH_CHECK(batch > 0 && n > 0 && m > 0, where, ": cost must be non-empty, got shape ", cost.sizes());
  TORCH_CHECK(a.dim() == 2 && a.size(0) == batch && a.size(1) == n, where, ": a must be [B, n] = [", batch, ", ", n,
              "] to match cost ", cost.sizes(), ", got shape ", a.sizes());
  TORCH_CHECK(b.dim() == 2 && b.size(0) == batch && b.size(1) == m, where, ": b must be [B, m] = [", batch, ", ", m,
              "] to match cost ", cost.sizes(), ", got shape ", b.sizes());
  TORCH_CHECK(a.scalar_type() == cost.scalar_type() && b.scalar_type() == cost.scalar_type(), where,
              ": a, b and cost must share one dtype, got a ", a.scalar_type(), ", b ", b.scalar_type(), ", cost ",
              cost.scalar_type());
  TORCH_CHECK(a.device() == cost.device() && b.device() == cost.device(), where,
              ": a, b and cost must be on one device");

  torch::NoGradGuard no_grad;
  TORCH_CHECK(torch::isfinite(cost).all().item<bool>(), where, ": cost contains NaN or Inf");
  TORCH_CHECK(torch::isfinite(a).all().item<bool>() && torch::isfinite(b).all().item<bool>(), where,
              ": marginals contain NaN or Inf");
  TORCH_CHECK((a >= 0).all().item<bool>() && (b >= 0).all().item<bool>(), where, ": marginals must be nonnegative");
  const torch::Tensor mass_a = a.sum(1).to(torch::kDouble);  // [B]
  const torch::Tensor mass_b = b.sum(1).to(torch::kDouble);  // [B]
  TORCH_CHECK((mass_a > 0).all().item<bool>() && (mass_b > 0).all().item<bool>(), where,
              ": marginals must have positive mass");
  const torch::Tensor relative_gap = (mass_a - mass_b).abs() / torch::max(mass_a, mass_b);
  const double worst_gap = relative_gap.max().item<double>();
  const int64_t worst = relative_gap.argmax().item<int64_t>();
  TORCH_CHECK(worst_gap <= kMassTolerance, where, ": marginals must have equal mass (balanced OT), batch element ",
              worst, " has sum(a) = ", mass_a[worst].item<double>(), " but sum(b) = ", mass_b[worst].item<double>());
}

/// Checks a strictly positive, finite scalar option (epsilon, beta, lambda).
inline void check_positive(double value, const char* name, const char* where) {
  TORCH_CHECK(std::isfinite(value) && value > 0, where, ": ", name, " must be > 0, got ", value);
}

}  // namespace emofuse::ot::detail
