// Entropic Gromov-Wasserstein (Peyré, Cuturi & Solomon 2016, "Gromov-Wasserstein averaging of
// kernel and distance matrices", ICML).
//
// GW between (C1, a) and (C2, b) with loss L:
//   GW(T) = sum_ijkl L(C1_ik, C2_jl) T_ij T_kl = <L(C1, C2) (x) T, T>,  T in Pi(a, b).
// For losses of the form L(x, y) = f1(x) + f2(y) - h1(x) h2(y), Prop. 1 of the paper gives the
// tensor-matrix product in O(n^2 m + n m^2) instead of O(n^2 m^2):
//   L(C1, C2) (x) T = f1(C1) a 1_m^T + 1_n b^T f2(C2)^T - h1(C1) T h2(C2)^T               (4)
// (using T 1 = a, T^T 1 = b). The square loss (x - y)^2 has f1 = x^2, f2 = y^2, h1 = x, h2 = 2y.
//
// Minimisation (the paper's entropic GW iteration): GW(T) is a non-convex quadratic. Projected
// mirror descent for the KL geometry with step 1/epsilon reduces to repeatedly
//   T <- argmin_{T' in Pi(a, b)} <L(C1, C2) (x) T, T'> - epsilon H(T'),
// i.e. linearise at T with (4), then solve an entropic OT problem (log-domain Sinkhorn here).
// The HeLo / GOT (Chen et al. 2020, "Graph Optimal Transport") reference code solves the same
// linearised problem with IPOT (proximal step lambda) instead, which drives each inner plan
// towards the exact OT plan of the linearised cost; both are selectable. The start is the
// independent coupling T_0 = a b^T.
#include "ot/gromov_wasserstein.h"

#include <ATen/Parallel.h>

#include <atomic>
#include <cmath>
#include <limits>
#include <optional>
#include <vector>

#include "ot/checks.h"
#include "ot/ipot.h"
#include "ot/sinkhorn.h"

