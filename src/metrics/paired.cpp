#include "metrics/paired.h"

#include <algorithm>
#include <boost/math/distributions/normal.hpp>
#include <cmath>
#include <numeric>
#include <stdexcept>

namespace emofuse::metrics {

namespace {

// Checks that `a` and `b` can be paired: same length and every value finite. `what` names the
// caller in the message ("wilcoxon_signed_rank", "compare_paired").
void check_paired_input(const std::vector<double>& a, const std::vector<double>& b, const std::string& what,
                        const std::string& a_name, const std::string& b_name) {
  if (a.size() != b.size()) {
    throw std::invalid_argument(what + ": " + a_name + " has " + std::to_string(a.size()) + " values but " + b_name +
                                " has " + std::to_string(b.size()) + "; paired values need equal lengths");
  }
  for (size_t i = 0; i < a.size(); ++i) {
    if (!std::isfinite(a[i])) {
      throw std::invalid_argument(what + ": " + a_name + "[" + std::to_string(i) + "] is not finite (" +
                                  std::to_string(a[i]) + ")");
    }
    if (!std::isfinite(b[i])) {
      throw std::invalid_argument(what + ": " + b_name + "[" + std::to_string(i) + "] is not finite (" +
                                  std::to_string(b[i]) + ")");
    }
    // Two finite doubles of opposite sign near the largest double can still overflow.
    if (!std::isfinite(a[i] - b[i])) {
      throw std::invalid_argument(what + ": the difference " + a_name + "[" + std::to_string(i) + "] - " + b_name +
                                  "[" + std::to_string(i) + "] overflows");
    }
  }
}

// Exact two-sided p for an integer W+ among n untied ranks 1..n.
//
// Under H0 each of the 2^n sign patterns has probability 2^-n, and W+ is the sum of the ranks
// carrying a "+". So count[s] = number of subsets of {1..n} whose elements sum to s, which the
// subset-sum recurrence builds one rank at a time (knapsack, iterating s downwards so that each
// rank is used at most once):
//   count_k[s] = count_{k-1}[s] + count_{k-1}[s - k].
// The counts are integers <= 2^n; for n <= 50 they stay below 2^53, so doubles hold them (and
// their partial sums, also <= 2^n) exactly, and dividing by 2^n (a power of two) is exact too.
// p = min(1, 2 min(P(W+ <= w), P(W+ >= w))).
double exact_two_sided_p(int64_t n, int64_t w) {
  const int64_t max_sum = n * (n + 1) / 2;
  std::vector<double> count(static_cast<size_t>(max_sum + 1), 0.0);
  count[0] = 1.0;  // the empty subset: all signs negative
  for (int64_t rank = 1; rank <= n; ++rank) {
    const int64_t reachable = rank * (rank + 1) / 2;
    for (int64_t s = reachable; s >= rank; --s) count[s] += count[s - rank];
  }
  double at_most = 0.0, at_least = 0.0;
  for (int64_t s = 0; s <= max_sum; ++s) (s <= w ? at_most : at_least) += count[s];
  at_least += count[w];                                       // W+ = w belongs to both tails
  const double total = std::ldexp(1.0, static_cast<int>(n));  // 2^n
  const double p = 2.0 * std::min(at_most, at_least) / total;
  return std::min(1.0, p);
}

}  // namespace

WilcoxonResult wilcoxon_signed_rank(const std::vector<double>& a, const std::vector<double>& b) {
  check_paired_input(a, b, "wilcoxon_signed_rank", "a", "b");

  // d_i = a_i - b_i; exact zeros are dropped (Wilcoxon's convention, scipy's zero_method="wilcox").
  std::vector<double> d;
  d.reserve(a.size());
  for (size_t i = 0; i < a.size(); ++i) {
    const double diff = a[i] - b[i];
    if (diff != 0.0) d.push_back(diff);
  }
  const auto n = static_cast<int64_t>(d.size());

  // Rank |d_i| ascending; a group of t equal |d| (compared exactly) at positions i..i+t-1
  // (0-based) shares the mean rank ((i+1) + (i+t)) / 2. Each group adds (t^3 - t) to the tie term.
  std::vector<size_t> order(d.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t x, size_t y) { return std::fabs(d[x]) < std::fabs(d[y]); });
  double w_plus = 0.0;
  double tie_term = 0.0;  // sum over tie groups of (t^3 - t)
  for (size_t i = 0; i < order.size();) {
    size_t j = i + 1;
    while (j < order.size() && std::fabs(d[order[j]]) == std::fabs(d[order[i]])) ++j;
    const double t = static_cast<double>(j - i);
    const double mean_rank = (static_cast<double>(i + 1) + static_cast<double>(j)) / 2.0;
    for (size_t k = i; k < j; ++k) {
      if (d[order[k]] > 0) w_plus += mean_rank;
    }
    tie_term += t * t * t - t;
    i = j;
  }

