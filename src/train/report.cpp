#include "train/report.h"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <set>
#include <sstream>

#include "core/error.h"
#include "core/io.h"
#include "metrics/metrics.h"

namespace emofuse::train {
namespace {

std::string fixed(double v, int digits = 4) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(digits) << v;
  return s.str();
}

std::string signed_fixed(double v, int digits = 4) {
  return (v >= 0 ? "+" : "") + fixed(v, digits);
}

// p-values: 4 decimals, or scientific below 1e-4 so that a tiny p does not read as 0.
std::string format_p(double p) {
  if (p >= 1e-4) return fixed(p, 4);
  std::ostringstream s;
  s << std::scientific << std::setprecision(1) << p;
  return s.str();
}

std::vector<std::string> fold_names(const ExperimentResult& r) {
  std::vector<std::string> names;
  for (const auto& f : r.folds) names.push_back(f.name);
  return names;
}

std::vector<double> fold_values(const ExperimentResult& r, const std::string& metric, bool floor) {
  std::vector<double> v;
  for (const auto& f : r.folds) {
    const auto& m = floor ? f.floor_metrics : f.metrics;
    auto it = m.find(metric);
    if (it == m.end()) throw Error("fold '" + f.name + "' of " + r.name + " has no metric '" + metric + "'");
    v.push_back(it->second);
  }
  return v;
}

bool same_folds(const ExperimentResult& a, const ExperimentResult& b) {
  return !a.folds.empty() && fold_names(a) == fold_names(b);
}

// Is `a` better than `b` on `metric`?
bool better(const std::string& metric, double a, double b) {
  return metrics::lower_is_better(metric) ? a < b : a > b;
}

// The row label of a result: its name, marked when the protocol is leaky.
std::string label(const ExperimentResult& r) {
  return r.name + (r.leaky ? " [LEAKY]" : "");
}

// Does the comparison show the model beating the floor? In its favour on average and p < 0.05.
bool beats(const metrics::PairedComparison& c, const std::string& metric) {
  return c.test.p_value < 0.05 && (metrics::lower_is_better(metric) ? c.mean_difference < 0 : c.mean_difference > 0);
}

nlohmann::json comparison_json(const metrics::PairedComparison& c) {
  return {{"other", c.other},
          {"mean_difference", c.mean_difference},
          {"p_value", c.test.p_value},
          {"exact", c.test.exact},
          {"statistic", c.test.statistic},
          {"nonzero_pairs", c.test.pairs},
          {"wins", c.wins},
          {"losses", c.losses},
          {"ties", c.ties},
          {"folds", c.folds}};
}

}  // namespace

std::string headline_metric(const data::MultimodalDataset& data) {
  if (data.size() == 0) return "chebyshev";
  // One-hot: every row's largest entry is 1 (the rows sum to one, so the rest are 0).
  const bool one_hot = (std::get<0>(data.targets().max(1)) > 1.0 - 1e-6).all().item<bool>();
  return one_hot ? "accuracy" : "chebyshev";
}

