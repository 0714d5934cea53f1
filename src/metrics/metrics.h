// Evaluation metrics: the six label-distribution-learning measures (Geng, "Label Distribution
// Learning", IEEE TKDE 2016, Table 3) and classification measures on the argmax, plus summaries
// across folds. Every metric is averaged over ALL samples (sum / N), never per batch.
//
// Distribution measures for a target row p and prediction q over C classes (eps = 1e-12):
//   Chebyshev    max_j |p_j - q_j|                                   (lower is better)
//   Clark        sqrt( sum_j (p_j - q_j)^2 / (p_j + q_j + eps)^2 )  (lower; unnormalised)
//   Canberra     sum_j |p_j - q_j| / (p_j + q_j + eps)               (lower; unnormalised)
//   KL           sum_j p_j ln( max(p_j, eps) / max(q_j, eps) )       (lower; 0 ln 0 = 0)
//   Cosine       sum_j p_j q_j / (||p|| ||q|| + eps)                  (higher is better)
//   Intersection sum_j min(p_j, q_j)                                  (higher is better)
// A term whose p_j and q_j are both zero contributes 0 to Clark and Canberra.
#pragma once

#include <torch/torch.h>

#include <map>
#include <string>
#include <vector>

namespace emofuse::metrics {

inline constexpr double kEpsilon = 1e-12;

/// Names of the six distribution metrics, in the conventional order.
const std::vector<std::string>& distribution_metric_names();
/// Names of the scalar classification metrics: accuracy, macro_f1, weighted_f1, uar.
const std::vector<std::string>& classification_metric_names();
/// True for metrics where smaller is better (chebyshev, clark, canberra, kl).
bool lower_is_better(const std::string& metric);
/// Throws emofuse::OptionError(option, ...) unless `metric` is a known metric name.
void check_metric_name(const std::string& metric, const std::string& option);

/// Per-sample values [N] of one distribution metric for predictions and targets [N, C].
torch::Tensor distribution_metric_per_sample(const std::string& metric, const torch::Tensor& predictions,
                                             const torch::Tensor& targets);

/// Mean over samples of the six distribution metrics.
std::map<std::string, double> distribution_metrics(const torch::Tensor& predictions, const torch::Tensor& targets);

/// Classification results for predicted and true labels [N] (int64) over C classes.
struct ClassificationReport {
  double accuracy = 0;
  double macro_f1 = 0;                        ///< unweighted mean F1 over classes present in truth or prediction
  double weighted_f1 = 0;                     ///< F1 weighted by true-class support
  double uar = 0;                             ///< unweighted average recall over classes present in the truth
  std::vector<double> precision, recall, f1;  ///< per class (0 where undefined)
  std::vector<int64_t> support;               ///< true count per class
  torch::Tensor confusion;                    ///< [C, C] int64, rows = true class, columns = predicted class
  std::map<std::string, double> scalars() const;
};

ClassificationReport classification_report(const torch::Tensor& predicted, const torch::Tensor& truth,
                                           int64_t num_classes);
/// The same report from a confusion matrix [C, C] (rows = true class, columns = predicted), e.g.
/// the sum of several folds' matrices: the report of all their test samples pooled.
ClassificationReport classification_report_from_confusion(const torch::Tensor& confusion);

/// All metrics for predicted distributions [N, C] against target distributions [N, C] and true
/// labels [N]: the six distribution metrics plus accuracy, macro_f1, weighted_f1, uar.
std::map<std::string, double> evaluate_predictions(const torch::Tensor& predictions, const torch::Tensor& targets,
                                                   const torch::Tensor& labels);

/// Mean and sample standard deviation (n - 1; 0 for one value) of each metric across folds.
struct MetricSummary {
  double mean = 0;
  double std = 0;
  int64_t count = 0;
};
std::map<std::string, MetricSummary> summarize(const std::vector<std::map<std::string, double>>& folds);

}  // namespace emofuse::metrics
