// Tests of src/ot: log-domain Sinkhorn, IPOT, entropic Gromov-Wasserstein and cost helpers.
// Every expected value says where it came from.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <numeric>
#include <string>
#include <vector>

#include "ot/ot.h"

namespace emofuse::ot {
namespace {

using torch::indexing::Slice;

// Uniform marginals of the same dtype as `cost` [B, n, m].
std::pair<torch::Tensor, torch::Tensor> uniform_marginals(const torch::Tensor& cost) {
  return {uniform_marginal(cost.size(0), cost.size(1), cost.options()),
          uniform_marginal(cost.size(0), cost.size(2), cost.options())};
}

// Random strictly positive marginal [B, n] summing to 1 per row.
torch::Tensor random_marginal(int64_t batch, int64_t n, torch::Dtype dtype) {
  const torch::Tensor w = torch::rand({batch, n}, torch::dtype(dtype)) + 0.2;
  return w / w.sum(1, true);
}

// Exact linear-programming optimum for uniform marginals and a square cost [n, n]: by Birkhoff-
// von Neumann the optimum of min <P, C> over Pi(1/n, 1/n) is attained at a permutation matrix / n,
// so enumerating the n! permutations gives it exactly. Returns (cost, best permutation).
std::pair<double, std::vector<int64_t>> brute_force_lp(const torch::Tensor& cost) {
  const int64_t n = cost.size(0);
  const auto c = cost.to(torch::kDouble).contiguous();
  const auto acc = c.accessor<double, 2>();
  std::vector<int64_t> perm(n);
  std::iota(perm.begin(), perm.end(), 0);
  double best = std::numeric_limits<double>::infinity();
  std::vector<int64_t> best_perm = perm;
  do {
    double total = 0;
    for (int64_t i = 0; i < n; ++i) total += acc[i][perm[i]];
    if (total / n < best) {
      best = total / n;
      best_perm = perm;
    }
  } while (std::next_permutation(perm.begin(), perm.end()));
  return {best, best_perm};
}

// Permutation matrix / n: P_{i, perm[i]} = 1/n.
torch::Tensor permutation_plan(const std::vector<int64_t>& perm, torch::Dtype dtype) {
  const int64_t n = static_cast<int64_t>(perm.size());
  torch::Tensor plan = torch::zeros({n, n}, torch::dtype(dtype));
  for (int64_t i = 0; i < n; ++i) plan.index_put_({i, perm[i]}, 1.0 / n);
  return plan;
}

// Central finite differences of a scalar function of x (double): d f / d x_k ~
// (f(x + h e_k) - f(x - h e_k)) / 2h, error O(h^2) plus rounding O(eps_mach / h).
torch::Tensor finite_difference_gradient(const std::function<double(const torch::Tensor&)>& fn, const torch::Tensor& x,
                                         double h) {
  torch::NoGradGuard no_grad;
  torch::Tensor grad = torch::zeros_like(x);
  torch::Tensor flat_x = x.clone().reshape(-1);
  torch::Tensor flat_grad = grad.view(-1);
  for (int64_t k = 0; k < flat_x.numel(); ++k) {
    const double saved = flat_x[k].item<double>();
    flat_x[k] = saved + h;
    const double plus = fn(flat_x.view(x.sizes()));
    flat_x[k] = saved - h;
    const double minus = fn(flat_x.view(x.sizes()));
    flat_x[k] = saved;
    flat_grad[k] = (plus - minus) / (2 * h);
  }
  return grad;
}

// Both marginals of `plan` [B, n, m] match a, b to `tol` in max norm.
void expect_marginals(const torch::Tensor& plan, const torch::Tensor& a, const torch::Tensor& b, double tol) {
  EXPECT_LT((plan.sum(2) - a).abs().max().item<double>(), tol);
  EXPECT_LT((plan.sum(1) - b).abs().max().item<double>(), tol);
}

// ------------------------------------------------------------------------------------------
// Marginals.

TEST(OtSinkhornLog, MeetsMarginals) {
  torch::manual_seed(0);
  const torch::Tensor cost = torch::rand({3, 5, 7});
  const torch::Tensor a = random_marginal(3, 5, torch::kFloat);
  const torch::Tensor b = random_marginal(3, 7, torch::kFloat);
  const auto result = sinkhorn_log(cost, a, b, SinkhornOptions().epsilon(0.05).iterations(1000).tolerance(1e-6));
  // The brief's requirement: marginals within 1e-4 (the solver stops at L1 error 1e-6).
  expect_marginals(result.plan, a, b, 1e-4);
  EXPECT_LT(result.marginal_error, 1e-4);
  EXPECT_LT(result.iterations, 1000);  // stopped by the tolerance, not the cap
}

TEST(OtIpot, MeetsMarginals) {
  torch::manual_seed(1);
  const torch::Tensor cost = torch::rand({3, 5, 7});
  const torch::Tensor a = random_marginal(3, 5, torch::kFloat);
  const torch::Tensor b = random_marginal(3, 7, torch::kFloat);
  // With beta = 1 and L = 1 the row error decays geometrically: 7e-4 after 100 steps, 1.2e-4
  // after 200, 4.5e-6 after 400 (measured on this problem).
  const auto result = ipot(cost, a, b, IpotOptions().outer_iterations(400));
  expect_marginals(result.plan, a, b, 1e-4);  // the brief's requirement
  EXPECT_LT(result.marginal_error, 1e-4);
}

TEST(OtGromovWasserstein, MeetsMarginals) {
  torch::manual_seed(2);
  const torch::Tensor x = torch::randn({2, 5, 3});
  const torch::Tensor y = torch::randn({2, 6, 3});
  const torch::Tensor c1 = squared_euclidean_cost(x, x).sqrt();
  const torch::Tensor c2 = squared_euclidean_cost(y, y).sqrt();
  const torch::Tensor a = uniform_marginal(2, 5, x.options());
  const torch::Tensor b = uniform_marginal(2, 6, x.options());
  for (const auto solver : {GwInnerSolver::kIpot, GwInnerSolver::kSinkhorn}) {
    const auto result = entropic_gromov_wasserstein(
        c1, c2, a, b, GromovWassersteinOptions().inner_solver(solver).inner_iterations(200).regularization(0.5));
    expect_marginals(result.plan, a, b, 1e-4);  // the brief's requirement
  }
}

// ------------------------------------------------------------------------------------------
// Identical point clouds: the cost has zeros on the diagonal and positive entries elsewhere, so
// the unique OT plan is I / n; entropic plans differ from it by ~exp(-min off-diagonal / eps).

TEST(OtSinkhornLog, IdenticalPointCloudsGiveDiagonalPlan) {
  torch::manual_seed(3);
  const torch::Tensor x = torch::randn({2, 5, 3});
  const torch::Tensor cost = squared_euclidean_cost(x, x);
  const auto [a, b] = uniform_marginals(cost);
  const auto result = sinkhorn_log(cost, a, b, SinkhornOptions().epsilon(1e-3).iterations(2000).tolerance(1e-7));
  const torch::Tensor expected = torch::eye(5).expand({2, 5, 5}) / 5.0;  // I / n
  EXPECT_LT((result.plan - expected).abs().max().item<double>(), 1e-4);
  EXPECT_LT(result.transport_cost.abs().max().item<double>(), 1e-4);  // <I/n, C> = 0
}

TEST(OtIpot, IdenticalPointCloudsGiveDiagonalPlan) {
  torch::manual_seed(4);
  const torch::Tensor x = torch::randn({2, 5, 3});
  const torch::Tensor cost = squared_euclidean_cost(x, x);
  const auto [a, b] = uniform_marginals(cost);
  const auto result = ipot(cost, a, b, IpotOptions().outer_iterations(200));
  const torch::Tensor expected = torch::eye(5).expand({2, 5, 5}) / 5.0;  // I / n
  EXPECT_LT((result.plan - expected).abs().max().item<double>(), 1e-4);
}

// ------------------------------------------------------------------------------------------
// Small problems against the exact LP optimum (brute force over permutations).
//
// Tolerance for Sinkhorn: P_eps minimises <P, C> - eps H(P) over Pi(a, b), so
//   <P_eps, C> - <P*, C> <= eps (H(P_eps) - H(P*)) <= eps (H(a) + H(b) - log n) = eps log n
// for uniform marginals (H(P_eps) <= H(a) + H(b) = 2 log n, H(P* = perm / n) = log n). Plus the
// stopping error: a row-marginal L1 error delta moves <P, C> by at most delta * max |C|.
// IPOT converges to the exact LP optimum (Xie et al. 2019, Sec. 3); with beta = 1 on costs in
// [0, 1] it is linear and reaches 1e-14 in 300 steps on these problems (measured); we allow 1e-5.

struct SmallLpCase {
  const char* name;
  std::vector<double> cost;  // row-major n x n
  int64_t n;
  double lp_cost;  // optimum, by hand
};

std::vector<SmallLpCase> small_lp_cases() {
  return {
      // 2x2: identity costs 0.2 + 0.4, swap 0.9 + 0.7 -> LP = 0.3 at the identity (by hand).
      {"2x2", {0.2, 0.9, 0.7, 0.4}, 2, 0.3},
      // 3x3: the six permutation sums are 1.9, 1.1, 1.1, 0.9, 1.7, 2.3 (by hand); the unique
      // optimum is i -> (1, 2, 0) with (0.1 + 0.2 + 0.6) / 3 = 0.3, the runner-up 1.1 / 3.
      {"3x3", {0.4, 0.1, 0.9, 0.3, 0.8, 0.2, 0.6, 0.5, 0.7}, 3, 0.3},
  };
}

TEST(OtSinkhornLog, SmallEpsilonReachesLinearProgramOptimum) {
  const double eps = 1e-3;
  for (const auto& lp_case : small_lp_cases()) {
    // Plain Sinkhorn (scaling 1) and epsilon-scaling (0.9). Plain Sinkhorn converges only
    // sublinearly here (row error 1.3e-4 after 5000 iterations on the 3x3 case, measured), which
    // the marginal_error term of the tolerance covers; with scaling it converges to 1e-9 in 65.
    for (const double scaling : {1.0, 0.9}) {
      SCOPED_TRACE(std::string(lp_case.name) + " scaling " + std::to_string(scaling));
      const int64_t n = lp_case.n;
      const torch::Tensor cost2d = torch::tensor(lp_case.cost, torch::kDouble).reshape({n, n});
      const auto [lp_cost, lp_perm] = brute_force_lp(cost2d);
      EXPECT_NEAR(lp_cost, lp_case.lp_cost, 1e-12);  // brute force agrees with the hand value
      const torch::Tensor cost = cost2d.unsqueeze(0);
      const auto [a, b] = uniform_marginals(cost);
      const auto result = sinkhorn_log(
          cost, a, b, SinkhornOptions().epsilon(eps).iterations(5000).tolerance(1e-9).epsilon_scaling(scaling));
      const double slack = result.marginal_error * cost.abs().max().item<double>();
      const double achieved = result.transport_cost.item<double>();
      EXPECT_GE(achieved, lp_cost - slack);  // the LP value bounds feasible plans from below
      EXPECT_LE(achieved, lp_cost + eps * std::log(static_cast<double>(n)) + slack);
      // The optimum is unique (runner-up 0.2 / n worse, >> eps), so the plan is the permutation;
      // 1e-3 covers plain Sinkhorn's unconverged row error (1.3e-4, see above).
      EXPECT_LT((result.plan[0] - permutation_plan(lp_perm, torch::kDouble)).abs().max().item<double>(), 1e-3);
      if (scaling < 1) {
        EXPECT_LT(result.marginal_error, 1e-9);
      }
    }
  }
}

TEST(OtIpot, ReachesLinearProgramOptimum) {
  for (const auto& lp_case : small_lp_cases()) {
    SCOPED_TRACE(lp_case.name);
    const int64_t n = lp_case.n;
    const torch::Tensor cost2d = torch::tensor(lp_case.cost, torch::kDouble).reshape({n, n});
    const auto [lp_cost, lp_perm] = brute_force_lp(cost2d);
    const torch::Tensor cost = cost2d.unsqueeze(0);
    const auto [a, b] = uniform_marginals(cost);
    const auto result = ipot(cost, a, b, IpotOptions().beta(1.0).outer_iterations(300));
    EXPECT_NEAR(result.transport_cost.item<double>(), lp_cost, 1e-5);
    EXPECT_LT((result.plan[0] - permutation_plan(lp_perm, torch::kDouble)).abs().max().item<double>(), 1e-4);
  }
}

TEST(OtSinkhornLog, RandomSmallProblemsMatchBruteForce) {
  // Random 3x3 costs, uniform entries in [0, 1]; same tolerance argument as above. With
  // epsilon-scaling 0.9 the batch converges to a row error of 4e-14 in 66 iterations (measured;
  // plain Sinkhorn is still at 1.4e-4 after 5000 because of near-ties), so no slack is needed.
  torch::manual_seed(5);
  const torch::Tensor cost = torch::rand({8, 3, 3}, torch::kDouble);
  const auto [a, b] = uniform_marginals(cost);
  const double eps = 1e-3;
  const auto result =
      sinkhorn_log(cost, a, b, SinkhornOptions().epsilon(eps).iterations(5000).tolerance(1e-9).epsilon_scaling(0.9));
  ASSERT_LT(result.marginal_error, 1e-9);
  const auto ipot_result = ipot(cost, a, b, IpotOptions().outer_iterations(300));
  for (int64_t k = 0; k < cost.size(0); ++k) {
    const double lp_cost = brute_force_lp(cost[k]).first;
    EXPECT_GE(result.transport_cost[k].item<double>(), lp_cost - 1e-9);
    EXPECT_LE(result.transport_cost[k].item<double>(), lp_cost + eps * std::log(3.0) + 1e-9);
    // IPOT: exact in the limit; a near-tie between permutations slows it, so 1e-4 here.
    EXPECT_NEAR(ipot_result.transport_cost[k].item<double>(), lp_cost, 1e-4);
  }
}

// ------------------------------------------------------------------------------------------
// Gradients.

TEST(OtSinkhornLog, GradientMatchesFiniteDifferences) {
  // gradcheck is Python-only; central differences in double precision instead. A fixed number
  // of iterations (tolerance 0) makes the solver a smooth function of the cost, so finite
  // differences and autograd differentiate the same function.
  torch::manual_seed(6);
  const torch::Tensor cost = torch::rand({2, 3, 4}, torch::kDouble);
  const torch::Tensor a = random_marginal(2, 3, torch::kDouble);
  const torch::Tensor b = random_marginal(2, 4, torch::kDouble);
  const torch::Tensor weights = torch::tensor({1.0, -0.7}, torch::kDouble);  // mixes the batch
  const auto options = SinkhornOptions().epsilon(0.3).iterations(25).tolerance(0.0);
  const auto objective = [&](const torch::Tensor& c) {
    return (sinkhorn_log(c, a, b, options).transport_cost * weights).sum();
  };

  const torch::Tensor leaf = cost.clone().requires_grad_(true);
  objective(leaf).backward();
  const torch::Tensor numeric =
      finite_difference_gradient([&](const torch::Tensor& c) { return objective(c).item<double>(); }, cost, 1e-6);
  ASSERT_TRUE(leaf.grad().defined());
  // Tolerances of torch.autograd.gradcheck's defaults (atol 1e-5, rtol 1e-3).
  EXPECT_TRUE(torch::allclose(leaf.grad(), numeric, 1e-3, 1e-5)) << "autograd\n"
                                                                 << leaf.grad() << "\nfinite differences\n"
                                                                 << numeric;
}

TEST(OtSinkhornLog, DetachedEvaluationMatchesAndCarriesNoGraph) {
  torch::manual_seed(7);
  const torch::Tensor cost = torch::rand({2, 4, 4}).requires_grad_(true);
  const auto [a, b] = uniform_marginals(cost);
  const auto options = SinkhornOptions().epsilon(0.1).iterations(50).tolerance(0.0);
  const auto attached = sinkhorn_log(cost, a, b, options);
  const auto detached = sinkhorn_log(cost, a, b, SinkhornOptions(options).differentiable(false));
  EXPECT_TRUE(attached.plan.requires_grad());
  EXPECT_FALSE(detached.plan.requires_grad());
  EXPECT_FALSE(detached.transport_cost.requires_grad());
  EXPECT_TRUE(torch::allclose(attached.plan.detach(), detached.plan));
}

TEST(OtIpot, GradientFlowsToCost) {
  torch::manual_seed(8);
  const torch::Tensor cost = torch::rand({2, 3, 4}, torch::kDouble).requires_grad_(true);
  const auto [a, b] = uniform_marginals(cost);
  ipot(cost, a, b, IpotOptions().outer_iterations(20)).transport_cost.sum().backward();
  ASSERT_TRUE(cost.grad().defined());
  EXPECT_TRUE(torch::isfinite(cost.grad()).all().item<bool>());
  EXPECT_GT(cost.grad().abs().sum().item<double>(), 0.0);
}

// ------------------------------------------------------------------------------------------
// Numerical robustness.

TEST(OtSinkhornLog, TinyEpsilonAndZeroCostStayFinite) {
  torch::manual_seed(9);
  // float32: exp(-1 / 1e-4) underflows to 0, so the kernel form K = exp(-C / eps) would divide by
  // 0.
  const torch::Tensor cost = torch::rand({2, 6, 5}).requires_grad_(true);
  const auto [a, b] = uniform_marginals(cost);
  const auto tiny = sinkhorn_log(cost, a, b, SinkhornOptions().epsilon(1e-4).iterations(500).tolerance(1e-6));
  EXPECT_TRUE(torch::isfinite(tiny.plan).all().item<bool>());
  EXPECT_TRUE(torch::isfinite(tiny.transport_cost).all().item<bool>());
  tiny.transport_cost.sum().backward();
  EXPECT_TRUE(torch::isfinite(cost.grad()).all().item<bool>());
  // Columns are exact up to rounding: in float32 f / eps and g / eps (~max C / eps = 1e4) carry an
  // absolute error of ~1e4 * 6e-8 = 6e-4 into the exponent, i.e. a relative error of ~6e-4 on
  // each plan entry, so column sums (b_j = 0.2) are accurate to ~1.2e-4; we allow 1e-3.
  EXPECT_LT((tiny.plan.sum(1) - b).abs().max().item<double>(), 1e-3);

  // Zero cost: the entropic optimum is the independent coupling a b^T (max entropy in Pi(a, b)),
  // here 1 / (6 * 5) everywhere.
  const torch::Tensor zero = torch::zeros({2, 6, 5});  // all-zero cost
  const auto flat = sinkhorn_log(zero, a, b, SinkhornOptions().epsilon(1e-4));
  EXPECT_TRUE(torch::allclose(flat.plan, torch::full({2, 6, 5}, 1.0 / 30.0)));
  EXPECT_EQ(flat.transport_cost.abs().max().item<double>(), 0.0);

  const auto flat_ipot = ipot(zero, a, b, IpotOptions().beta(1e-4));
  EXPECT_TRUE(torch::allclose(flat_ipot.plan, torch::full({2, 6, 5}, 1.0 / 30.0)));
  const auto tiny_ipot = ipot(cost.detach(), a, b, IpotOptions().beta(1e-4));
  EXPECT_TRUE(torch::isfinite(tiny_ipot.plan).all().item<bool>());
}

TEST(OtSinkhornLog, ZeroMassEntriesGiveEmptyRows) {
  // a_0 = 0: f_0 = -inf and row 0 of the plan is 0 (handled by logsumexp, no NaN).
  const torch::Tensor cost = torch::rand({1, 3, 2}, torch::kDouble).requires_grad_(true);
  const torch::Tensor a = torch::tensor({{0.0, 0.5, 0.5}}, torch::kDouble);
  const torch::Tensor b = torch::tensor({{0.5, 0.5}}, torch::kDouble);
  const auto result = sinkhorn_log(cost, a, b, SinkhornOptions().epsilon(0.1).iterations(2000));
  EXPECT_EQ(result.plan[0][0].abs().sum().item<double>(), 0.0);
  expect_marginals(result.plan, a, b, 1e-6);
  result.transport_cost.sum().backward();
  EXPECT_TRUE(torch::isfinite(cost.grad()).all().item<bool>());
}

TEST(OtSinkhornLog, BatchedEqualsPerItem) {
  // Fixed iterations: with a tolerance the batch runs until its worst element converges, which
  // would only make the other elements more accurate than when solved alone.
  torch::manual_seed(10);
  const torch::Tensor cost = torch::rand({4, 5, 6}, torch::kDouble);
  const torch::Tensor a = random_marginal(4, 5, torch::kDouble);
  const torch::Tensor b = random_marginal(4, 6, torch::kDouble);
  // epsilon-scaling uses each element's own cost spread, so it too is per item.
  for (const double scaling : {1.0, 0.9}) {
    const auto options = SinkhornOptions().epsilon(0.05).iterations(60).tolerance(0.0).epsilon_scaling(scaling);
    const auto batched = sinkhorn_log(cost, a, b, options);
    for (int64_t k = 0; k < 4; ++k) {
      const auto sl = Slice(k, k + 1);
      const auto single = sinkhorn_log(cost.index({sl}), a.index({sl}), b.index({sl}), options);
      EXPECT_TRUE(torch::allclose(batched.plan.index({sl}), single.plan, 1e-10, 1e-12));
      EXPECT_NEAR(batched.transport_cost[k].item<double>(), single.transport_cost.item<double>(), 1e-12);
    }
  }
  const auto batched_ipot = ipot(cost, a, b, IpotOptions().outer_iterations(30));
  for (int64_t k = 0; k < 4; ++k) {
    const auto sl = Slice(k, k + 1);
    const auto single_ipot = ipot(cost.index({sl}), a.index({sl}), b.index({sl}), IpotOptions().outer_iterations(30));
    EXPECT_TRUE(torch::allclose(batched_ipot.plan.index({sl}), single_ipot.plan, 1e-10, 1e-12));
  }
}

// ------------------------------------------------------------------------------------------
// Gromov-Wasserstein.

TEST(OtGromovWasserstein, LinearizedCostMatchesDefinition) {
  // Equation (4) against the O(n^2 m^2) definition sum_kl (C1_ik - C2_jl)^2 T_kl, which equals
  // it whenever T has marginals a, b.
  torch::manual_seed(11);
  const int64_t n = 3, m = 4;
  const torch::Tensor c1 = torch::rand({1, n, n}, torch::kDouble);
  const torch::Tensor c2 = torch::rand({1, m, m}, torch::kDouble);
  const torch::Tensor a = random_marginal(1, n, torch::kDouble);
  const torch::Tensor b = random_marginal(1, m, torch::kDouble);
  const torch::Tensor plan = sinkhorn_log(torch::rand({1, n, m}, torch::kDouble), a, b,
                                          SinkhornOptions().epsilon(0.2).tolerance(1e-12).iterations(2000))
                                 .plan;
  // [n, 1, n, 1] - [1, m, 1, m] -> (C1_ik - C2_jl)^2 indexed [i, j, k, l].
  const torch::Tensor diff = c1[0].view({n, 1, n, 1}) - c2[0].view({1, m, 1, m});
  const torch::Tensor expected = (diff.pow(2) * plan[0].view({1, 1, n, m})).sum({2, 3});
  EXPECT_TRUE(torch::allclose(gw_linearized_cost(c1, c2, a, b, plan)[0], expected, 1e-8, 1e-10));
}

TEST(OtGromovWasserstein, IsometricSetsGivePermutationAndZeroDistance) {
  // y = (x R + t)[perm]: a rotated, shifted and shuffled copy of x. Its distance matrix is x's
  // with rows and columns permuted, so GW = 0 at T = (permutation matrix) / n, and the plan must
  // send x_i to the y_j that is its image: perm[j] = i.
  torch::manual_seed(12);
  const int64_t n = 6;
  const torch::Tensor x = torch::randn({1, n, 2}, torch::kDouble);
  const double angle = 0.7;
  const torch::Tensor rotation =
      torch::tensor({{std::cos(angle), -std::sin(angle)}, {std::sin(angle), std::cos(angle)}}, torch::kDouble);
  const std::vector<int64_t> perm = {3, 0, 5, 1, 4, 2};
  const torch::Tensor y = (torch::matmul(x, rotation) + 2.0).index({Slice(), torch::tensor(perm)});
  const torch::Tensor c1 = squared_euclidean_cost(x, x).sqrt();
  const torch::Tensor c2 = squared_euclidean_cost(y, y).sqrt();
  const torch::Tensor a = uniform_marginal(1, n, x.options());
  const torch::Tensor b = uniform_marginal(1, n, x.options());
  // Expected plan: T_{perm[j], j} = 1/n.
  torch::Tensor expected = torch::zeros({n, n}, torch::kDouble);
  for (int64_t j = 0; j < n; ++j) expected.index_put_({perm[j], j}, 1.0 / n);

  for (const auto solver : {GwInnerSolver::kIpot, GwInnerSolver::kSinkhorn}) {
    SCOPED_TRACE(solver == GwInnerSolver::kIpot ? "ipot" : "sinkhorn");
    // IPOT: the HeLo defaults (lambda 0.1, 5 x 20 iterations). Sinkhorn: eps 0.01 on distances
    // of order 1, so the entropic blur (~exp(-gap / eps)) stays well below the 1e-3 check.
    auto options = GromovWassersteinOptions().inner_solver(solver);
    if (solver == GwInnerSolver::kSinkhorn) options.regularization(0.01).inner_iterations(200);
    const auto result = entropic_gromov_wasserstein(c1, c2, a, b, options);
    EXPECT_TRUE(torch::equal(result.plan[0].argmax(0), expected.argmax(0)));
    EXPECT_LT((result.plan[0] - expected).abs().max().item<double>(), 1e-3);
    // GW(perm / n) = 0; measured 2e-10 (IPOT) and 5e-6 (Sinkhorn, whose entropic plan keeps
    // ~1e-5 of mass off the permutation), so 1e-4 leaves a margin of 20.
    EXPECT_LT(result.distance.abs().item<double>(), 1e-4);
  }
}

TEST(OtGromovWasserstein, BatchedEqualsPerItemAndGradientFlows) {
  torch::manual_seed(13);
  const torch::Tensor x = torch::randn({3, 4, 2}, torch::kDouble);
  const torch::Tensor y = torch::randn({3, 5, 2}, torch::kDouble);
  const torch::Tensor c1 = threshold_cost(cosine_cost(x, x)).requires_grad_(true);
  const torch::Tensor c2 = threshold_cost(cosine_cost(y, y));
  const torch::Tensor a = uniform_marginal(3, 4, x.options());
  const torch::Tensor b = uniform_marginal(3, 5, x.options());
  const auto batched = entropic_gromov_wasserstein(c1, c2, a, b);
  EXPECT_FALSE(batched.plan.requires_grad());  // default: plan found under NoGradGuard
  for (int64_t k = 0; k < 3; ++k) {
    const auto sl = Slice(k, k + 1);
    const auto single = entropic_gromov_wasserstein(c1.index({sl}), c2.index({sl}), a.index({sl}), b.index({sl}));
    EXPECT_TRUE(torch::allclose(batched.plan.index({sl}), single.plan, 1e-10, 1e-12));
  }
  batched.distance.sum().backward();
  ASSERT_TRUE(c1.grad().defined());
  EXPECT_TRUE(torch::isfinite(c1.grad()).all().item<bool>());
}

// ------------------------------------------------------------------------------------------
// Helpers on hand-computed inputs.

TEST(OtCosts, CosineCostByHand) {
  const torch::Tensor x = torch::tensor({{{1.0, 0.0}}});                           // [1, 1, 2]
  const torch::Tensor y = torch::tensor({{{0.0, 2.0}, {1.0, 1.0}, {-3.0, 0.0}}});  // [1, 3, 2]
  // 1 - cos: orthogonal 1, 45 degrees 1 - 1/sqrt(2), opposite 2.
  const torch::Tensor expected = torch::tensor({{{1.0, 1.0 - 1.0 / std::sqrt(2.0), 2.0}}});
  EXPECT_TRUE(torch::allclose(cosine_cost(x, y), expected, 1e-6, 1e-6));
}

TEST(OtCosts, ThresholdCostPerBatchElement) {
  const torch::Tensor cost = torch::tensor({{{0.0, 1.0}, {2.0, 10.0}},   // min 0, max 10
                                            {{5.0, 5.0}, {6.0, 7.0}}});  // min 5, max 7
  // Element 0: threshold 0 + 0.1 * 10 = 1 -> [[0, 0], [1, 9]].
  // Element 1: threshold 5 + 0.1 * 2 = 5.2 -> [[0, 0], [0.8, 1.8]].
  const torch::Tensor expected = torch::tensor({{{0.0, 0.0}, {1.0, 9.0}}, {{0.0, 0.0}, {0.8, 1.8}}});
  EXPECT_TRUE(torch::allclose(threshold_cost(cost), expected, 1e-6, 1e-6));
  // fraction 0.5: element 0 threshold 5 -> [[0, 0], [0, 5]].
  EXPECT_TRUE(torch::allclose(threshold_cost(cost, ThresholdCostOptions().fraction(0.5))[0],
                              torch::tensor({{0.0, 0.0}, {0.0, 5.0}})));
}

TEST(OtCosts, UniformMarginalAndBarycentricProjection) {
  const torch::Tensor u = uniform_marginal(2, 4, torch::dtype(torch::kDouble));
  EXPECT_EQ(u.sizes(), torch::IntArrayRef({2, 4}));
  EXPECT_EQ(u.scalar_type(), torch::kDouble);
  EXPECT_TRUE(torch::allclose(u, torch::full({2, 4}, 0.25, torch::kDouble)));

  // Row 0 splits 0.3 / 0.1 -> 3/4 y_0 + 1/4 y_1; row 1 all on y_1; row 2 empty -> 0 (by hand).
  const torch::Tensor plan = torch::tensor({{{0.3, 0.1}, {0.0, 0.6}, {0.0, 0.0}}});
  const torch::Tensor y = torch::tensor({{{4.0, 0.0}, {0.0, 8.0}}});
  const torch::Tensor expected = torch::tensor({{{3.0, 2.0}, {0.0, 8.0}, {0.0, 0.0}}});
  EXPECT_TRUE(torch::allclose(barycentric_projection(plan, y), expected, 1e-6, 1e-6));
}

// ------------------------------------------------------------------------------------------
// Invalid inputs raise c10::Error (TORCH_CHECK) before any work.

TEST(OtValidation, InvalidInputsThrow) {
  const torch::Tensor cost = torch::rand({2, 3, 4});
  const torch::Tensor a = uniform_marginal(2, 3, cost.options());
  const torch::Tensor b = uniform_marginal(2, 4, cost.options());
  EXPECT_THROW(sinkhorn_log(cost[0], a, b), c10::Error);     // cost not [B, n, m]
  EXPECT_THROW(sinkhorn_log(cost, b, b), c10::Error);        // a has m entries
  EXPECT_THROW(sinkhorn_log(cost, a, a), c10::Error);        // b has n entries
  EXPECT_THROW(sinkhorn_log(cost, a * 2.0, b), c10::Error);  // unequal mass
  EXPECT_THROW(sinkhorn_log(cost, a, b, SinkhornOptions().epsilon(0.0)), c10::Error);
  EXPECT_THROW(sinkhorn_log(cost, a, b, SinkhornOptions().epsilon(-1.0)), c10::Error);
  EXPECT_THROW(sinkhorn_log(cost, a, b, SinkhornOptions().iterations(0)), c10::Error);
  EXPECT_THROW(sinkhorn_log(cost, a, b, SinkhornOptions().epsilon_scaling(0.0)), c10::Error);
  EXPECT_THROW(sinkhorn_log(cost, a, b, SinkhornOptions().epsilon_scaling(1.5)), c10::Error);
  // Scaling 0.5 from a spread of ~1 down to 1e-3 needs 10 iterations; 5 cannot reach the target.
  EXPECT_THROW(sinkhorn_log(cost, a, b, SinkhornOptions().epsilon(1e-3).epsilon_scaling(0.5).iterations(5)),
               c10::Error);
  EXPECT_THROW(sinkhorn_log(cost, a.to(torch::kDouble), b), c10::Error);  // dtype mismatch
  const torch::Tensor negative = torch::tensor({{0.5, 0.6, -0.1}, {0.2, 0.3, 0.5}});
  EXPECT_THROW(sinkhorn_log(cost, negative, b), c10::Error);  // negative mass
  torch::Tensor nan_cost = cost.clone();
  nan_cost[0][0][0] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_THROW(sinkhorn_log(nan_cost, a, b), c10::Error);              // NaN cost
  EXPECT_THROW(sinkhorn_log(cost.to(torch::kInt), a, b), c10::Error);  // integer cost

  EXPECT_THROW(ipot(cost, a, b, IpotOptions().beta(0.0)), c10::Error);
  EXPECT_THROW(ipot(cost, a, b, IpotOptions().outer_iterations(0)), c10::Error);
  EXPECT_THROW(ipot(cost, a * 3.0, b), c10::Error);  // unequal mass
  const torch::Tensor with_zero = torch::tensor({{0.0, 0.5, 0.5}, {0.2, 0.3, 0.5}});
  EXPECT_THROW(ipot(cost, with_zero, b), c10::Error);  // IPOT needs a > 0

  const torch::Tensor c1 = torch::rand({2, 3, 3});
  const torch::Tensor c2 = torch::rand({2, 4, 4});
  EXPECT_THROW(entropic_gromov_wasserstein(cost, c2, a, b), c10::Error);                // c1 not square
  EXPECT_THROW(entropic_gromov_wasserstein(c1, c2[0].unsqueeze(0), a, b), c10::Error);  // batch
  EXPECT_THROW(entropic_gromov_wasserstein(c1, c2, b, a), c10::Error);                  // swapped marginals
  EXPECT_THROW(entropic_gromov_wasserstein(c1, c2, a, b, GromovWassersteinOptions().regularization(0.0)), c10::Error);

  EXPECT_THROW(cosine_cost(torch::rand({2, 3, 5}), torch::rand({2, 4, 6})), c10::Error);  // d
  EXPECT_THROW(threshold_cost(cost, ThresholdCostOptions().fraction(1.5)), c10::Error);
  EXPECT_THROW(uniform_marginal(2, 0, cost.options()), c10::Error);
  EXPECT_THROW(barycentric_projection(cost, torch::rand({2, 3, 5})), c10::Error);  // m != 4
}

}  // namespace
}  // namespace emofuse::ot
