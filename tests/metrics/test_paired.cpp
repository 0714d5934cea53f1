#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "metrics/paired.h"

using namespace emofuse::metrics;

namespace {

// Brute-force reference, independent of the implementation: rank the untied |d| by sorting, then
// visit every one of the 2^n sign patterns (bit k set = the k-th smallest |d| positive) and count
// those whose rank sum is <= w and >= w. Returns {W+, two-sided p}.
std::pair<double, double> brute_force_wilcoxon(const std::vector<double>& d) {
  const size_t n = d.size();
  std::vector<double> magnitudes;
  for (double x : d) magnitudes.push_back(std::fabs(x));
  std::sort(magnitudes.begin(), magnitudes.end());
  int64_t w = 0;
  for (double x : d) {
    if (x > 0) {
      const auto pos = std::lower_bound(magnitudes.begin(), magnitudes.end(), std::fabs(x));
      w += (pos - magnitudes.begin()) + 1;
    }
  }
  uint64_t at_most = 0, at_least = 0;
  for (uint64_t pattern = 0; pattern < (uint64_t{1} << n); ++pattern) {
    int64_t sum = 0;
    for (size_t k = 0; k < n; ++k) {
      if (pattern >> k & 1U) sum += static_cast<int64_t>(k) + 1;
    }
    if (sum <= w) ++at_most;
    if (sum >= w) ++at_least;
  }
  const double p = 2.0 * static_cast<double>(std::min(at_most, at_least)) / static_cast<double>(uint64_t{1} << n);
  return {static_cast<double>(w), std::min(1.0, p)};
}

// Two-sided normal p = 2 P(Z >= |z|) = erfc(|z| / sqrt 2), via std::erfc rather than Boost.
double normal_two_sided_p(double z) {
  return std::erfc(std::fabs(z) / std::sqrt(2.0));
}

// Runs `call`, expects std::invalid_argument whose message contains `fragment`.
template <typename Call>
void expect_invalid_argument(Call call, const std::string& fragment) {
  try {
    call();
    ADD_FAILURE() << "expected std::invalid_argument mentioning '" << fragment << "'";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos)
        << "message '" << e.what() << "' does not mention '" << fragment << "'";
  }
}

}  // namespace

// Exact p against the enumeration of all 2^n sign patterns, for n = 1..12 and 25 seeded random
// untied samples per n. Values come from raw mt19937 outputs (portable across standard libraries).
TEST(WilcoxonSignedRank, ExactMatchesBruteForceEnumeration) {
  std::mt19937 generator(20240611);
  auto uniform = [&] { return static_cast<double>(generator()) / 4294967296.0; };  // [0, 1)
  for (size_t n = 1; n <= 12; ++n) {
    for (int trial = 0; trial < 25; ++trial) {
      std::vector<double> a(n), b(n), d(n);
      for (size_t i = 0; i < n; ++i) {
        a[i] = uniform();
        b[i] = uniform();
        d[i] = a[i] - b[i];
      }
      std::vector<double> magnitudes;
      for (double x : d) magnitudes.push_back(std::fabs(x));
      std::sort(magnitudes.begin(), magnitudes.end());
      ASSERT_TRUE(std::adjacent_find(magnitudes.begin(), magnitudes.end()) == magnitudes.end() &&
                  magnitudes.front() > 0)
          << "the generator produced a tie or a zero; choose another seed";

      const auto [w, p] = brute_force_wilcoxon(d);
      const auto result = wilcoxon_signed_rank(a, b);
      EXPECT_TRUE(result.exact) << "n=" << n;
      EXPECT_EQ(result.pairs, static_cast<int64_t>(n));
      EXPECT_DOUBLE_EQ(result.statistic, w) << "n=" << n << " trial " << trial;
      EXPECT_NEAR(result.p_value, p, 1e-12) << "n=" << n << " trial " << trial;

      // Swapping a and b turns W+ into W- = n(n+1)/2 - W+; the two-sided p is unchanged.
      const auto swapped = wilcoxon_signed_rank(b, a);
      EXPECT_DOUBLE_EQ(swapped.statistic, static_cast<double>(n * (n + 1) / 2) - w);
      EXPECT_NEAR(swapped.p_value, p, 1e-12);
    }
  }
}

