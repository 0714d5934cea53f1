#include "report/html_report.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <numeric>
#include <optional>
#include <sstream>

#include "core/build_info.h"
#include "core/error.h"
#include "core/io.h"
#include "metrics/metrics.h"
#include "report/plot.h"
#include "train/report.h"

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace emofuse::report {
namespace {

// ------------------------------------------------------------------------------------ reading

// One fold's history.csv: each column by name, one value per epoch (NaN where empty).
struct FoldHistory {
  std::string fold;
  int64_t selected_epoch = -1;  // 1-based, from the fold's metrics
  std::map<std::string, std::vector<double>> columns;
};

// One fold's model_views.json (Estimator::inspect on its first test sample).
struct ModelViews {
  std::string fold, subject;
  int64_t trial = 0;
  std::map<std::string, std::vector<std::vector<double>>> matrices;
};

// Everything the report shows of one run folder.
struct RunData {
  train::ExperimentResult result;
  std::string monitor = "kl";  // training.monitor of config.yaml (the validation curve shown)
  // The test rows of every fold (predictions.csv): where they come from, predicted and target
  // distributions [rows][C].
  std::vector<std::string> row_fold, row_subject;
  std::vector<int64_t> row_trial;
  std::vector<std::vector<double>> predicted, target;
  std::vector<FoldHistory> histories;
  std::optional<ModelViews> views;
};

json read_json_file(const std::string& path) {
  try {
    return json::parse(read_file(path));
  } catch (const json::exception& e) {
    throw DataError(path, "", std::string("not valid JSON (") + e.what() + ")");
  }
}

// predictions.csv: fold, row, subject, trial, predicted, true_label, p_<class>..., t_<class>...
void read_predictions(const std::string& path, RunData& run) {
  const auto table = read_csv(path);
  const auto& classes = run.result.data.class_names;
  const int64_t fold = table.column("fold"), subject = table.column("subject"), trial = table.column("trial");
  std::vector<int64_t> p_columns, t_columns;
  for (const auto& c : classes) {
    p_columns.push_back(table.column("p_" + c));
    t_columns.push_back(table.column("t_" + c));
  }
  for (size_t r = 0; r < table.rows.size(); ++r) {
    const auto& row = table.rows[r];
    const int64_t line = table.lines[r];
    run.row_fold.push_back(row[fold]);
    run.row_subject.push_back(row[subject]);
    run.row_trial.push_back(static_cast<int64_t>(parse_number(row[trial], path, line, "trial")));
    std::vector<double> p, t;
    for (size_t c = 0; c < classes.size(); ++c) {
      p.push_back(parse_number(row[p_columns[c]], path, line, "p_" + classes[c]));
      t.push_back(parse_number(row[t_columns[c]], path, line, "t_" + classes[c]));
    }
    run.predicted.push_back(std::move(p));
    run.target.push_back(std::move(t));
  }
}

FoldHistory read_history(const std::string& path, const std::string& fold, int64_t selected_epoch) {
  const auto table = read_csv(path);
  FoldHistory h{fold, selected_epoch, {}};
  for (size_t c = 0; c < table.header.size(); ++c) {
    auto& column = h.columns[table.header[c]];
    for (size_t r = 0; r < table.rows.size(); ++r) {
      const auto& cell = table.rows[r][c];
      column.push_back(cell.empty() ? std::nan("") : parse_number(cell, path, table.lines[r], table.header[c]));
    }
  }
  if (!h.columns.count("epoch") || !h.columns.count("train_loss")) {
    throw DataError(path, "header", "expected the columns 'epoch' and 'train_loss' (models/trainer.h history_csv)");
  }
  return h;
}

ModelViews read_views(const std::string& path, const std::string& fold) {
  const json j = read_json_file(path);
  ModelViews v;
  v.fold = fold;
  try {
    v.subject = j.at("sample").at("subject").get<std::string>();
    v.trial = j.at("sample").at("trial").get<int64_t>();
    v.matrices = j.at("matrices").get<std::map<std::string, std::vector<std::vector<double>>>>();
  } catch (const json::exception& e) {
    throw DataError(path, "field 'sample' or 'matrices'",
                    std::string("missing or of the wrong type (") + e.what() + ")");
  }
  return v;
}

// The folds/NN_<name> folders of a run, in fold order (their names sort by the NN prefix).
std::vector<fs::path> fold_folders(const std::string& run_dir) {
  std::vector<fs::path> out;
  const fs::path folds = fs::path(run_dir) / "folds";
  if (!fs::is_directory(folds)) return out;
  for (const auto& entry : fs::directory_iterator(folds)) {
    if (entry.is_directory()) out.push_back(entry.path());
  }
  // By the number before the first '_' ("100_S100" after "99_S99"), then by name.
  auto number = [](const fs::path& p) {
    const std::string name = p.filename().string();
    const auto digits = name.find_first_not_of("0123456789");
    return digits == 0 ? -1L : std::stol(name.substr(0, digits));
  };
  std::sort(out.begin(), out.end(), [&](const fs::path& a, const fs::path& b) {
    return std::make_pair(number(a), a.filename().string()) < std::make_pair(number(b), b.filename().string());
  });
  return out;
}

RunData read_run(const std::string& run_dir) {
  RunData run;
  run.result = train::read_experiment_result(run_dir);
  read_predictions((fs::path(run_dir) / "predictions.csv").string(), run);
  const std::string config = (fs::path(run_dir) / "config.yaml").string();
  if (fs::exists(config)) {
    try {
      const auto root = YAML::LoadFile(config);
      if (root["training"] && root["training"]["monitor"]) run.monitor = root["training"]["monitor"].as<std::string>();
    } catch (const YAML::Exception& e) {
      throw DataError(config, "field 'training.monitor'", std::string("cannot be read (") + e.what() + ")");
    }
  }
  const auto folders = fold_folders(run_dir);
  for (size_t i = 0; i < folders.size(); ++i) {
    const auto& result_folds = run.result.folds;
    // The folder is NN_<sanitised fold name>; the fold is the run's i-th.
    const std::string fold = i < result_folds.size() ? result_folds[i].name : folders[i].filename().string();
    const int64_t selected = i < result_folds.size() ? result_folds[i].best_epoch : -1;
    const auto history = folders[i] / "history.csv";
    if (fs::exists(history)) run.histories.push_back(read_history(history.string(), fold, selected));
    const auto views = folders[i] / "model_views.json";
    if (!run.views && fs::exists(views)) run.views = read_views(views.string(), fold);
  }
  return run;
}

// ------------------------------------------------------------------------------------ HTML

// Inline Markdown of the tables and notes train/report.h writes: `code` and **bold**.
std::string inline_markdown(const std::string& text) {
  std::string out, escaped = xml_escape(text);
  bool code = false, bold = false;
  for (size_t i = 0; i < escaped.size(); ++i) {
    if (escaped[i] == '`') {
      out += code ? "</code>" : "<code>";
      code = !code;
    } else if (!code && escaped.compare(i, 2, "**") == 0) {
      out += bold ? "</strong>" : "<strong>";
      bold = !bold;
      ++i;
    } else {
      out += escaped[i];
    }
  }
  if (code) out += "</code>";
  if (bold) out += "</strong>";
  return out;
}

// The Markdown that train/report.h writes (tables, headings, paragraphs) as HTML.
std::string markdown_to_html(const std::string& markdown) {
  std::ostringstream html;
  std::vector<std::vector<std::string>> table;
  auto flush_table = [&] {
    if (table.empty()) return;
    html << "<table>\n";
    for (size_t r = 0; r < table.size(); ++r) {
      html << "<tr>";
      for (const auto& cell : table[r]) {
        // "0.41 +- 0.03" as "0.41 ± 0.03", kept on one line.
        std::string text = inline_markdown(cell);
        for (auto at = text.find(" +- "); at != std::string::npos; at = text.find(" +- ", at)) {
          text.replace(at, 4, "&nbsp;&plusmn;&nbsp;");
        }
        html << (r == 0 ? "<th>" : "<td>") << text << (r == 0 ? "</th>" : "</td>");
      }
      html << "</tr>\n";
    }
    html << "</table>\n";
    table.clear();
  };
  for (const auto& raw : split_lines(markdown)) {
    const std::string line = trim(raw);
    if (!line.empty() && line.front() == '|') {
      std::vector<std::string> cells;
      std::string inner = line.substr(1, line.size() >= 2 && line.back() == '|' ? line.size() - 2 : line.size() - 1);
      std::stringstream in(inner);
      std::string cell;
      while (std::getline(in, cell, '|')) cells.push_back(trim(cell));
      const bool separator =
          std::all_of(inner.begin(), inner.end(), [](char c) { return c == '|' || c == '-' || c == ':' || c == ' '; });
      if (!separator) table.push_back(cells);
      continue;
    }
    flush_table();
    if (line.rfind("- ", 0) == 0) {
      html << "<ul><li>" << inline_markdown(line.substr(2)) << "</li></ul>\n";
      continue;
    }
    if (line.empty()) continue;
    if (line.front() == '#') {
      const auto text = trim(line.substr(line.find_first_not_of('#')));
      html << "<h4>" << inline_markdown(text) << "</h4>\n";
    } else {
      html << "<p>" << inline_markdown(line) << "</p>\n";
    }
  }
  flush_table();
  return html.str();
}

struct Figure {
  std::string svg, title, caption;
  bool wide = false;  // spans the page's width (else two figures side by side)
};

std::string figure_html(const Figure& f, int number) {
  std::ostringstream out;
  out << "<figure class=\"plot" << (f.wide ? " wide" : "") << "\" id=\"figure-" << number << "\">" << f.svg
      << "<figcaption><strong>Figure " << number << ". " << xml_escape(f.title) << ".</strong> "
      << xml_escape(f.caption) << "</figcaption></figure>\n";
  return out.str();
}

// ------------------------------------------------------------------------------------ figures

// An axis label with the metric's unit and direction, e.g. "chebyshev (distance, lower is better)".
std::string metric_axis_label(const std::string& metric) {
  std::string unit = "fraction";
  if (metric == "kl") unit = "nats";
  if (metric == "chebyshev" || metric == "clark" || metric == "canberra") unit = "distance";
  return metric + " (" + unit + ", " + (metrics::lower_is_better(metric) ? "lower" : "higher") + " is better)";
}

std::string metric_label(const std::string& metric) {
  return metric + (metrics::lower_is_better(metric) ? " (lower is better)" : " (higher is better)");
}

std::string fixed(double v, int digits) {
  std::ostringstream s;
  s.setf(std::ios::fixed);
  s.precision(digits);
  s << v;
  return s.str();
}

// The headline metric per fold for every run on one set of folds, with the floor of each fold.
Figure per_fold_figure(const std::vector<const RunData*>& runs, const std::string& metric, bool loso_like) {
  BarChart chart;
  chart.title = metric + " per fold" + (runs.size() > 1 ? ", models side by side" : "");
  chart.x_label = loso_like ? "test subject (fold)" : "fold";
  chart.y_label = metric_axis_label(metric);
  for (const auto& f : runs.front()->result.folds) chart.categories.push_back(f.name);
  for (const auto* run : runs) {
    Series s{run->result.name, {}};
    for (const auto& f : run->result.folds) s.values.push_back(f.metrics.at(metric));
    chart.series.push_back(s);
  }
  Series floor{train::kFloorRowName, {}};
  for (const auto& f : runs.front()->result.folds) floor.values.push_back(f.floor_metrics.at(metric));
  chart.reference = floor;
  chart.size = {760, 380};
  return {bar_chart_svg(chart), chart.title,
          "One group of bars per fold (its test subjects), one bar per model; the black line across each group is "
          "the floor, the training prior scored on the same test rows. " +
              metric_label(metric) + ": a bar on the wrong side of its line did worse than predicting the prior.",
          true};
}

// Confusion matrix heatmaps: counts, and each row divided by its count (recall on the diagonal).
std::vector<Figure> confusion_figures(const RunData& run) {
  const auto cm = train::pooled_confusion(run.result);
  const auto& classes = run.result.data.class_names;
  const int64_t c = cm.size(0);
  Heatmap counts, normalised;
  counts.title = run.result.name + ": confusion matrix (counts)";
  normalised.title = run.result.name + ": confusion matrix (row-normalised)";
  double largest = 1;
  for (int64_t t = 0; t < c; ++t) {
    std::vector<double> row, share;
    const double total = cm[t].sum().item<double>();
    for (int64_t p = 0; p < c; ++p) {
      const double v = cm[t][p].item<double>();
      row.push_back(v);
      share.push_back(total > 0 ? v / total : std::nan(""));
      largest = std::max(largest, v);
    }
    counts.values.push_back(row);
    normalised.values.push_back(share);
  }
  for (auto* m : {&counts, &normalised}) {
    m->x_label = "predicted class (argmax of the prediction)";
    m->y_label = "true class (argmax of the target)";
    m->row_labels = classes;
    m->column_labels = classes;
    m->size = {500, 460};
  }
  counts.high = largest;
  counts.cell_format = "%.0f";
  normalised.high = 1;
  normalised.cell_format = c > 12 ? "%.1f" : "%.2f";
  return {{heatmap_svg(counts), counts.title,
           "Test rows of all folds, pooled: row = true class, column = predicted class; the diagonal holds the "
           "correct predictions. Darker cells hold more rows.",
           false},
          {heatmap_svg(normalised), normalised.title,
           "Each row divided by its number of rows: the diagonal is each class's recall, the rest of a row says "
           "which classes it is mistaken for. An empty row (no test rows of that class) is blank.",
           false}};
}

Figure per_class_figure(const RunData& run) {
  const auto per_class = train::per_class_json(run.result);
  BarChart chart;
  chart.title = run.result.name + ": precision, recall and F1 per class";
  chart.x_label = "class";
  chart.y_label = "score (fraction)";
  Series precision{"precision", {}}, recall{"recall", {}}, f1{"F1", {}};
  for (const auto& row : per_class) {
    chart.categories.push_back(row.at("class").get<std::string>() + " (" +
                               std::to_string(row.at("support").get<int64_t>()) + ")");
    precision.values.push_back(row.at("precision").get<double>());
    recall.values.push_back(row.at("recall").get<double>());
    f1.values.push_back(row.at("f1").get<double>());
  }
  chart.series = {precision, recall, f1};
  chart.y_range = std::make_pair(0.0, 1.02);
  chart.size = {760, 380};
  return {bar_chart_svg(chart), chart.title,
          "From the pooled confusion matrix (argmax of prediction and target); the number after each class is its "
          "count of test rows. Recall is the share of a class's rows predicted as that class; precision the share "
          "of rows predicted as a class that belong to it; F1 their harmonic mean.",
          true};
}

double chebyshev(const std::vector<double>& p, const std::vector<double>& t) {
  double d = 0;
  for (size_t c = 0; c < p.size(); ++c) d = std::max(d, std::abs(p[c] - t[c]));
  return d;
}

double entropy(const std::vector<double>& p) {
  double h = 0;
  for (double v : p) {
    if (v > 0) h -= v * std::log(v);
  }
  return h;
}

size_t argmax(const std::vector<double>& v) {
  return static_cast<size_t>(std::max_element(v.begin(), v.end()) - v.begin());
}

Figure mean_distribution_figure(const RunData& run) {
  const auto& classes = run.result.data.class_names;
  BarChart chart;
  chart.title = run.result.name + ": mean predicted and mean target distribution";
  chart.x_label = "class";
  chart.y_label = "mean probability";
  chart.categories = classes;
  Series predicted{"mean predicted", std::vector<double>(classes.size(), 0)},
      target{"mean target", std::vector<double>(classes.size(), 0)};
  const double n = std::max<double>(1, run.predicted.size());
  for (size_t r = 0; r < run.predicted.size(); ++r) {
    for (size_t c = 0; c < classes.size(); ++c) {
      predicted.values[c] += run.predicted[r][c] / n;
      target.values[c] += run.target[r][c] / n;
    }
  }
  chart.series = {predicted, target};
  chart.size = {760, 360};
  return {bar_chart_svg(chart), chart.title,
          "Averaged over the test rows of all folds. A model that predicts the class frequencies only (the floor) "
          "matches these means without telling rows apart, so read this beside the per-fold figure.",
          true};
}

// The test rows with the lowest, the median and the highest Chebyshev distance, as paired bars.
std::vector<Figure> sample_figures(const RunData& run) {
  std::vector<Figure> out;
  if (run.predicted.empty()) return out;
  std::vector<size_t> order(run.predicted.size());
  std::iota(order.begin(), order.end(), 0);
  std::vector<double> distance(order.size());
  for (size_t r = 0; r < order.size(); ++r) distance[r] = chebyshev(run.predicted[r], run.target[r]);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return distance[a] < distance[b]; });
  const std::vector<std::pair<std::string, size_t>> picks = {
      {"best", order.front()}, {"median", order[order.size() / 2]}, {"worst", order.back()}};
  for (const auto& [which, r] : picks) {
    BarChart chart;
    chart.title = which + " test sample: " + run.row_subject[r] + ", trial " + std::to_string(run.row_trial[r]);
    chart.x_label = "class";
    chart.y_label = "probability";
    chart.categories = run.result.data.class_names;
    chart.series = {{"predicted", run.predicted[r]}, {"target", run.target[r]}};
    chart.y_range = std::make_pair(0.0, 1.02);
    chart.size = {500, 340};
    out.push_back({bar_chart_svg(chart), run.result.name + ": " + chart.title,
                   "The " + which + " of " + std::to_string(order.size()) +
                       " test rows by Chebyshev distance (the largest difference over classes, here " +
                       fixed(distance[r], 3) + "; fold " + run.row_fold[r] + ").",
                   false});
  }
  return out;
}