std::string format_table(const std::vector<std::vector<std::string>>& rows, bool markdown) {
  if (rows.empty()) return "";
  std::vector<size_t> width(rows.front().size(), 0);
  for (const auto& row : rows) {
    if (row.size() > width.size()) width.resize(row.size(), 0);
    for (size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  }
  std::ostringstream out;
  for (size_t r = 0; r < rows.size(); ++r) {
    if (markdown) out << "| ";
    for (size_t c = 0; c < width.size(); ++c) {
      std::string cell = c < rows[r].size() ? rows[r][c] : "";
      const bool last = c + 1 == width.size();
      if (markdown || !last) cell.resize(width[c], ' ');  // pad (plain text: not the last column)
      out << cell << (markdown ? (last ? " |" : " | ") : (last ? "" : "  "));
    }
    out << "\n";
    if (r == 0) {
      if (markdown) {
        out << "|";
        for (size_t c = 0; c < width.size(); ++c) out << std::string(width[c] + 2, '-') << "|";
      } else {
        size_t total = 0;
        for (auto w : width) total += w + 2;
        out << std::string(total - 2, '-');
      }
      out << "\n";
    }
  }
  return out.str();
}

double mean_fit_seconds(const ExperimentResult& result) {
  double sum = 0;
  for (const auto& f : result.folds) sum += f.fit_seconds;
  return result.folds.empty() ? 0 : sum / static_cast<double>(result.folds.size());
}

double mean_predict_seconds(const ExperimentResult& result) {
  double sum = 0;
  for (const auto& f : result.folds) sum += f.predict_seconds;
  return result.folds.empty() ? 0 : sum / static_cast<double>(result.folds.size());
}

std::string format_comparison(const std::vector<ExperimentResult>& results,
                              const std::optional<std::map<std::string, double>>& ceiling,
                              const std::vector<std::string>& metric_names, bool markdown,
                              const ComparisonLayout& layout) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> header{layout.first_column};
  for (const auto& n : metric_names) header.push_back(n + (metrics::lower_is_better(n) ? " (lower)" : " (higher)"));
  if (layout.timing_columns) {
    header.push_back("fit s/fold");
    header.push_back("predict s/fold");
  }
  if (layout.folds_column) header.push_back("folds");
  rows.push_back(header);
  // `result` gives the timing cells; rows without one (floor, ceiling) show "-" there.
  auto summary_row = [&](const std::string& name, const std::map<std::string, metrics::MetricSummary>& summary,
                         size_t folds, const ExperimentResult* result) {
    std::vector<std::string> row{name};
    for (const auto& n : metric_names) {
      auto it = summary.find(n);
      row.push_back(it == summary.end() ? "-" : fixed(it->second.mean) + " +- " + fixed(it->second.std));
    }
    if (layout.timing_columns) {
      row.push_back(result ? fixed(mean_fit_seconds(*result)) : "-");
      row.push_back(result ? fixed(mean_predict_seconds(*result)) : "-");
    }
    if (layout.folds_column) row.push_back(std::to_string(folds));
    rows.push_back(row);
  };
  for (const auto& r : results) summary_row(label(r), r.summary, r.folds.size(), &r);
  // One floor row per distinct set of folds (normally one: every result ran on the same folds).
  std::vector<const ExperimentResult*> floors;
  for (const auto& r : results) {
    if (!layout.floor_rows || r.folds.empty() || r.floor_summary.empty()) continue;
    bool seen = false;
    for (const auto* f : floors)
      seen = seen || (same_folds(*f, r) && f->floor_summary.size() == r.floor_summary.size() &&
                      f->floor_summary.begin()->second.mean == r.floor_summary.begin()->second.mean);
    if (!seen) floors.push_back(&r);
  }
  for (const auto* f : floors) {
    summary_row(floors.size() == 1 ? kFloorRowName : std::string(kFloorRowName) + " for " + f->name, f->floor_summary,
                f->folds.size(), nullptr);
  }
  if (ceiling) {
    std::vector<std::string> row{"ceiling (true distribution)"};
    for (const auto& n : metric_names) row.push_back(ceiling->count(n) ? fixed(ceiling->at(n)) : "-");
    if (layout.timing_columns) row.insert(row.end(), {"-", "-"});
    if (layout.folds_column) row.push_back("-");
    rows.push_back(row);
  }
  return format_table(rows, markdown);
}

