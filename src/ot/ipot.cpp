// IPOT (Xie, Wang, Wang & Zha 2019, "A Fast Proximal Point Method for Computing Exact
// Wasserstein Distance", Algorithm 1).
//
// Exact OT, min_{T in Pi(a, b)} <C, T>, by the proximal point method with a KL proximity term:
//   T_{t+1} = argmin_{T in Pi(a, b)} <C, T> + beta KL(T || T_t)                          (3)
// Each step (3) is an entropic OT problem whose kernel is Q = exp(-C / beta) (.) T_t (Hadamard
// product), so it is solved by Sinkhorn scalings T_{t+1} = diag(u) Q diag(v). IPOT solves it
// inexactly with L Sinkhorn steps (L = 1 in the paper) and keeps the scaling v from one proximal
// step to the next (Algorithm 1 initialises v = 1/m once, T_1 = 1 1^T). At a fixed point,
// u_i v_j exp(-C_ij / beta) = 1 on the support of T, i.e. beta log u + beta log v are dual
// potentials satisfying complementary slackness, and T is an exact OT plan: unlike Sinkhorn's
// epsilon, beta changes the speed of convergence, not the limit.
//
// Log domain: the paper multiplies kernels, which underflows for beta << cost and after many
// steps (T_t's entries off the optimal support decay geometrically). We carry log T, log u,
// log v instead (as in log-domain Sinkhorn, Peyré & Cuturi 2019, Sec. 4.4):
//   log Q = log T_t - C / beta
//   log u = log a - logsumexp_j (log Q_ij + log v_j)
//   log v = log b - logsumexp_i (log Q_ij + log u_i)          (repeated L times)
//   log T_{t+1} = log u_i + log Q_ij + log v_j.
// Zero marginals would make a whole row of log T equal to -inf and the next logsumexp -inf - -inf,
// so IPOT requires strictly positive marginals (drop zero-mass points beforehand).
#include "ot/ipot.h"

#include <cmath>
#include <optional>

#include "ot/checks.h"

namespace emofuse::ot {

IpotResult ipot(const torch::Tensor& cost, const torch::Tensor& a, const torch::Tensor& b, const IpotOptions& options) {
  detail::check_transport_problem(cost, a, b, "ipot");
  detail::check_positive(options.beta(), "beta", "ipot");
  TORCH_CHECK(options.outer_iterations() >= 1, "ipot: outer_iterations must be >= 1, got ", options.outer_iterations());
  TORCH_CHECK(options.inner_iterations() >= 1, "ipot: inner_iterations must be >= 1, got ", options.inner_iterations());
  {
    torch::NoGradGuard guard;
    TORCH_CHECK((a > 0).all().item<bool>() && (b > 0).all().item<bool>(),
                "ipot: marginals must be strictly positive (drop zero-mass points first)");
  }

  std::optional<torch::NoGradGuard> no_grad;
  if (!options.differentiable()) no_grad.emplace();
  const torch::Tensor c = options.differentiable() ? cost : cost.detach();        // [B, n, m]
  const torch::Tensor log_a = (options.differentiable() ? a : a.detach()).log();  // [B, n]
  const torch::Tensor log_b = (options.differentiable() ? b : b.detach()).log();  // [B, m]
  const int64_t m = c.size(2);

  const torch::Tensor neg_c_over_beta = c.neg() / options.beta();                    // log G, G = exp(-C/beta)
  torch::Tensor log_t = torch::zeros_like(c);                                        // T_1 = 1 1^T
  torch::Tensor log_v = torch::full_like(log_b, -std::log(static_cast<double>(m)));  // v = 1/m
  torch::Tensor log_u;

  for (int64_t t = 0; t < options.outer_iterations(); ++t) {
    const torch::Tensor log_q = log_t + neg_c_over_beta;  // Q = G (.) T_t  [B, n, m]
    for (int64_t l = 0; l < options.inner_iterations(); ++l) {
      log_u = log_a - (log_q + log_v.unsqueeze(1)).logsumexp(2);  // u = a / (Q v)    [B, n]
      log_v = log_b - (log_q + log_u.unsqueeze(2)).logsumexp(1);  // v = b / (Q^T u)  [B, m]
    }
    log_t = log_u.unsqueeze(2) + log_q + log_v.unsqueeze(1);  // T = diag(u) Q diag(v)
  }

  IpotResult result;
  result.plan = log_t.exp();                              // [B, n, m]
  result.transport_cost = (result.plan * c).sum({1, 2});  // [B]
  {
    torch::NoGradGuard guard;
    result.marginal_error = (result.plan.detach().sum(2) - a.detach()).abs().sum(1).max().item<double>();
  }
  return result;
}

}  // namespace emofuse::ot
