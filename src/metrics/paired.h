// Paired statistics across folds: when two models are scored on the same folds (the same test
// subjects), the fold-by-fold differences say more than two means +- std side by side.
//
// Wilcoxon signed-rank test (Wilcoxon 1945), two-sided, for paired values a_i, b_i:
//   d_i = a_i - b_i; pairs with d_i = 0 are dropped (Wilcoxon's convention), n = pairs left;
//   the |d_i| are ranked 1..n (ties get the mean of their ranks);
//   W+ = sum of the ranks of the positive d_i.
// Under H0 (the differences are symmetric about 0) every sign pattern is equally likely.
//   exact (n <= kWilcoxonExactLimit and no tied |d_i|): the distribution of W+ over the 2^n sign
//     patterns, by counting, p = min(1, 2 min(P(W+ <= w), P(W+ >= w)));
//   otherwise the normal approximation: mean n(n+1)/4, variance n(n+1)(2n+1)/24 minus
//     sum_t (t^3 - t)/48 over groups of t tied |d_i|, z = (W+ - mean) / sd, p = 2 P(Z >= |z|),
//     without continuity correction (the defaults of scipy.stats.wilcoxon, to cross-check).
// With n = 0 (all pairs equal) p = 1. With few folds the test cannot reach small p at all:
// with 5 folds the smallest two-sided exact p is 2/32 = 0.0625.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace emofuse::metrics {

/// Largest n for the exact distribution (as scipy.stats.wilcoxon's "auto" mode).
inline constexpr int64_t kWilcoxonExactLimit = 50;

struct WilcoxonResult {
  int64_t pairs = 0;     ///< n: pairs with a non-zero difference
  double statistic = 0;  ///< W+, the rank sum of the positive differences
  double p_value = 1;    ///< two-sided
  bool exact = false;    ///< exact distribution (else normal approximation)
};

/// Two-sided Wilcoxon signed-rank test of `a` against `b` (same length; throws
/// std::invalid_argument otherwise or on a non-finite value).
WilcoxonResult wilcoxon_signed_rank(const std::vector<double>& a, const std::vector<double>& b);

/// One model against another on the same folds, for one metric.
struct PairedComparison {
  std::string other;                       ///< the model compared against
  double mean_difference = 0;              ///< mean over folds of (this - other), in the metric's units
  int64_t wins = 0, losses = 0, ties = 0;  ///< folds where this model is better / worse / equal
  int64_t folds = 0;
  WilcoxonResult test;
  /// "11/15" (wins out of folds).
  std::string wins_text() const { return std::to_string(wins) + "/" + std::to_string(folds); }
};

/// Compares `mine` with `other` fold by fold; "better" follows `lower_is_better`. Throws
/// std::invalid_argument on unequal lengths, non-finite values or no folds at all.
PairedComparison compare_paired(const std::vector<double>& mine, const std::vector<double>& other,
                                const std::string& other_name, bool lower_is_better);

}  // namespace emofuse::metrics