std::vector<PairedSummary> paired_summaries(const std::vector<ExperimentResult>& results, const std::string& metric) {
  std::vector<PairedSummary> out;
  const bool lower = metrics::lower_is_better(metric);
  for (size_t i = 0; i < results.size(); ++i) {
    const auto& r = results[i];
    if (r.folds.empty()) continue;
    PairedSummary s;
    s.model = r.name;
    const auto mine = fold_values(r, metric, false);
    s.versus_floor = metrics::compare_paired(mine, fold_values(r, metric, true), kFloorRowName, lower);
    // The best other model on the same folds, by mean.
    const ExperimentResult* best = nullptr;
    for (size_t j = 0; j < results.size(); ++j) {
      if (j == i || !same_folds(r, results[j]) || !results[j].summary.count(metric)) continue;
      if (!best || better(metric, results[j].summary.at(metric).mean, best->summary.at(metric).mean))
        best = &results[j];
    }
    if (best) s.versus_best_other = metrics::compare_paired(mine, fold_values(*best, metric, false), best->name, lower);
    out.push_back(s);
  }
  return out;
}

std::string format_paired(const std::vector<ExperimentResult>& results, const std::string& metric, bool markdown) {
  const auto summaries = paired_summaries(results, metric);
  if (summaries.empty()) return "";
  bool any_other = false;
  for (const auto& s : summaries) any_other = any_other || s.versus_best_other.has_value();
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> header{"model", "vs floor: mean diff", "p", "won"};
  if (any_other) {
    for (const char* h : {"best other", "mean diff", "p", "won"}) header.push_back(h);
  }
  rows.push_back(header);
  for (const auto& s : summaries) {
    const auto& f = s.versus_floor;
    std::vector<std::string> row{s.model, signed_fixed(f.mean_difference), format_p(f.test.p_value), f.wins_text()};
    if (any_other) {
      if (s.versus_best_other) {
        const auto& o = *s.versus_best_other;
        for (const auto& cell : {o.other, signed_fixed(o.mean_difference), format_p(o.test.p_value), o.wins_text()}) {
          row.push_back(cell);
        }
      } else {
        for (int k = 0; k < 4; ++k) row.push_back("-");
      }
    }
    rows.push_back(row);
  }
  std::ostringstream out;
  out << (markdown ? "Paired across folds on **" : "Paired across folds on ") << metric << (markdown ? "**" : "")
      << " (" << (metrics::lower_is_better(metric) ? "lower" : "higher")
      << " is better): mean difference (model - other), two-sided Wilcoxon signed-rank p, folds won.\n"
      << (markdown ? "\n" : "") << format_table(rows, markdown);
  std::vector<std::string> notes;
  for (const auto& s : summaries) {
    if (s.model == "prior") continue;  // the floor itself
    const auto& f = s.versus_floor;
    const std::string figures = "(mean difference " + signed_fixed(f.mean_difference) + ", p " +
                                format_p(f.test.p_value) + ", won " + f.wins_text() + ")";
    // In the model's favour by more than rounding (a mean of equal values can differ from 0 by 1e-17).
    constexpr double kRounding = 1e-12;
    const bool favourable =
        metrics::lower_is_better(metric) ? f.mean_difference < -kRounding : f.mean_difference > kRounding;
    // With n folds the exact two-sided p cannot go below 2 / 2^n: 0.0625 for 5 folds.
    const double smallest_p = 2.0 / std::pow(2.0, static_cast<double>(f.folds));
    if (!favourable) {
      notes.push_back(s.model + " does not beat the floor on " + metric + " " + figures + ".");
    } else if (smallest_p >= 0.05) {
      notes.push_back(s.model + " is above the floor on " + metric + " on average " + figures + ", but " +
                      std::to_string(f.folds) + " fold" + (f.folds == 1 ? " is" : "s are") +
                      " too few for the paired test to show it (smallest possible p " + format_p(smallest_p) + ").");
    } else if (!beats(f, metric)) {
      notes.push_back(s.model + " is not significantly better than the floor on " + metric + " " + figures + ".");
    }
  }
  if (!notes.empty()) {
    out << (markdown ? "\n" : "");
    for (const auto& n : notes) out << (markdown ? "- " : "NOTE: ") << n << "\n";
  }
  return out.str();
}