// All differences positive: W+ = n(n+1)/2 is the single largest pattern, so P(W+ >= w) = 1/2^n
// and the two-sided p = 2/2^n: n = 5 -> 2/32 = 0.0625, n = 6 -> 2/64 = 0.03125.
TEST(WilcoxonSignedRank, AllPositiveHandComputed) {
  const auto five = wilcoxon_signed_rank({2, 4, 6, 8, 10}, {1, 2, 3, 4, 5});  // d = 1..5
  EXPECT_TRUE(five.exact);
  EXPECT_EQ(five.pairs, 5);
  EXPECT_DOUBLE_EQ(five.statistic, 15.0);
  EXPECT_DOUBLE_EQ(five.p_value, 0.0625);

  const auto six = wilcoxon_signed_rank({2, 4, 6, 8, 10, 12}, {1, 2, 3, 4, 5, 6});  // d = 1..6
  EXPECT_TRUE(six.exact);
  EXPECT_DOUBLE_EQ(six.statistic, 21.0);
  EXPECT_DOUBLE_EQ(six.p_value, 0.03125);
}

// n = 5, the number of subsets of {1..5} with each rank sum s (by hand; they add up to 32):
//   s      0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15
//   count  1 1 1 2 2 3 3 3 3 3  3  2  2  1  1  1
// Case 1: d = (1, -2, 3, 4, 5): W+ = 1+3+4+5 = 13; P(W+ >= 13) = (1+1+1)/32, P(W+ <= 13) = 30/32,
//   p = 2 * 3/32 = 0.1875.
// Case 2: d = (1, -2, -3, 4, 5): W+ = 1+4+5 = 10; P(W+ >= 10) = (3+2+2+1+1+1)/32 = 10/32,
//   P(W+ <= 10) = 25/32, p = 2 * 10/32 = 0.625.
TEST(WilcoxonSignedRank, MixedSignsHandComputed) {
  const auto first = wilcoxon_signed_rank({3, 1, 6, 8, 10}, {2, 3, 3, 4, 5});
  EXPECT_TRUE(first.exact);
  EXPECT_DOUBLE_EQ(first.statistic, 13.0);  // W+, not min(W+, W-) = 2
  EXPECT_DOUBLE_EQ(first.p_value, 0.1875);

  const auto second = wilcoxon_signed_rank({3, 1, 0, 8, 10}, {2, 3, 3, 4, 5});
  EXPECT_TRUE(second.exact);
  EXPECT_DOUBLE_EQ(second.statistic, 10.0);
  EXPECT_DOUBLE_EQ(second.p_value, 0.625);
}

// d = (0, 1, 0, 2, 3, 4, 5): the two zeros are dropped, leaving the all-positive n = 5 case.
TEST(WilcoxonSignedRank, ZeroDifferencesAreDropped) {
  const auto result = wilcoxon_signed_rank({7, 3, 9, 6, 8, 10, 12}, {7, 2, 9, 4, 5, 6, 7});
  EXPECT_EQ(result.pairs, 5);
  EXPECT_TRUE(result.exact);
  EXPECT_DOUBLE_EQ(result.statistic, 15.0);
  EXPECT_DOUBLE_EQ(result.p_value, 0.0625);
}

TEST(WilcoxonSignedRank, AllEqualOrEmptyGivesPOne) {
  const auto equal = wilcoxon_signed_rank({0.5, 0.25, 1.0}, {0.5, 0.25, 1.0});
  EXPECT_EQ(equal.pairs, 0);
  EXPECT_DOUBLE_EQ(equal.statistic, 0.0);
  EXPECT_DOUBLE_EQ(equal.p_value, 1.0);

  const auto empty = wilcoxon_signed_rank({}, {});
  EXPECT_EQ(empty.pairs, 0);
  EXPECT_DOUBLE_EQ(empty.p_value, 1.0);

  // One pair: W+ is 0 or 1, each with probability 1/2, so p = min(1, 2 * 1/2) = 1.
  const auto one = wilcoxon_signed_rank({2.0}, {1.0});
  EXPECT_EQ(one.pairs, 1);
  EXPECT_DOUBLE_EQ(one.p_value, 1.0);
}

