// What a run shows a reader: the comparison table with its floor, paired statistics across
// folds, the per-fold and per-class tables, the confusion matrix, and the run's summary.md.
//
// The floor. Every fold of every run also scores the `prior` model (the mean training
// distribution, models/baselines/prior.h) on the fold's own test rows; its mean over folds is the
// "prior (floor)" row of every table, and each model is compared with it fold by fold. A model
// that does not beat that row has not shown that it learned anything from its inputs.
//
// Paired statistics. Models run on the same folds are compared fold by fold on one headline
// metric (accuracy for one-hot targets, Chebyshev for label distributions): the mean paired
// difference, the two-sided Wilcoxon signed-rank p-value (metrics/paired.h) and the folds won,
// against the floor and against the best other model (the other model with the best mean).
#pragma once

#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "metrics/paired.h"
#include "train/experiment.h"

namespace emofuse::train {

/// Name of the floor row in every table.
inline constexpr const char* kFloorRowName = "prior (floor)";

/// The metric the paired statistics and the plain-language notes use: "accuracy" when every
/// target row is one-hot (classification data), else "chebyshev" (label distributions).
std::string headline_metric(const data::MultimodalDataset& data);

/// Renders rows (the first is the header) as a Markdown table or as aligned plain text.
std::string format_table(const std::vector<std::vector<std::string>>& rows, bool markdown);

/// Mean over a result's folds of the fit and of the predict seconds (0 without folds).
double mean_fit_seconds(const ExperimentResult& result);
double mean_predict_seconds(const ExperimentResult& result);

/// The columns and rows of format_comparison besides the mean +- std of each metric. The defaults
/// are the table of `train`, `demo` and `compare`; `ldl-bench`, whose floor is one of its methods,
/// shows the seconds instead of the folds and no separate floor row.
struct ComparisonLayout {
  std::string first_column = "model";  ///< header of the row-name column
  bool timing_columns = false;         ///< "fit s/fold" and "predict s/fold": mean seconds per fold, 4 decimals
  bool folds_column = true;            ///< "folds": the number of folds of each row
  bool floor_rows = true;              ///< the floor row(s) after the results
};

/// A table comparing experiments (mean +- std of each metric over folds), then the floor row
/// (one per distinct set of folds when the results were not all run on the same folds), then the
/// ceiling row when given. `markdown` selects a Markdown table, else aligned plain text.
std::string format_comparison(const std::vector<ExperimentResult>& results,
                              const std::optional<std::map<std::string, double>>& ceiling,
                              const std::vector<std::string>& metric_names, bool markdown,
                              const ComparisonLayout& layout = {});

/// One model's paired comparisons on one metric.
struct PairedSummary {
  std::string model;
  metrics::PairedComparison versus_floor;
  /// Against the best other model run on the same folds (none when it has no such neighbour).
  std::optional<metrics::PairedComparison> versus_best_other;
};

/// Paired comparisons of every result on `metric`; results are paired only with results whose
/// folds have the same names in the same order.
std::vector<PairedSummary> paired_summaries(const std::vector<ExperimentResult>& results, const std::string& metric);

/// The paired table for `metric` (a heading line, then one row per model), followed by one
/// plain-language line for every model that does not beat the floor: its mean difference is not
/// in its favour ("does not beat the floor"), or it is but p >= 0.05 ("not significantly
/// better"), or there are too few folds for any p < 0.05 (5 or fewer: the smallest exact
/// two-sided p is 2 / 2^folds). Empty for results with no folds.
std::string format_paired(const std::vector<ExperimentResult>& results, const std::string& metric, bool markdown);

/// {metric: {model: {versus_floor: {...}, versus_best_other: {...}}}} for every metric the folds have.
nlohmann::json paired_json(const std::vector<ExperimentResult>& results);

/// One row per fold: test subjects, test size, the given metrics, the floor's headline metric,
/// the selected and the last epoch (gradient-trained models).
std::string format_per_fold(const ExperimentResult& result, const std::vector<std::string>& metric_names,
                            bool markdown);

/// The confusion matrix summed over folds [C, C] (rows = true class, columns = predicted).
torch::Tensor pooled_confusion(const ExperimentResult& result);
/// confusion.csv: header `true\predicted,<class>...`, one row per true class.
std::string confusion_csv(const ExperimentResult& result);
/// Per-class precision, recall, F1 and support of the pooled test predictions (Markdown or plain).
std::string format_per_class(const ExperimentResult& result, bool markdown);
/// [{class, support, precision, recall, f1}] of the pooled test predictions.
nlohmann::json per_class_json(const ExperimentResult& result);

/// The run's summary.md: what ran on what (data, class balance, protocol, command line, commit,
/// threads, time), the table with the floor (and the ceiling when known), the paired statistics
/// against the floor, the per-fold table, per-class scores and the confusion matrix.
std::string run_summary_markdown(const ExperimentResult& result,
                                 const std::optional<std::map<std::string, double>>& ceiling);

}  // namespace emofuse::train
