// Log-domain Sinkhorn.
//
// Problem (Cuturi 2013, "Sinkhorn Distances: Lightspeed Computation of Optimal Transport"):
//   min_{P >= 0, P 1 = a, P^T 1 = b} <P, C> - eps H(P).
// Its solution has the form P = diag(u) K diag(v) with the Gibbs kernel K = exp(-C / eps), and
// Sinkhorn's algorithm alternates u = a / (K v), v = b / (K^T u). In that form K underflows to 0
// as soon as C / eps > ~745 (double) or ~88 (float), i.e. already for eps = 1e-2 on costs of 1
// in float, and u, v overflow.
//
// Log domain (Peyré & Cuturi 2019, "Computational Optimal Transport", Sec. 4.4;
// Schmitzer 2019, "Stabilized sparse scaling algorithms for entropy regularized transport
// problems"): write u = exp(f / eps), v = exp(g / eps) with dual potentials f, g in cost units.
// The two Sinkhorn updates become soft-min (logsumexp) updates
//   f_i = eps log a_i - eps logsumexp_j ((g_j - C_ij) / eps)                  (1)
//   g_j = eps log b_j - eps logsumexp_i ((f_i - C_ij) / eps)                  (2)
// and the plan is P_ij = exp((f_i + g_j - C_ij) / eps). logsumexp subtracts the maximum before
// exponentiating, so no term overflows and the largest term of each row is exactly 1: the
// iteration is stable for any eps > 0, including eps = 1e-4 and an all-zero cost. A zero entry
// of a (or b) gives f_i = -inf and an all-zero row (column), which logsumexp handles.
//
// Stopping: after (2) the column marginals are exact. The row marginals of the current plan are
//   r_i = sum_j exp((f_i + g_j - C_ij) / eps) = exp(f_i / eps + logsumexp_j((g_j - C_ij)/eps)),
// and that logsumexp is the one (1) computes next, so the L1 error sum_i |r_i - a_i| costs one
// exp of an [B, n] tensor per iteration.
#include "ot/sinkhorn.h"

#include <cmath>
#include <limits>
#include <optional>

#include "ot/checks.h"