namespace emofuse::ot {
namespace {

void check_gw_problem(const torch::Tensor& c1, const torch::Tensor& c2, const torch::Tensor& a, const torch::Tensor& b,
                      const char* where) {
  TORCH_CHECK(c1.defined() && c2.defined(), where, ": c1 and c2 must be defined tensors");
  TORCH_CHECK(c1.dim() == 3 && c1.size(1) == c1.size(2), where,
              ": c1 must be a square intra-set cost [B, n, n], got shape ", c1.sizes());
  TORCH_CHECK(c2.dim() == 3 && c2.size(1) == c2.size(2), where,
              ": c2 must be a square intra-set cost [B, m, m], got shape ", c2.sizes());
  TORCH_CHECK(c1.size(0) > 0 && c1.size(1) > 0 && c2.size(1) > 0, where, ": c1 and c2 must be non-empty, got shapes ",
              c1.sizes(), " and ", c2.sizes());
  TORCH_CHECK(c1.size(0) == c2.size(0), where, ": c1 and c2 must have the same batch size, got ", c1.size(0), " and ",
              c2.size(0));
  TORCH_CHECK(c1.scalar_type() == c2.scalar_type(), where, ": c1 and c2 must share one dtype, got ", c1.scalar_type(),
              " and ", c2.scalar_type());
  TORCH_CHECK(c2.device() == c1.device(), where, ": c1 and c2 must be on one device");
  // The marginals are checked against a [B, n, m] problem; an expanded view costs no memory.
  const torch::Tensor shape_probe = c1.select(2, 0).unsqueeze(2).expand({c1.size(0), c1.size(1), c2.size(1)});
  detail::check_transport_problem(shape_probe, a, b, where);
  torch::NoGradGuard no_grad;
  TORCH_CHECK(torch::isfinite(c2).all().item<bool>() && torch::isfinite(c1).all().item<bool>(), where,
              ": c1 or c2 contains NaN or Inf");
}

// Fused CPU kernel for the plan of one GW problem with the IPOT inner solver, held fixed (no
// autograd). The same iterations as the tensor path below, in the scaling domain:
//   L = f1(C1) a 1^T + 1 b^T f2(C2)^T - 2 C1 T C2^T                          (Eq. 4)
//   G = exp(-(L - min L) / beta)   (the shift by min L is absorbed by the scalings u, v)
//   T_1 = 1 1^T, v = 1/m; repeat: Q = G (.) T; u = a / (Q v); v = b / (Q^T u); T = diag(u) Q diag(v)
// Only G needs exponentials (n m per GW step), where the log-domain path takes 2 n m per IPOT
// iteration. Entries off the optimal support decay geometrically and may underflow to 0, which is
// harmless; a row or column whose scaling becomes 0 or non-finite makes the kernel return false.
// <x, y> over `len` entries with four independent partial sums, so that the additions do not
// form one serial dependency chain (a single accumulator is bound by the FP add latency).
inline double dot(const double* x, const double* y, int64_t len) {
  double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
  int64_t k = 0;
  for (; k + 4 <= len; k += 4) {
    s0 += x[k] * y[k];
    s1 += x[k + 1] * y[k + 1];
    s2 += x[k + 2] * y[k + 2];
    s3 += x[k + 3] * y[k + 3];
  }
  for (; k < len; ++k) s0 += x[k] * y[k];
  return (s0 + s1) + (s2 + s3);
}

// Built twice: for the baseline x86-64 and for x86-64-v3 (AVX2 + FMA: four doubles per
// instruction); the loader picks the best clone the CPU supports at run time (GCC target_clones).
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
__attribute__((target_clones("default", "arch=x86-64-v3")))
#endif
bool gw_ipot_plan_one(const double* c1, const double* c2, const double* a, const double* b, int64_t n, int64_t m,
                      double beta, int64_t gw_steps, int64_t ipot_steps, double* plan) {
  std::vector<double> row_term(n), col_term(m), c2t(m * m), tmp(n * m), gibbs(n * m), u(n), v(m), qu(m);
  for (int64_t i = 0; i < n; ++i) {
    std::vector<double> sq(c1 + i * n, c1 + (i + 1) * n);
    for (auto& x : sq) x *= x;
    row_term[i] = dot(sq.data(), a, n);  // (C1^2 a)_i
  }
  for (int64_t j = 0; j < m; ++j) {
    std::vector<double> sq(c2 + j * m, c2 + (j + 1) * m);
    for (auto& x : sq) x *= x;
    col_term[j] = dot(sq.data(), b, m);  // (C2^2 b)_j
  }
  for (int64_t j = 0; j < m; ++j) {
    for (int64_t l = 0; l < m; ++l) c2t[l * m + j] = c2[j * m + l];  // C2^T, row-major
  }
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < m; ++j) plan[i * m + j] = a[i] * b[j];  // T_0 = a b^T
  }
  // Every inner loop below runs over a contiguous row (j or l), so the compiler vectorises it.
  for (int64_t step = 0; step < gw_steps; ++step) {
    // tmp = C1 T  [n, m]
    std::fill(tmp.begin(), tmp.end(), 0.0);
    for (int64_t i = 0; i < n; ++i) {
      double* out = tmp.data() + i * m;
      for (int64_t k = 0; k < n; ++k) {
        const double c = c1[i * n + k];
        const double* t_row = plan + k * m;
        for (int64_t j = 0; j < m; ++j) out[j] += c * t_row[j];
      }
    }
    // cross = tmp C2^T [n, m], kept in `gibbs`; then L_ij = row_i + col_j - 2 cross_ij and
    // G = exp(-(L - min L) / beta).
    std::fill(gibbs.begin(), gibbs.end(), 0.0);
    for (int64_t i = 0; i < n; ++i) {
      double* out = gibbs.data() + i * m;
      for (int64_t l = 0; l < m; ++l) {
        const double t = tmp[i * m + l];
        const double* c2t_row = c2t.data() + l * m;
        for (int64_t j = 0; j < m; ++j) out[j] += t * c2t_row[j];
      }
    }
    double min_cost = std::numeric_limits<double>::infinity();
    for (int64_t i = 0; i < n; ++i) {
      double* row = gibbs.data() + i * m;
      for (int64_t j = 0; j < m; ++j) {
        row[j] = row_term[i] + col_term[j] - 2.0 * row[j];
        min_cost = std::min(min_cost, row[j]);
      }
    }
    for (auto& g : gibbs) g = std::exp(-(g - min_cost) / beta);
    // IPOT from T = 1 1^T, v = 1/m (Xie et al. 2019, Algorithm 1, one Sinkhorn step per proximal step).
    std::fill(plan, plan + n * m, 1.0);
    std::fill(v.begin(), v.end(), 1.0 / static_cast<double>(m));
    for (int64_t t = 0; t < ipot_steps; ++t) {
      for (int64_t k = 0; k < n * m; ++k) plan[k] *= gibbs[k];  // Q = G (.) T
      for (int64_t i = 0; i < n; ++i) {
        u[i] = a[i] / dot(plan + i * m, v.data(), m);  // u = a / (Q v)
        if (!(u[i] > 0.0) || !std::isfinite(u[i])) return false;
      }
      std::fill(qu.begin(), qu.end(), 0.0);
      for (int64_t i = 0; i < n; ++i) {
        const double* q_row = plan + i * m;
        for (int64_t j = 0; j < m; ++j) qu[j] += q_row[j] * u[i];  // Q^T u
      }
      for (int64_t j = 0; j < m; ++j) {
        v[j] = b[j] / qu[j];
        if (!(v[j] > 0.0) || !std::isfinite(v[j])) return false;
      }
      for (int64_t i = 0; i < n; ++i) {
        double* row = plan + i * m;
        for (int64_t j = 0; j < m; ++j) row[j] *= u[i] * v[j];  // T = diag(u) Q diag(v)
      }
    }
  }
  return true;
}