  WilcoxonResult result;
  result.pairs = n;
  result.statistic = w_plus;

  if (n <= kWilcoxonExactLimit && tie_term == 0.0) {
    // No ties: ranks are the integers 1..n and W+ is an integer. n = 0 falls here too: the only
    // pattern is the empty one, W+ = 0 and p = min(1, 2 * 1) = 1.
    result.exact = true;
    result.p_value = exact_two_sided_p(n, static_cast<int64_t>(std::llround(w_plus)));
    return result;
  }

  // Normal approximation. Under H0, W+ = sum_i r_i S_i with independent S_i ~ Bernoulli(1/2):
  //   E[W+] = sum r_i / 2 = n(n+1)/4,  Var[W+] = sum r_i^2 / 4.
  // Without ties sum r_i^2 = n(n+1)(2n+1)/6, so Var = n(n+1)(2n+1)/24. Replacing a group of t
  // ranks by their mean lowers sum r_i^2 by (t^3 - t)/12, hence Var loses (t^3 - t)/48.
  // The variance is > 0 for n >= 1 (even with all |d| tied it is n(n+1)^2 / 16).
  // No continuity correction (scipy.stats.wilcoxon's default correction=False).
  const double nd = static_cast<double>(n);
  const double mean = nd * (nd + 1.0) / 4.0;
  const double variance = nd * (nd + 1.0) * (2.0 * nd + 1.0) / 24.0 - tie_term / 48.0;
  const double z = (w_plus - mean) / std::sqrt(variance);
  // Two-sided p = 2 P(Z >= |z|); the complement keeps precision in the far tail.
  const boost::math::normal_distribution<double> standard_normal(0.0, 1.0);
  const double p = 2.0 * boost::math::cdf(boost::math::complement(standard_normal, std::fabs(z)));
  result.exact = false;
  result.p_value = std::clamp(p, 0.0, 1.0);
  return result;
}

PairedComparison compare_paired(const std::vector<double>& mine, const std::vector<double>& other,
                                const std::string& other_name, bool lower_is_better) {
  check_paired_input(mine, other, "compare_paired against '" + other_name + "'", "mine", "other");
  if (mine.empty()) {
    throw std::invalid_argument("compare_paired against '" + other_name +
                                "': no folds to compare (both score lists are empty)");
  }
  PairedComparison comparison;
  comparison.other = other_name;
  comparison.folds = static_cast<int64_t>(mine.size());
  double sum = 0.0;
  for (size_t i = 0; i < mine.size(); ++i) {
    const double diff = mine[i] - other[i];  // in the metric's units
    sum += diff;
    // A fold is a win when this model's score is on the better side: below the other's for a
    // loss-like metric, above it otherwise. Exactly equal scores are ties (and the Wilcoxon test
    // drops those folds).
    if (diff == 0.0) {
      ++comparison.ties;
    } else if ((diff < 0.0) == lower_is_better) {
      ++comparison.wins;
    } else {
      ++comparison.losses;
    }
  }
  comparison.mean_difference = sum / static_cast<double>(mine.size());
  // W+ is the rank sum of folds where mine > other, whatever the metric's direction; the
  // two-sided p does not depend on the direction.
  comparison.test = wilcoxon_signed_rank(mine, other);
  return comparison;
}

}  // namespace emofuse::metrics
