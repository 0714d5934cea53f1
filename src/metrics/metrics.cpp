#include "metrics/metrics.h"

#include <cmath>

#include "core/error.h"

namespace emofuse::metrics {

const std::vector<std::string>& distribution_metric_names() {
  static const std::vector<std::string> names{"chebyshev", "clark", "canberra", "kl", "cosine", "intersection"};
  return names;
}

const std::vector<std::string>& classification_metric_names() {
  static const std::vector<std::string> names{"accuracy", "macro_f1", "weighted_f1", "uar"};
  return names;
}

bool lower_is_better(const std::string& metric) {
  return metric == "chebyshev" || metric == "clark" || metric == "canberra" || metric == "kl" || metric == "loss";
}

void check_metric_name(const std::string& metric, const std::string& option) {
  std::string known;
  for (const auto* list : {&distribution_metric_names(), &classification_metric_names()}) {
    for (const auto& name : *list) {
      if (name == metric) return;
      known += (known.empty() ? "" : ", ") + name;
    }
  }
  if (metric == "loss") return;
  throw OptionError(option, "unknown metric '" + metric + "'; expected loss, " + known);
}

torch::Tensor distribution_metric_per_sample(const std::string& metric, const torch::Tensor& predictions,
                                             const torch::Tensor& targets) {
  TORCH_CHECK(predictions.dim() == 2 && predictions.sizes() == targets.sizes(), "metrics: predictions ",
              predictions.sizes(), " and targets ", targets.sizes(), " must both be [N, C]");
  auto q = predictions.to(torch::kDouble);
  auto p = targets.to(torch::kDouble);
  auto diff = p - q;
  auto denom = p + q + kEpsilon;
  if (metric == "chebyshev") return diff.abs().amax(1);
  if (metric == "clark") return ((diff * diff) / (denom * denom)).sum(1).sqrt();
  if (metric == "canberra") return (diff.abs() / denom).sum(1);
  if (metric == "kl") {
    // 0 ln 0 = 0: where p == 0 the term vanishes (p * anything finite).
    auto log_ratio = p.clamp_min(kEpsilon).log() - q.clamp_min(kEpsilon).log();
    return (p * log_ratio).sum(1);
  }
  if (metric == "cosine") {
    return (p * q).sum(1) / (p.norm(2, 1) * q.norm(2, 1) + kEpsilon);
  }
  if (metric == "intersection") return torch::minimum(p, q).sum(1);
  throw Error("unknown distribution metric '" + metric + "'");
}

std::map<std::string, double> distribution_metrics(const torch::Tensor& predictions, const torch::Tensor& targets) {
  std::map<std::string, double> out;
  for (const auto& name : distribution_metric_names()) {
    out[name] = distribution_metric_per_sample(name, predictions, targets).mean().item<double>();
  }
  return out;
}

std::map<std::string, double> ClassificationReport::scalars() const {
  return {{"accuracy", accuracy}, {"macro_f1", macro_f1}, {"weighted_f1", weighted_f1}, {"uar", uar}};
}

ClassificationReport classification_report(const torch::Tensor& predicted, const torch::Tensor& truth,
                                           int64_t num_classes) {
  TORCH_CHECK(predicted.dim() == 1 && predicted.sizes() == truth.sizes(), "classification_report: predicted ",
              predicted.sizes(), " and truth ", truth.sizes(), " must both be [N]");
  auto pred = predicted.to(torch::kInt64).contiguous();
  auto real = truth.to(torch::kInt64).contiguous();
  // confusion[t, p] counts samples of true class t predicted as p (bincount of t * C + p).
  auto confusion = torch::bincount(real * num_classes + pred, {}, num_classes * num_classes)
                       .reshape({num_classes, num_classes})
                       .to(torch::kInt64);
  return classification_report_from_confusion(confusion);
}

ClassificationReport classification_report_from_confusion(const torch::Tensor& confusion) {
  TORCH_CHECK(confusion.dim() == 2 && confusion.size(0) == confusion.size(1),
              "classification_report_from_confusion: expected a [C, C] matrix, got ", confusion.sizes());
  const int64_t num_classes = confusion.size(0);
  ClassificationReport r;
  r.confusion = confusion.to(torch::kInt64).contiguous();
  auto cm = r.confusion.accessor<int64_t, 2>();
  int64_t correct = 0, n = 0;
  double macro_sum = 0, weighted_sum = 0, recall_sum = 0;
  int64_t macro_count = 0, recall_count = 0;
  for (int64_t c = 0; c < num_classes; ++c) {
    int64_t tp = cm[c][c], support = 0, predicted_count = 0;
    for (int64_t k = 0; k < num_classes; ++k) {
      support += cm[c][k];
      predicted_count += cm[k][c];
    }
    n += support;
    correct += tp;
    double precision = predicted_count ? double(tp) / predicted_count : 0.0;
    double recall = support ? double(tp) / support : 0.0;
    double f1 = (precision + recall) > 0 ? 2 * precision * recall / (precision + recall) : 0.0;
    r.precision.push_back(precision);
    r.recall.push_back(recall);
    r.f1.push_back(f1);
    r.support.push_back(support);
    if (support > 0 || predicted_count > 0) {  // as scikit-learn: classes seen in either
      macro_sum += f1;
      ++macro_count;
    }
    if (support > 0) {
      recall_sum += recall;
      ++recall_count;
      weighted_sum += f1 * support;
    }
  }
  r.accuracy = n ? double(correct) / n : 0.0;
  r.macro_f1 = macro_count ? macro_sum / macro_count : 0.0;
  r.weighted_f1 = n ? weighted_sum / n : 0.0;
  r.uar = recall_count ? recall_sum / recall_count : 0.0;
  return r;
}

std::map<std::string, double> evaluate_predictions(const torch::Tensor& predictions, const torch::Tensor& targets,
                                                   const torch::Tensor& labels) {
  auto out = distribution_metrics(predictions, targets);
  auto report = classification_report(predictions.argmax(1), labels, predictions.size(1));
  for (const auto& [name, value] : report.scalars()) out[name] = value;
  return out;
}

std::map<std::string, MetricSummary> summarize(const std::vector<std::map<std::string, double>>& folds) {
  std::map<std::string, std::vector<double>> values;
  for (const auto& fold : folds) {
    for (const auto& [name, value] : fold) values[name].push_back(value);
  }
  std::map<std::string, MetricSummary> out;
  for (const auto& [name, v] : values) {
    MetricSummary s;
    s.count = static_cast<int64_t>(v.size());
    for (double x : v) s.mean += x;
    s.mean /= s.count;
    if (s.count > 1) {
      double ss = 0;
      for (double x : v) ss += (x - s.mean) * (x - s.mean);
      s.std = std::sqrt(ss / (s.count - 1));
    }
    out[name] = s;
  }
  return out;
}

}  // namespace emofuse::metrics