// Reliability diagram: test rows binned by confidence (the largest predicted probability); in each
// bin the mean confidence against the share of rows whose argmax is the target's argmax.
Figure reliability_figure(const RunData& run) {
  const int bins = 10;
  std::vector<double> confidence_sum(bins, 0), correct(bins, 0), count(bins, 0);
  for (size_t r = 0; r < run.predicted.size(); ++r) {
    const size_t top = argmax(run.predicted[r]);
    const double confidence = run.predicted[r][top];
    const int b = std::min(bins - 1, static_cast<int>(confidence * bins));
    confidence_sum[b] += confidence;
    correct[b] += top == argmax(run.target[r]) ? 1 : 0;
    count[b] += 1;
  }
  Line line{"model", {}, {}};
  line.points = true;
  double ece = 0;
  const double n = std::max<double>(1, run.predicted.size());
  for (int b = 0; b < bins; ++b) {
    if (count[b] == 0) continue;
    const double conf = confidence_sum[b] / count[b], acc = correct[b] / count[b];
    line.x.push_back(conf);
    line.y.push_back(acc);
    ece += count[b] / n * std::abs(acc - conf);
  }
  LineChart chart;
  chart.title = run.result.name + ": reliability diagram";
  chart.x_label = "confidence (largest predicted probability)";
  chart.y_label = "accuracy in the bin (fraction)";
  chart.lines = {line};
  chart.diagonal = true;
  chart.x_range = std::make_pair(0.0, 1.0);
  chart.y_range = std::make_pair(0.0, 1.0);
  chart.size = {500, 380};
  return {line_chart_svg(chart), chart.title,
          "Test rows in 10 bins of confidence; each point is a bin's mean confidence and the share of its rows "
          "whose predicted argmax is the target's argmax. Points below the diagonal: overconfident. Expected "
          "calibration error " +
              fixed(ece, 3) + ".",
          false};
}

