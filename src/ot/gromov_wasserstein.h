// Entropic Gromov-Wasserstein with the square loss (Peyré, Cuturi & Solomon, "Gromov-Wasserstein
// averaging of kernel and distance matrices", ICML 2016). See docs/ot.md.
#pragma once

#include <torch/torch.h>

#include <cstdint>

namespace emofuse::ot {

/// The OT solver used for each linearised problem of `entropic_gromov_wasserstein`.
enum class GwInnerSolver {
  kIpot,      ///< `ipot` with beta = regularization (as in the HeLo / GOT reference code).
  kSinkhorn,  ///< `sinkhorn_log` with epsilon = regularization (as in Peyré et al. 2016).
};

/// Options for `entropic_gromov_wasserstein`. Defaults follow the HeLo reference code
/// (5 outer steps, IPOT with 20 iterations and lambda = 0.1).
struct GromovWassersteinOptions {
  /// lambda (> 0), in units of the squared intra-set costs: IPOT's proximal step beta or
  /// Sinkhorn's epsilon for each linearised problem.
  TORCH_ARG(double, regularization) = 0.1;
  /// Number of linearise-and-solve steps.
  TORCH_ARG(int64_t, outer_iterations) = 5;
  /// Which solver handles each linearised problem.
  TORCH_ARG(GwInnerSolver, inner_solver) = GwInnerSolver::kIpot;
  /// Iterations of the inner solver (IPOT outer steps, with one Sinkhorn step each; or Sinkhorn
  /// iterations).
  TORCH_ARG(int64_t, inner_iterations) = 20;
  /// false (as in HeLo): the plan is found under torch::NoGradGuard and held fixed; `distance`
  /// = <L(C1, C2) (x) T, T> is differentiable w.r.t. C1, C2 at that fixed T (the envelope /
  /// Danskin gradient of the minimum). true: autograd also records every solver iteration.
  TORCH_ARG(bool, differentiate_through_solver) = false;
  /// With the plan held fixed (differentiate_through_solver = false), the IPOT inner solver and
  /// CPU tensors: compute the plan with a fused loop kernel (scaling-domain IPOT in double
  /// precision, one problem per thread) instead of ~700 small tensor operations. Same iterations
  /// and fixed point as the log-domain tensor path (tested to agree within 1e-5); falls back to
  /// that path if a scaling under- or overflows. false forces the tensor path.
  TORCH_ARG(bool, fused_cpu) = true;
  /// false: return only the plan (`distance` undefined), saving the linearised-cost evaluation
  /// when the caller does not use the distance.
  TORCH_ARG(bool, compute_distance) = true;
  /// Validate the inputs (finite costs, nonnegative marginals of equal mass: ~20 small tensor
  /// reductions, each read back to the host). A caller that builds its own uniform marginals
  /// and finite costs on every forward pass (HeLo) may turn this off; the fused CPU kernel still
  /// detects non-finite scalings and falls back to the log-domain path.
  TORCH_ARG(bool, check_inputs) = true;
};

/// Result of `entropic_gromov_wasserstein`.
struct GromovWassersteinResult {
  /// Coupling T [B, n, m] with marginals a, b (the inner solver's accuracy).
  torch::Tensor plan;
  /// GW discrepancy sum_ijkl (C1_ik - C2_jl)^2 T_ij T_kl = <L(C1, C2) (x) T, T> [B].
  torch::Tensor distance;
};

/// Gromov-Wasserstein coupling between two metric-measure spaces given by intra-set costs
/// C1 [B, n, n] and C2 [B, m, m] and marginals a [B, n], b [B, m] (strictly positive for IPOT,
/// nonnegative for Sinkhorn; equal mass). Starts from T = a b^T and repeats: linearise the GW
/// objective at T (cost L(C1, C2) (x) T [B, n, m]), solve that OT problem for the next T.
/// GW is non-convex: the result is a stationary point, not necessarily the global minimum.
/// Throws c10::Error on bad shapes, marginals or options.
GromovWassersteinResult entropic_gromov_wasserstein(
    const torch::Tensor& c1, const torch::Tensor& c2, const torch::Tensor& a, const torch::Tensor& b,
    const GromovWassersteinOptions& options = GromovWassersteinOptions());

/// The fused CPU kernel that `fused_cpu` runs, for one problem on row-major double arrays:
/// c1 [n, n], c2 [m, m], strictly positive marginals a [n], b [m] of equal mass -> plan [n, m],
/// with the options' regularization, outer_iterations and inner_iterations (IPOT inner solver).
/// Nothing is checked. Returns false when a scaling under- or overflowed: `plan` is then
/// unusable, and `entropic_gromov_wasserstein` with fused_cpu(false) gives the plan instead.
/// For callers that hold their costs in plain arrays (HeloInference).
bool gw_ipot_plan_fused(const double* c1, const double* c2, const double* a, const double* b, int64_t n, int64_t m,
                        const GromovWassersteinOptions& options, double* plan);

/// The linearised square-loss GW cost L(C1, C2) (x) T [B, n, m] of Peyré et al. 2016, Prop. 1:
///   f1(C1) a 1^T + 1 b^T f2(C2)^T - h1(C1) T h2(C2)^T,  f1(x) = x^2, f2(y) = y^2, h1(x) = x,
///   h2(y) = 2y. c1 [B, n, n], c2 [B, m, m], a [B, n], b [B, m], plan [B, n, m].
torch::Tensor gw_linearized_cost(const torch::Tensor& c1, const torch::Tensor& c2, const torch::Tensor& a,
                                 const torch::Tensor& b, const torch::Tensor& plan);

}  // namespace emofuse::ot