nlohmann::json paired_json(const std::vector<ExperimentResult>& results) {
  nlohmann::json j = nlohmann::json::object();
  if (results.empty() || results.front().folds.empty()) return j;
  for (const auto& [metric, value] : results.front().folds.front().metrics) {
    (void)value;
    for (const auto& s : paired_summaries(results, metric)) {
      auto& entry = j[metric][s.model];
      entry["versus_floor"] = comparison_json(s.versus_floor);
      if (s.versus_best_other) entry["versus_best_other"] = comparison_json(*s.versus_best_other);
    }
  }
  return j;
}

std::string format_per_fold(const ExperimentResult& result, const std::vector<std::string>& metric_names,
                            bool markdown) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> header{"fold", "test subjects", "test rows"};
  for (const auto& n : metric_names) header.push_back(n);
  const std::string floor_header = "floor " + result.headline_metric;
  header.push_back(floor_header);
  const bool trained =
      std::any_of(result.folds.begin(), result.folds.end(), [](const FoldOutcome& f) { return f.epochs_run > 0; });
  if (trained) header.push_back("best epoch / run");
  rows.push_back(header);
  for (const auto& f : result.folds) {
    std::string subjects;
    for (const auto& s : f.test_subjects) subjects += (subjects.empty() ? "" : " ") + s;
    if (f.test_subjects.size() > 6) {
      subjects = f.test_subjects.front() + " ... " + f.test_subjects.back() + " (" +
                 std::to_string(f.test_subjects.size()) + ")";
    }
    std::vector<std::string> row{f.name, subjects, std::to_string(f.test_size)};
    for (const auto& n : metric_names) row.push_back(f.metrics.count(n) ? fixed(f.metrics.at(n)) : "-");
    row.push_back(f.floor_metrics.count(result.headline_metric) ? fixed(f.floor_metrics.at(result.headline_metric))
                                                                : "-");
    if (trained) row.push_back(std::to_string(f.best_epoch) + " / " + std::to_string(f.epochs_run));
    rows.push_back(row);
  }
  return format_table(rows, markdown);
}

torch::Tensor pooled_confusion(const ExperimentResult& result) {
  const auto c = static_cast<int64_t>(result.data.class_names.size());
  auto pooled = torch::zeros({c, c}, torch::kInt64);
  auto a = pooled.accessor<int64_t, 2>();
  for (const auto& f : result.folds) {
    if (static_cast<int64_t>(f.confusion.size()) != c) {
      throw Error("fold '" + f.name + "' of " + result.name + ": confusion matrix has " +
                  std::to_string(f.confusion.size()) + " rows, expected " + std::to_string(c));
    }
    for (int64_t t = 0; t < c; ++t) {
      if (static_cast<int64_t>(f.confusion[t].size()) != c) {
        throw Error("fold '" + f.name + "' of " + result.name + ": confusion matrix row " + std::to_string(t) +
                    " has " + std::to_string(f.confusion[t].size()) + " columns, expected " + std::to_string(c));
      }
      for (int64_t p = 0; p < c; ++p) a[t][p] += f.confusion[t][p];
    }
  }
  return pooled;
}

std::string confusion_csv(const ExperimentResult& result) {
  auto cm = pooled_confusion(result);
  auto a = cm.accessor<int64_t, 2>();
  std::ostringstream out;
  out << "true\\predicted";
  for (const auto& c : result.data.class_names) out << "," << csv_escape(c);
  out << "\n";
  for (size_t t = 0; t < result.data.class_names.size(); ++t) {
    out << csv_escape(result.data.class_names[t]);
    for (size_t p = 0; p < result.data.class_names.size(); ++p) out << "," << a[t][p];
    out << "\n";
  }
  return out.str();
}

std::string format_per_class(const ExperimentResult& result, bool markdown) {
  const auto report = metrics::classification_report_from_confusion(pooled_confusion(result));
  std::vector<std::vector<std::string>> rows{{"class", "support", "precision", "recall", "F1"}};
  for (size_t c = 0; c < result.data.class_names.size(); ++c) {
    rows.push_back({result.data.class_names[c], std::to_string(report.support[c]), fixed(report.precision[c], 3),
                    fixed(report.recall[c], 3), fixed(report.f1[c], 3)});
  }
  return format_table(rows, markdown);
}