namespace emofuse::ot {

SinkhornResult sinkhorn_log(const torch::Tensor& cost, const torch::Tensor& a, const torch::Tensor& b,
                            const SinkhornOptions& options) {
  detail::check_transport_problem(cost, a, b, "sinkhorn_log");
  detail::check_positive(options.epsilon(), "epsilon", "sinkhorn_log");
  TORCH_CHECK(options.iterations() >= 1, "sinkhorn_log: iterations must be >= 1, got ", options.iterations());
  TORCH_CHECK(options.tolerance() >= 0, "sinkhorn_log: tolerance must be >= 0, got ", options.tolerance());

  const double target = options.epsilon();
  const double scaling = options.epsilon_scaling();
  TORCH_CHECK(scaling > 0 && scaling <= 1, "sinkhorn_log: epsilon_scaling must be in (0, 1], got ", scaling);

  // Detached evaluation: no graph is recorded at all.
  std::optional<torch::NoGradGuard> no_grad;
  if (!options.differentiable()) no_grad.emplace();
  const torch::Tensor c = options.differentiable() ? cost : cost.detach();        // [B, n, m]
  const torch::Tensor log_a = (options.differentiable() ? a : a.detach()).log();  // [B, n]
  const torch::Tensor log_b = (options.differentiable() ? b : b.detach()).log();  // [B, m]
  const int64_t batch = c.size(0);

  // epsilon-scaling (Schmitzer 2019; Feydy et al. 2019): iteration k runs at
  //   eps_k = max(epsilon, spread * scaling^k),  spread = max C - min C per batch element,
  // warm-starting the potentials from the previous, blurrier problem. At eps ~ spread the
  // problem is easy; each small decrease of eps starts near its solution, which avoids the slow
  // convergence of plain Sinkhorn at eps << spread. `annealing_steps` is the first k at which
  // every element has reached the target epsilon.
  const torch::Tensor target_eps = torch::full({batch, 1}, target, c.options());  // [B, 1]
  torch::Tensor spread;                                                           // [B]
  int64_t annealing_steps = 0;
  if (scaling < 1) {
    torch::NoGradGuard guard;
    spread = c.detach().amax({1, 2}) - c.detach().amin({1, 2});
    const double max_spread = spread.max().item<double>();
    if (max_spread > target) {
      annealing_steps = static_cast<int64_t>(std::ceil(std::log(target / max_spread) / std::log(scaling)));
    }
    TORCH_CHECK(options.iterations() > annealing_steps, "sinkhorn_log: epsilon_scaling ", scaling, " needs more than ",
                annealing_steps, " iterations to lower epsilon from the cost spread ", max_spread, " to ", target,
                ", got iterations = ", options.iterations());
  }
  // Epsilon of iteration k, [B, 1] (broadcasts against potentials [B, n] / [B, m]).
  const auto epsilon_at = [&](int64_t k) -> torch::Tensor {
    if (k >= annealing_steps) return target_eps;
    return (spread * std::pow(scaling, static_cast<double>(k))).clamp_min(target).unsqueeze(1);
  };
  // logsumexp_j ((g_j - C_ij) / eps)  [B, n]  and  logsumexp_i ((f_i - C_ij) / eps)  [B, m]
  const auto row_softmin = [&](const torch::Tensor& g_now, const torch::Tensor& eps) {
    return ((g_now.unsqueeze(1) - c) / eps.unsqueeze(2)).logsumexp(2);
  };
  const auto col_softmin = [&](const torch::Tensor& f_now, const torch::Tensor& eps) {
    return ((f_now.unsqueeze(2) - c) / eps.unsqueeze(2)).logsumexp(1);
  };
  // Row-marginal L1 error (worst over the batch) of the plan built from (f, g) at the target
  // epsilon, given row_lse = row_softmin(g, target).
  const auto row_error = [&](const torch::Tensor& f_now, const torch::Tensor& row_lse) {
    torch::NoGradGuard guard;
    const torch::Tensor row_mass = (f_now.detach() / target + row_lse.detach()).exp();  // [B, n]
    return (row_mass - a.detach()).abs().sum(1).max().item<double>();
  };

  // f = g = 0 is the usual start (u = v = 1, the kernel itself).
  torch::Tensor f = torch::zeros_like(log_a);  // [B, n]
  torch::Tensor g = torch::zeros_like(log_b);  // [B, m]

  SinkhornResult result;
  double error = std::numeric_limits<double>::infinity();
  bool converged = false;
  int64_t it = 0;
  for (; it < options.iterations(); ++it) {
    const torch::Tensor eps = epsilon_at(it);  // [B, 1]
    const torch::Tensor row_lse = row_softmin(g, eps);
    if (options.tolerance() > 0 && it > annealing_steps) {
      // (f, g) is the previous iteration's plan, also at the target epsilon: stop before
      // changing it if it is accurate enough.
      error = row_error(f, row_lse);
      if (error < options.tolerance()) {
        converged = true;
        break;
      }
    }
    f = eps * (log_a - row_lse);              // update (1)
    g = eps * (log_b - col_softmin(f, eps));  // update (2)
  }
  if (!converged) error = row_error(f, row_softmin(g, target_eps));

  // P_ij = exp((f_i + g_j - C_ij) / eps)  [B, n, m]
  result.plan = ((f.unsqueeze(2) + g.unsqueeze(1) - c) / target).exp();
  result.transport_cost = (result.plan * c).sum({1, 2});  // [B]
  result.f = f;
  result.g = g;
  result.iterations = it;
  result.marginal_error = error;
  return result;
}

}  // namespace emofuse::ot