Figure entropy_figure(const RunData& run) {
  Scatter plot;
  plot.title = run.result.name + ": prediction entropy against target entropy";
  plot.x_label = "target entropy (nats)";
  plot.y_label = "prediction entropy (nats)";
  // At most kMaxPoints points (every step-th row): beyond that the SVG grows without showing more.
  const size_t kMaxPoints = 2000, rows = run.predicted.size();
  const size_t step = std::max<size_t>(1, (rows + kMaxPoints - 1) / kMaxPoints);
  for (size_t r = 0; r < rows; r += step) {
    plot.x.push_back(entropy(run.target[r]));
    plot.y.push_back(entropy(run.predicted[r]));
  }
  const double top = std::log(std::max<double>(2, run.result.data.class_names.size())) * 1.02;
  plot.x_range = std::make_pair(0.0, top);
  plot.y_range = std::make_pair(0.0, top);
  plot.diagonal = true;
  plot.size = {500, 380};
  const std::string which =
      step == 1 ? "One point per test row"
                : "One point for every " + std::to_string(step) + "th of the " + std::to_string(rows) + " test rows";
  return {scatter_svg(plot), plot.title,
          which +
              "; the axes end at log C, the entropy of the uniform distribution. Points above the diagonal are "
              "flatter than their targets (hedging), below it sharper.",
          false};
}