// The plan for every problem of the batch with the fused kernel; nullopt when any problem
// under/overflowed (the caller then uses the log-domain tensor path).
std::optional<torch::Tensor> gw_ipot_plan_cpu(const torch::Tensor& c1, const torch::Tensor& c2, const torch::Tensor& a,
                                              const torch::Tensor& b, const GromovWassersteinOptions& options) {
  const auto c1d = c1.detach().to(torch::kFloat64).contiguous();
  const auto c2d = c2.detach().to(torch::kFloat64).contiguous();
  const auto ad = a.detach().to(torch::kFloat64).contiguous();
  const auto bd = b.detach().to(torch::kFloat64).contiguous();
  const int64_t batch = c1.size(0), n = c1.size(1), m = c2.size(1);
  auto plan = torch::empty({batch, n, m}, c1d.options());
  std::atomic<bool> ok{true};
  at::parallel_for(0, batch, 1, [&](int64_t begin, int64_t end) {
    for (int64_t e = begin; e < end; ++e) {
      if (!gw_ipot_plan_one(c1d.data_ptr<double>() + e * n * n, c2d.data_ptr<double>() + e * m * m,
                            ad.data_ptr<double>() + e * n, bd.data_ptr<double>() + e * m, n, m,
                            options.regularization(), options.outer_iterations(), options.inner_iterations(),
                            plan.data_ptr<double>() + e * n * m)) {
        ok = false;
      }
    }
  });
  if (!ok) return std::nullopt;
  return plan.to(c1.scalar_type());
}

}  // namespace

torch::Tensor gw_linearized_cost(const torch::Tensor& c1, const torch::Tensor& c2, const torch::Tensor& a,
                                 const torch::Tensor& b, const torch::Tensor& plan) {
  TORCH_CHECK(plan.defined() && plan.dim() == 3 && c1.dim() == 3 && c2.dim() == 3 && plan.size(0) == c1.size(0) &&
                  plan.size(1) == c1.size(1) && plan.size(2) == c2.size(1),
              "gw_linearized_cost: plan must be [B, n, m] for c1 [B, n, n], c2 [B, m, m], got plan ", plan.sizes(),
              ", c1 ", c1.sizes(), ", c2 ", c2.sizes());
  TORCH_CHECK(a.dim() == 2 && a.size(0) == plan.size(0) && a.size(1) == plan.size(1) && b.dim() == 2 &&
                  b.size(0) == plan.size(0) && b.size(1) == plan.size(2),
              "gw_linearized_cost: a must be [B, n] and b [B, m] for plan ", plan.sizes(), ", got a ", a.sizes(),
              ", b ", b.sizes());
  // Equation (4), square loss: f1(C1) a 1^T + 1 b^T f2(C2)^T.
  const torch::Tensor row_term = torch::bmm(c1.pow(2), a.unsqueeze(2));                  // [B, n, 1]
  const torch::Tensor col_term = torch::bmm(b.unsqueeze(1), c2.pow(2).transpose(1, 2));  // [B, 1, m]
  // - h1(C1) T h2(C2)^T = -2 C1 T C2^T.
  const torch::Tensor cross = torch::bmm(torch::bmm(c1, plan), c2.transpose(1, 2));  // [B, n, m]
  return row_term + col_term - 2.0 * cross;                                          // [B, n, m]
}

