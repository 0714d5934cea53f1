#include <gtest/gtest.h>
#include <torch/torch.h>

#include <set>

#include "core/error.h"
#include "metrics/metrics.h"

using namespace emofuse::metrics;

// Target p = [0.5, 0.3, 0.2], prediction q = [0.4, 0.4, 0.2]; values computed by hand:
//   Chebyshev    max(0.1, 0.1, 0)                               = 0.1
//   Clark        sqrt((0.1/0.9)^2 + (0.1/0.7)^2 + 0)            = sqrt(0.0123457 + 0.0204082) = 0.180981
//   Canberra     0.1/0.9 + 0.1/0.7 + 0                          = 0.253968
//   KL           0.5 ln(0.5/0.4) + 0.3 ln(0.3/0.4) + 0          = 0.111572 - 0.086305 = 0.025267
//   Cosine       (0.2 + 0.12 + 0.04) / (sqrt(0.38) sqrt(0.36))  = 0.36 / 0.369865 = 0.973329
//   Intersection 0.4 + 0.3 + 0.2                                = 0.9
TEST(DistributionMetrics, HandComputedValues) {
  auto p = torch::tensor({{0.5, 0.3, 0.2}});
  auto q = torch::tensor({{0.4, 0.4, 0.2}});
  auto m = distribution_metrics(q, p);
  EXPECT_NEAR(m["chebyshev"], 0.1, 1e-6);
  EXPECT_NEAR(m["clark"], 0.180981, 1e-5);
  EXPECT_NEAR(m["canberra"], 0.253968, 1e-5);
  EXPECT_NEAR(m["kl"], 0.025267, 1e-5);
  EXPECT_NEAR(m["cosine"], 0.973329, 1e-5);
  EXPECT_NEAR(m["intersection"], 0.9, 1e-6);
}

TEST(DistributionMetrics, PerfectPredictionAndZeros) {
  // A one-hot target predicted exactly: distances 0, similarities 1; 0/0 terms count as 0.
  auto p = torch::tensor({{1.0, 0.0, 0.0}});
  auto m = distribution_metrics(p, p);
  for (const char* name : {"chebyshev", "clark", "canberra", "kl"}) EXPECT_NEAR(m[name], 0.0, 1e-9) << name;
  EXPECT_NEAR(m["cosine"], 1.0, 1e-9);
  EXPECT_NEAR(m["intersection"], 1.0, 1e-9);
}

TEST(DistributionMetrics, AveragesOverEverySample) {
  // Sample 1 perfect (Chebyshev 0), sample 2 off by 0.1: the mean over 2 samples is 0.05.
  auto p = torch::tensor({{0.5, 0.5}, {0.5, 0.5}});
  auto q = torch::tensor({{0.5, 0.5}, {0.6, 0.4}});
  EXPECT_NEAR(distribution_metrics(q, p)["chebyshev"], 0.05, 1e-7);
}

TEST(DistributionMetrics, KlWithZeroPredictionIsLargeButFinite) {
  auto p = torch::tensor({{1.0, 0.0}});
  auto q = torch::tensor({{0.0, 1.0}});
  auto kl = distribution_metrics(q, p)["kl"];
  EXPECT_TRUE(std::isfinite(kl));
  EXPECT_NEAR(kl, -std::log(kEpsilon), 1e-6);  // 1 * ln(1 / eps)
}