// Training loss and the monitored validation metric per fold, the selected epoch marked.
std::vector<Figure> training_figures(const RunData& run) {
  std::vector<Figure> out;
  if (run.histories.empty()) return out;
  const bool name_folds = run.histories.size() <= 8;
  LineChart loss, validation;
  loss.title = run.result.name + ": training loss per fold";
  loss.x_label = "epoch";
  loss.y_label = "training loss (nats per sample)";
  validation.title = run.result.name + ": validation " + run.monitor + " per fold";
  validation.x_label = "epoch";
  validation.y_label = "validation " + (run.monitor == "loss" ? "loss (KL, nats)" : metric_axis_label(run.monitor));
  Line selected{"selected epoch", {}, {}};
  selected.connected = false;
  const std::string column = "validation_" + run.monitor;
  bool any_validation = false;
  for (const auto& h : run.histories) {
    Line l{h.fold, h.columns.at("epoch"), h.columns.at("train_loss")};
    l.in_legend = name_folds;
    loss.lines.push_back(l);
    auto it = h.columns.find(column);
    if (it == h.columns.end()) continue;
    any_validation = true;
    Line v{h.fold, h.columns.at("epoch"), it->second};
    v.in_legend = name_folds;
    validation.lines.push_back(v);
    const int64_t e = h.selected_epoch;
    if (e >= 1 && e <= static_cast<int64_t>(it->second.size())) {
      selected.x.push_back(double(e));
      selected.y.push_back(it->second[e - 1]);
    }
  }
  loss.size = validation.size = {500, 380};
  const std::string folds_text = name_folds ? "one line per fold, named in the legend" : "one line per fold";
  out.push_back({line_chart_svg(loss), loss.title,
                 "The mean training loss of each epoch (" + folds_text +
                     "), from each fold's history.csv. For HeLo it includes the correlation-alignment term.",
                 false});
  if (any_validation) {
    validation.lines.push_back(selected);
    out.push_back({line_chart_svg(validation), validation.title,
                   "The metric early stopping watches, on the validation subjects held out of each fold's training "
                   "rows (" +
                       folds_text +
                       "); circles mark the epoch whose weights each fold kept (after smoothing and min_epochs, "
                       "models/trainer.h).",
                   false});
  }
  return out;
}