bool gw_ipot_plan_fused(const double* c1, const double* c2, const double* a, const double* b, int64_t n, int64_t m,
                        const GromovWassersteinOptions& options, double* plan) {
  return gw_ipot_plan_one(c1, c2, a, b, n, m, options.regularization(), options.outer_iterations(),
                          options.inner_iterations(), plan);
}

GromovWassersteinResult entropic_gromov_wasserstein(const torch::Tensor& c1, const torch::Tensor& c2,
                                                    const torch::Tensor& a, const torch::Tensor& b,
                                                    const GromovWassersteinOptions& options) {
  constexpr const char* kWhere = "entropic_gromov_wasserstein";
  if (options.check_inputs()) check_gw_problem(c1, c2, a, b, kWhere);
  detail::check_positive(options.regularization(), "regularization (lambda)", kWhere);
  TORCH_CHECK(options.outer_iterations() >= 1, kWhere, ": outer_iterations must be >= 1, got ",
              options.outer_iterations());
  TORCH_CHECK(options.inner_iterations() >= 1, kWhere, ": inner_iterations must be >= 1, got ",
              options.inner_iterations());

  const bool through = options.differentiate_through_solver();
  torch::Tensor plan;  // [B, n, m]
  {
    // Plan search: recorded by autograd only when differentiating through the solver.
    std::optional<torch::NoGradGuard> no_grad;
    if (!through) no_grad.emplace();
    const torch::Tensor c1_s = through ? c1 : c1.detach();
    const torch::Tensor c2_s = through ? c2 : c2.detach();
    const torch::Tensor a_s = through ? a : a.detach();
    const torch::Tensor b_s = through ? b : b.detach();

    std::optional<torch::Tensor> fused;
    if (!through && options.fused_cpu() && options.inner_solver() == GwInnerSolver::kIpot && c1.device().is_cpu()) {
      fused = gw_ipot_plan_cpu(c1_s, c2_s, a_s, b_s, options);
    }
    plan = fused ? *fused : a_s.unsqueeze(2) * b_s.unsqueeze(1);  // T_0 = a b^T
    for (int64_t k = 0; !fused && k < options.outer_iterations(); ++k) {
      const torch::Tensor linear_cost = gw_linearized_cost(c1_s, c2_s, a_s, b_s, plan);
      if (options.inner_solver() == GwInnerSolver::kIpot) {
        plan = ipot(linear_cost, a_s, b_s,
                    IpotOptions()
                        .beta(options.regularization())
                        .outer_iterations(options.inner_iterations())
                        .differentiable(through))
                   .plan;
      } else {
        plan = sinkhorn_log(linear_cost, a_s, b_s,
                            SinkhornOptions()
                                .epsilon(options.regularization())
                                .iterations(options.inner_iterations())
                                .tolerance(0.0)
                                .differentiable(through))
                   .plan;
      }
    }
  }

  GromovWassersteinResult result;
  result.plan = plan;
  // GW(T) = <L(C1, C2) (x) T, T>, differentiable in C1, C2 (and through T when requested).
  if (options.compute_distance()) {
    result.distance = (gw_linearized_cost(c1, c2, a, b, plan) * plan).sum({1, 2});  // [B]
  }
  return result;
}

}  // namespace emofuse::ot