// Truth [0,0,0,1,1,2], prediction [0,0,1,1,1,1] over 3 classes; by hand:
//   class 0: tp 2 (rows 0,1), support 3, predicted 2 -> P 1, R 2/3, F1 0.8
//   class 1: tp 2 (rows 3,4), support 2, predicted 4 -> P 0.5, R 1, F1 2/3
//   class 2: tp 0, support 1, predicted 0 -> F1 0
//   accuracy 4/6; macro F1 (0.8 + 2/3 + 0)/3 = 0.488889; weighted F1 (3*0.8 + 2*2/3 + 0)/6 = 0.622222;
//   UAR (2/3 + 1 + 0)/3 = 0.555556
TEST(ClassificationMetrics, HandComputedValues) {
  auto truth = torch::tensor({0, 0, 0, 1, 1, 2}, torch::kInt64);
  auto pred = torch::tensor({0, 0, 1, 1, 1, 1}, torch::kInt64);
  auto r = classification_report(pred, truth, 3);
  EXPECT_NEAR(r.accuracy, 4.0 / 6.0, 1e-9);
  EXPECT_NEAR(r.macro_f1, 0.488889, 1e-6);
  EXPECT_NEAR(r.weighted_f1, 0.622222, 1e-6);
  EXPECT_NEAR(r.uar, 0.555556, 1e-6);
  EXPECT_EQ(r.confusion[0][0].item<int64_t>(), 2);
  EXPECT_EQ(r.confusion[0][1].item<int64_t>(), 1);
  EXPECT_EQ(r.confusion[2][1].item<int64_t>(), 1);
  EXPECT_EQ(r.confusion.sum().item<int64_t>(), 6);
  EXPECT_EQ(r.support, (std::vector<int64_t>{3, 2, 1}));
}

TEST(ClassificationMetrics, ClassAbsentEverywhereIsLeftOutOfMacroAverages) {
  // Class 2 never occurs nor is predicted: macro F1 averages classes 0 and 1 only (scikit-learn).
  auto truth = torch::tensor({0, 1}, torch::kInt64);
  auto r = classification_report(truth, truth, 3);
  EXPECT_NEAR(r.macro_f1, 1.0, 1e-9);
  EXPECT_NEAR(r.uar, 1.0, 1e-9);
}

TEST(MetricSummary, MeanAndSampleStd) {
  // Values 1, 2, 3: mean 2, sample std sqrt(((1)^2 + 0 + (1)^2) / 2) = 1.
  auto s = summarize({{{"kl", 1.0}}, {{"kl", 2.0}}, {{"kl", 3.0}}});
  EXPECT_NEAR(s["kl"].mean, 2.0, 1e-12);
  EXPECT_NEAR(s["kl"].std, 1.0, 1e-12);
  EXPECT_EQ(s["kl"].count, 3);
}

TEST(MetricNames, UnknownNameIsAnOptionError) {
  try {
    check_metric_name("chebychev", "training.monitor");
    ADD_FAILURE() << "a misspelt metric was accepted";
  } catch (const emofuse::OptionError& e) {
    EXPECT_STREQ(e.what(),
                 "option 'training.monitor': unknown metric 'chebychev'; expected loss, chebyshev, clark, "
                 "canberra, kl, cosine, intersection, accuracy, macro_f1, weighted_f1, uar");
  }
  EXPECT_NO_THROW(check_metric_name("kl", "training.monitor"));
  EXPECT_TRUE(lower_is_better("clark"));
  EXPECT_FALSE(lower_is_better("intersection"));
}

// The full lists, in order (the order of every metrics table), each name accepted, and the
// direction of each: the four distances fall as predictions improve, the rest rise.
TEST(MetricNames, EveryNameListedAcceptedAndGivenItsDirection) {
  EXPECT_EQ(distribution_metric_names(),
            (std::vector<std::string>{"chebyshev", "clark", "canberra", "kl", "cosine", "intersection"}));
  EXPECT_EQ(classification_metric_names(), (std::vector<std::string>{"accuracy", "macro_f1", "weighted_f1", "uar"}));
  const std::set<std::string> lower{"chebyshev", "clark", "canberra", "kl", "loss"};
  std::vector<std::string> all{"loss"};
  for (const auto* list : {&distribution_metric_names(), &classification_metric_names()}) {
    all.insert(all.end(), list->begin(), list->end());
  }
  ASSERT_EQ(all.size(), 11u);
  for (const auto& name : all) {
    EXPECT_NO_THROW(check_metric_name(name, "training.monitor")) << name;
    EXPECT_EQ(lower_is_better(name), lower.count(name) == 1) << name;
  }
}