// HeLo: R of the training targets beside S of the learned label embeddings, and one transport plan.
std::vector<Figure> model_view_figures(const RunData& run) {
  std::vector<Figure> out;
  if (!run.views) return out;
  const auto& v = *run.views;
  const auto& classes = run.result.data.class_names;
  const auto r = v.matrices.find("label_correlation"), s = v.matrices.find("label_similarity");
  const bool square_labels = classes.size() <= 40;
  auto correlation_map = [&](const std::vector<std::vector<double>>& m, const std::string& title) {
    Heatmap map;
    map.title = title;
    map.x_label = "class";
    map.y_label = "class";
    map.values = m;
    map.low = -1;
    map.high = 1;
    map.diverging = true;
    if (square_labels && m.size() == classes.size()) {
      map.row_labels = classes;
      map.column_labels = classes;
    }
    if (m.size() <= 12) {
      map.cell_format = "%.2f";
    } else {
      map.colour_bar_label = "correlation / cosine similarity";
    }
    map.size = {500, 460};
    return heatmap_svg(map);
  };
  if (r != v.matrices.end()) {
    out.push_back({correlation_map(r->second, run.result.name + ": label correlation R (fold " + v.fold + ")"),
                   run.result.name + ": label correlation R of the training targets",
                   "Pearson correlation between the emotions' probabilities over the fold's training targets (red: "
                   "rise together, blue: opposed). HeLo pulls the label-embedding similarity S (next figure) "
                   "towards it.",
                   false});
  }
  if (s != v.matrices.end()) {
    out.push_back({correlation_map(s->second, run.result.name + ": label-embedding similarity S (fold " + v.fold + ")"),
                   run.result.name + ": learned label-embedding similarity S",
                   "Cosine similarity of the learned label embeddings after training, the bias of the "
                   "label-correlation attention. The closer it looks to R, the more the alignment loss shaped them.",
                   false});
  }
  const auto plan = v.matrices.find("ot_plan");
  if (plan != v.matrices.end() && !plan->second.empty()) {
    Heatmap map;
    const double n = double(plan->second.size());
    map.title = run.result.name + ": transport plan, " + v.subject + " trial " + std::to_string(v.trial);
    map.x_label = "behavioural token";
    map.y_label = "physiological token";
    double largest = 0;
    for (const auto& row : plan->second) {
      std::vector<double> scaled;
      for (double x : row) scaled.push_back(n * x);  // each row sums to 1 (uniform marginals 1/n)
      largest = std::max(largest, *std::max_element(scaled.begin(), scaled.end()));
      map.values.push_back(scaled);
    }
    map.high = largest > 0 ? largest : 1;
    map.colour_bar_label = "n T (each row sums to 1)";
    map.size = {520, 460};
    out.push_back({heatmap_svg(map), map.title,
                   "The optimal-transport plan T between the physiological and the behavioural tokens of the first "
                   "test row of fold " +
                       v.fold +
                       ", times the token count n so that each row (one physiological token) sums to 1: where a "
                       "token's mass goes among the behavioural tokens.",
                   false});
  }
  return out;
}