// Tied |d| force the normal approximation even for n <= 50. By hand, d = (1, 1, -2, 3, 3, 3):
//   |d| sorted 1 1 2 3 3 3 -> ranks 1.5 1.5 3 5 5 5; W+ = 1.5 + 1.5 + 5 + 5 + 5 = 18
//   mean = 6*7/4 = 10.5; variance = 6*7*13/24 - [(2^3-2) + (3^3-3)]/48 = 22.75 - 30/48 = 22.125
//   z = (18 - 10.5) / sqrt(22.125) = 1.5944820103582016
//   p = erfc(z / sqrt 2) = 0.11082811686279109 (Python 3 math.erfc)
TEST(WilcoxonSignedRank, TiesUseNormalApproximationWithTieCorrection) {
  const auto result = wilcoxon_signed_rank({2, 2, 0, 4, 4, 4}, {1, 1, 2, 1, 1, 1});
  EXPECT_FALSE(result.exact);
  EXPECT_EQ(result.pairs, 6);
  EXPECT_DOUBLE_EQ(result.statistic, 18.0);
  EXPECT_NEAR(result.p_value, normal_two_sided_p(7.5 / std::sqrt(22.125)), 1e-12);
  EXPECT_NEAR(result.p_value, 0.11082811686279109, 1e-12);
  // Without the tie correction (variance 22.75) p would be 0.11585..., so the correction is visible.
  EXPECT_GT(std::fabs(result.p_value - normal_two_sided_p(7.5 / std::sqrt(22.75))), 1e-3);
}

// n = 60 > kWilcoxonExactLimit, untied d_k = +-k.
//   Symmetric: positive at k = 1..15 and 46..60, W+ = 120 + 795 = 915 = 60*61/4, the mean, so
//   z = 0 and p = 1 exactly.
//   All positive: W+ = 1830, sd = sqrt(60*61*121/24) = sqrt(18452.5), z = 915/sd = 6.735866746488256,
//   p = erfc(z / sqrt 2) = 1.6295557943119322e-11 (Python 3 math.erfc).
TEST(WilcoxonSignedRank, LargeNUsesNormalApproximation) {
  std::vector<double> symmetric(60), all_positive(60), zeros(60, 0.0);
  for (int k = 1; k <= 60; ++k) {
    const bool positive = k <= 15 || k >= 46;
    symmetric[k - 1] = positive ? k : -k;
    all_positive[k - 1] = k;
  }
  const auto middle = wilcoxon_signed_rank(symmetric, zeros);
  EXPECT_FALSE(middle.exact);
  EXPECT_EQ(middle.pairs, 60);
  EXPECT_DOUBLE_EQ(middle.statistic, 915.0);
  EXPECT_NEAR(middle.p_value, 1.0, 1e-12);

  const auto extreme = wilcoxon_signed_rank(all_positive, zeros);
  EXPECT_FALSE(extreme.exact);
  EXPECT_DOUBLE_EQ(extreme.statistic, 1830.0);
  EXPECT_NEAR(extreme.p_value / 1.6295557943119322e-11, 1.0, 1e-9);
}

// The exact limit is inclusive: n = 50 untied is exact, n = 51 is not.
//   n = 50 all positive: p = 2/2^50 = 2^-49 exactly (counts up to 2^50 must not lose precision).
//   n = 50, positive unless k is a multiple of 3: W+ = 1275 - 3(1+...+16) = 1275 - 408 = 867,
//   z = (867 - 637.5) / sqrt(50*51*101/24) = 229.5 / sqrt(10731.25) = 2.2154; the exact p and the
//   normal p (no continuity correction) differ by about the mass of half a step of W+ in each
//   tail, ~2 * 0.5 * phi(z)/sd = 0.00033 (normal p = 0.02673), so they must agree within 0.01.
TEST(WilcoxonSignedRank, ExactLimitBoundary) {
  std::vector<double> d50(50), zeros50(50, 0.0), mixed50(50);
  for (int k = 1; k <= 50; ++k) {
    d50[k - 1] = k;
    mixed50[k - 1] = k % 3 == 0 ? -k : k;
  }
  const auto at_limit = wilcoxon_signed_rank(d50, zeros50);
  EXPECT_TRUE(at_limit.exact);
  EXPECT_EQ(at_limit.pairs, kWilcoxonExactLimit);
  EXPECT_DOUBLE_EQ(at_limit.p_value, std::ldexp(1.0, -49));

  const auto mixed = wilcoxon_signed_rank(mixed50, zeros50);
  EXPECT_TRUE(mixed.exact);
  EXPECT_DOUBLE_EQ(mixed.statistic, 867.0);
  EXPECT_NEAR(mixed.p_value, normal_two_sided_p(229.5 / std::sqrt(10731.25)), 0.01);

  std::vector<double> d51(51), zeros51(51, 0.0);
  for (int k = 1; k <= 51; ++k) d51[k - 1] = k;
  const auto beyond = wilcoxon_signed_rank(d51, zeros51);
  EXPECT_FALSE(beyond.exact);
  EXPECT_EQ(beyond.pairs, 51);
}