nlohmann::json per_class_json(const ExperimentResult& result) {
  const auto report = metrics::classification_report_from_confusion(pooled_confusion(result));
  nlohmann::json j = nlohmann::json::array();
  for (size_t c = 0; c < result.data.class_names.size(); ++c) {
    j.push_back({{"class", result.data.class_names[c]},
                 {"support", report.support[c]},
                 {"precision", report.precision[c]},
                 {"recall", report.recall[c]},
                 {"f1", report.f1[c]}});
  }
  return j;
}

std::string run_summary_markdown(const ExperimentResult& result,
                                 const std::optional<std::map<std::string, double>>& ceiling) {
  const auto& d = result.data;
  std::ostringstream out;
  out << "# " << result.name << ": " << result.model_name << " under " << result.protocol
      << (result.leaky ? " (LEAKY: windows of one clip on both sides; scores are inflated)" : "") << "\n\n";
  int64_t total = 0;
  for (auto n : d.class_counts) total += n;
  out << "- data: " << d.source << "; " << d.samples << " samples, " << d.subjects << " subjects, "
      << d.class_names.size() << " classes (" << (d.one_hot_targets ? "one-hot targets" : "label distributions")
      << ")\n- class balance (samples per hard label): ";
  for (size_t c = 0; c < d.class_names.size(); ++c) {
    out << (c ? ", " : "") << d.class_names[c] << " " << d.class_counts[c] << " ("
        << fixed(total ? 100.0 * d.class_counts[c] / total : 0, 1) << "%)";
  }
  out << "\n- protocol: " << result.protocol_details << ", " << result.folds.size() << " folds\n";
  out << "- command: "
      << (result.command_line.empty() ? "(not recorded: run through the C++ API)" : "`" + result.command_line + "`")
      << "\n- commit: " << result.commit << "; threads: " << result.threads << "; time: " << fixed(result.seconds, 1)
      << " s\n- model parameters: " << result.parameters << "\n\n";
  std::vector<std::string> names;
  for (const auto* list : {&metrics::distribution_metric_names(), &metrics::classification_metric_names()}) {
    for (const auto& n : *list) {
      if (result.summary.count(n)) names.push_back(n);
    }
  }
  out << "## Results (mean +- std over folds)\n\n" << format_comparison({result}, ceiling, names, true) << "\n";
  const auto paired = format_paired({result}, result.headline_metric, true);
  if (!paired.empty()) out << "## Against the floor\n\n" << paired << "\n";
  std::vector<std::string> fold_metrics;
  for (const auto& n : {"chebyshev", "kl", "accuracy", "macro_f1"}) {
    if (result.summary.count(n)) fold_metrics.push_back(n);
  }
  out << "## Per fold\n\n" << format_per_fold(result, fold_metrics, true) << "\n";
  if (!result.folds.empty()) {
    out << "## Per class (test rows of all folds pooled)\n\n" << format_per_class(result, true) << "\n";
    out << "## Confusion matrix (test rows of all folds pooled; rows true, columns predicted)\n\n";
    auto cm = pooled_confusion(result);
    auto a = cm.accessor<int64_t, 2>();
    std::vector<std::vector<std::string>> rows;
    std::vector<std::string> header{"true \\ predicted"};
    for (const auto& c : d.class_names) header.push_back(c);
    rows.push_back(header);
    for (size_t t = 0; t < d.class_names.size(); ++t) {
      std::vector<std::string> row{d.class_names[t]};
      for (size_t p = 0; p < d.class_names.size(); ++p) row.push_back(std::to_string(a[t][p]));
      rows.push_back(row);
    }
    out << format_table(rows, true);
  }
  return out.str();
}

}  // namespace emofuse::train