// ------------------------------------------------------------------------------------ page

const char* kStyle = R"(
body { font-family: sans-serif; margin: 0 auto; max-width: 1100px; padding: 0 1.2em 3em; color: #222; line-height: 1.4; }
h1 { margin-top: 1.2em; } h2 { border-bottom: 1px solid #ccc; padding-bottom: 0.2em; margin-top: 2em; }
table { border-collapse: collapse; margin: 0.6em 0; font-size: 0.8em; display: block; overflow-x: auto; max-width: 100%; }
th, td { border: 1px solid #ccc; padding: 0.2em 0.5em; text-align: left; }
th { background: #f2f2f2; }
code { font-size: 0.95em; background: #f5f5f5; padding: 0 0.2em; }
.figures { display: flex; flex-wrap: wrap; gap: 1em; }
figure.plot { margin: 0; flex: 1 1 460px; max-width: 540px; }
figure.plot.wide { flex-basis: 100%; max-width: 820px; }
figure.plot svg { display: block; width: 100%; height: auto; }
figcaption { font-size: 0.85em; color: #444; margin-top: 0.3em; }
.warning { background: #fff3cd; border: 1px solid #e0c36b; padding: 0.4em 0.7em; }
.meta td:first-child { font-weight: bold; }
nav ul { columns: 2; }
@media print { body { max-width: none; } table { font-size: 0.6em; overflow: visible; } figure.plot, table { break-inside: avoid; } nav { display: none; } }
)";

// Records every figure's size and any script error in <html data-report-check="{...}">, for the
// browser test; it changes nothing a reader sees.
const char* kSelfCheck = R"(<script>
(function () {
  var errors = [];
  window.addEventListener('error', function (e) { errors.push(String(e.message || (e.target && e.target.outerHTML) || e.type)); }, true);
  var consoleError = console.error;
  console.error = function () { errors.push(Array.prototype.join.call(arguments, ' ')); consoleError.apply(console, arguments); };
  window.addEventListener('load', function () {
    var figures = Array.prototype.map.call(document.querySelectorAll('figure.plot'), function (f) {
      var svg = f.querySelector('svg'), box = svg ? svg.getBoundingClientRect() : { width: 0, height: 0 };
      return { id: f.id, width: box.width, height: box.height };
    });
    document.documentElement.setAttribute('data-report-check', JSON.stringify({ figures: figures, errors: errors }));
  });
})();
</script>
)";

std::string anchor_of(const std::string& name) {
  std::string out = "run-";
  for (char c : name) out += std::isalnum(static_cast<unsigned char>(c)) ? c : '-';
  return out;
}

std::string run_header_html(const RunData& run) {
  const auto& r = run.result;
  std::ostringstream html;
  if (r.leaky) {
    html << "<p class=\"warning\"><strong>LEAKY protocol.</strong> Windows of one clip are on both sides of the "
            "split: these scores say how well the model memorises clips, not how it generalises to new ones.</p>\n";
  }
  std::string balance;
  for (size_t c = 0; c < r.data.class_names.size(); ++c) {
    balance += (c ? ", " : "") + r.data.class_names[c] + " " +
               std::to_string(c < r.data.class_counts.size() ? r.data.class_counts[c] : 0);
  }
  html << "<table class=\"meta\">\n"
       << "<tr><td>model</td><td>" << xml_escape(r.model_name) << " (" << r.parameters << " parameters)</td></tr>\n"
       << "<tr><td>data</td><td>" << xml_escape(r.data.source) << ": " << r.data.samples << " samples, "
       << r.data.subjects << " subjects, " << (r.data.one_hot_targets ? "one-hot targets" : "label distributions")
       << "</td></tr>\n"
       << "<tr><td>class balance (argmax)</td><td>" << xml_escape(balance) << "</td></tr>\n"
       << "<tr><td>protocol</td><td>" << xml_escape(r.protocol_details) << ", " << r.folds.size()
       << " folds</td></tr>\n"
       << "<tr><td>command</td><td><code>" << xml_escape(r.command_line) << "</code></td></tr>\n"
       << "<tr><td>commit, threads, time</td><td>" << xml_escape(r.commit) << ", " << r.threads << ", "
       << fixed(r.seconds, 1) << " s</td></tr>\n"
       << "<tr><td>folder</td><td><code>" << xml_escape(r.run_dir) << "</code></td></tr>\n"
       << "</table>\n";
  return html.str();
}

std::vector<std::string> metric_names_of(const train::ExperimentResult& r) {
  std::vector<std::string> names;
  for (const auto* list : {&metrics::distribution_metric_names(), &metrics::classification_metric_names()}) {
    for (const auto& n : *list) {
      if (r.summary.count(n)) names.push_back(n);
    }
  }
  return names;
}

bool same_folds(const train::ExperimentResult& a, const train::ExperimentResult& b) {
  if (a.folds.size() != b.folds.size()) return false;
  for (size_t i = 0; i < a.folds.size(); ++i) {
    if (a.folds[i].name != b.folds[i].name) return false;
  }
  return true;
}

}  // namespace

std::vector<std::string> run_folders_of(const std::string& folder) {
  const fs::path dir(folder);
  if (!fs::is_directory(dir)) throw DataError(folder, "", "not a folder (expected a run folder)");
  if (fs::exists(dir / "metrics.json")) return {folder};
  // A listing: demo and ablate write comparison.json {"models": [{"run_dir"}]}, ldl-bench
  // summary.json {"methods": {<name>: {"run_dir"}}}. Each run lives in a subfolder of the listing's folder
  // named like the run; the path it was written under is tried when that subfolder is absent.
  for (const auto& [file, key] : {std::pair<std::string, std::string>{"comparison.json", "models"},
                                  std::pair<std::string, std::string>{"summary.json", "methods"}}) {
    const fs::path listing = dir / file;
    if (!fs::exists(listing)) continue;
    const json j = read_json_file(listing.string());
    if (!j.is_object() || !j.contains(key) || !(j.at(key).is_array() || j.at(key).is_object())) {
      throw DataError(listing.string(), "field '" + key + "'", "missing or not a list of runs");
    }
    // A list of runs (comparison.json), or runs by name (summary.json; its names in sorted order).
    std::vector<std::pair<std::string, json>> entries;
    size_t index = 0;
    for (const auto& item : j.at(key).items()) {
      const std::string name = j.at(key).is_array() ? std::to_string(index) : "\"" + item.key() + "\"";
      entries.emplace_back(key + "[" + name + "]", item.value());
      ++index;
    }
    std::vector<std::string> runs;
    for (const auto& [field, entry] : entries) {
      if (!entry.is_object() || !entry.contains("run_dir") || !entry.at("run_dir").is_string()) {
        throw DataError(listing.string(), "field '" + field + ".run_dir'", "missing or not a string");
      }
      const fs::path written(entry.at("run_dir").get<std::string>());
      const fs::path inside = dir / written.filename();
      if (fs::exists(inside / "metrics.json")) {
        runs.push_back(inside.string());
      } else if (fs::exists(written / "metrics.json")) {
        runs.push_back(written.string());
      } else {
        throw DataError(listing.string(), "field '" + field + ".run_dir'",
                        "no finished run at '" + written.string() + "' nor at '" + inside.string() + "'");
      }
    }
    return runs;
  }
  throw DataError(folder, "",
                  "not a run folder: expected metrics.json (train), comparison.json (demo, ablate) or "
                  "summary.json (ldl-bench)");
}

std::string render_report(const std::vector<std::string>& folders) {
  std::vector<RunData> runs;
  for (const auto& folder : folders) {
    for (const auto& run_dir : run_folders_of(folder)) runs.push_back(read_run(run_dir));
  }
  if (runs.empty()) throw Error("report: no run folders given");
  std::vector<train::ExperimentResult> results;
  for (const auto& r : runs) results.push_back(r.result);
  const std::string headline = results.front().headline_metric;
  const bool loso_like = results.front().protocol == "loso";

  std::ostringstream body;
  int figure_number = 0;
  std::string names;
  for (const auto& r : results) names += (names.empty() ? "" : ", ") + r.name;

  // Comparison.
  body << "<section id=\"comparison\">\n<h2>Comparison</h2>\n"
       << "<p>Mean &plusmn; standard deviation over folds. The floor row is the training prior (the mean training "
          "distribution) scored on each fold's own test rows: a model that does not beat it has not shown that "
          "it learned anything from its inputs.</p>\n"
       << markdown_to_html(train::format_comparison(results, std::nullopt, metric_names_of(results.front()), true))
       << markdown_to_html(train::format_paired(results, headline, true));
  body << "<div class=\"figures\">\n";
  std::vector<bool> drawn(runs.size(), false);
  for (size_t i = 0; i < runs.size(); ++i) {
    if (drawn[i] || runs[i].result.folds.empty()) continue;
    std::vector<const RunData*> group;
    for (size_t k = i; k < runs.size(); ++k) {
      if (!drawn[k] && same_folds(runs[i].result, runs[k].result)) {
        group.push_back(&runs[k]);
        drawn[k] = true;
      }
    }
    body << figure_html(per_fold_figure(group, headline, loso_like), ++figure_number);
  }
  body << "</div>\n</section>\n";

  // One section per run.
  for (const auto& run : runs) {
    const auto& r = run.result;
    body << "<section id=\"" << anchor_of(r.name) << "\">\n<h2>" << xml_escape(r.name) << " ("
         << xml_escape(r.model_name) << ")</h2>\n"
         << run_header_html(run) << "<h3>Per fold</h3>\n"
         << markdown_to_html(train::format_per_fold(r, metric_names_of(r), true)) << "<h3>Figures</h3>\n"
         << "<div class=\"figures\">\n";
    std::vector<Figure> figures;
    if (!r.folds.empty()) {
      for (auto& f : confusion_figures(run)) figures.push_back(std::move(f));
      figures.push_back(per_class_figure(run));
    }
    if (!run.predicted.empty()) {
      figures.push_back(mean_distribution_figure(run));
      for (auto& f : sample_figures(run)) figures.push_back(std::move(f));
      figures.push_back(reliability_figure(run));
      figures.push_back(entropy_figure(run));
    }
    for (auto& f : training_figures(run)) figures.push_back(std::move(f));
    for (auto& f : model_view_figures(run)) figures.push_back(std::move(f));
    for (const auto& f : figures) body << figure_html(f, ++figure_number);
    if (run.histories.empty()) {
      body << "<p>No training curves: this model is not trained by epochs, or its folds kept no history.csv.</p>\n";
    }
    body << "</div>\n</section>\n";
  }

  std::ostringstream page;
  page << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
       << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
       << "<title>emofuse report: " << xml_escape(names) << "</title>\n"
       << kSelfCheck << "<style>" << kStyle << "</style>\n</head>\n<body>\n"
       << "<h1>emofuse report</h1>\n<p>" << runs.size() << (runs.size() == 1 ? " run" : " runs") << ": "
       << xml_escape(names) << ". Written by emofuse " << xml_escape(build_commit()) << " with <code>"
       << xml_escape(command_line()) << "</code>. Figures drawn with PLplot; the page needs no network.</p>\n"
       << "<nav><ul><li><a href=\"#comparison\">Comparison</a></li>\n";
  for (const auto& r : results) {
    page << "<li><a href=\"#" << anchor_of(r.name) << "\">" << xml_escape(r.name) << "</a></li>\n";
  }
  page << "</ul></nav>\n" << body.str() << "</body>\n</html>\n";
  return page.str();
}

void write_report(const std::vector<std::string>& folders, const std::string& out_path) {
  write_text_atomic(out_path, render_report(folders));
}

}  // namespace emofuse::report