TEST(WilcoxonSignedRank, InvalidInputThrows) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  expect_invalid_argument([] { wilcoxon_signed_rank({1, 2, 3}, {1, 2}); }, "equal lengths");
  expect_invalid_argument([&] { wilcoxon_signed_rank({1, nan}, {1, 2}); }, "a[1] is not finite");
  expect_invalid_argument([&] { wilcoxon_signed_rank({1, 2}, {inf, 2}); }, "b[0] is not finite");
  expect_invalid_argument([] { wilcoxon_signed_rank({1e308}, {-1e308}); }, "overflows");
}

// Scores of this model and another on five folds (values exact in binary):
//   mine  - other = (1 - 1.5, 2 - 2, 3 - 2.5, 4 - 3.75, 5 - 4) = (-0.5, 0, 0.5, 0.25, 1)
//   mean difference = 1.25 / 5 = 0.25
//   lower_is_better: better where the difference is negative -> wins 1, losses 3, ties 1
//   higher is better: wins 3, losses 1, ties 1
//   test: the zero is dropped, |d| = 0.5 0.5 0.25 1 -> ranks 2.5 2.5 1 4 (tied, so normal),
//   W+ = 2.5 + 1 + 4 = 7.5
TEST(PairedComparison, WinsLossesTiesFollowDirection) {
  const std::vector<double> mine{1, 2, 3, 4, 5};
  const std::vector<double> other{1.5, 2, 2.5, 3.75, 4};

  const auto lower = compare_paired(mine, other, "prior", /*lower_is_better=*/true);
  EXPECT_EQ(lower.other, "prior");
  EXPECT_EQ(lower.folds, 5);
  EXPECT_DOUBLE_EQ(lower.mean_difference, 0.25);
  EXPECT_EQ(lower.wins, 1);
  EXPECT_EQ(lower.losses, 3);
  EXPECT_EQ(lower.ties, 1);
  EXPECT_EQ(lower.wins_text(), "1/5");

  const auto higher = compare_paired(mine, other, "prior", /*lower_is_better=*/false);
  EXPECT_DOUBLE_EQ(higher.mean_difference, 0.25);
  EXPECT_EQ(higher.wins, 3);
  EXPECT_EQ(higher.losses, 1);
  EXPECT_EQ(higher.ties, 1);
  EXPECT_EQ(higher.wins_text(), "3/5");

  // Same test either way; W+ counts the folds where mine > other.
  const auto direct = wilcoxon_signed_rank(mine, other);
  for (const auto* comparison : {&lower, &higher}) {
    EXPECT_EQ(comparison->test.pairs, 4);
    EXPECT_FALSE(comparison->test.exact);
    EXPECT_DOUBLE_EQ(comparison->test.statistic, 7.5);
    EXPECT_DOUBLE_EQ(comparison->test.p_value, direct.p_value);
  }
}

TEST(PairedComparison, InvalidInputThrows) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  expect_invalid_argument([] { compare_paired({1, 2}, {1}, "prior", true); }, "equal lengths");
  expect_invalid_argument([&] { compare_paired({1, 2}, {1, nan}, "prior", true); }, "other[1] is not finite");
  expect_invalid_argument([] { compare_paired({}, {}, "prior", false); }, "no folds");
}
