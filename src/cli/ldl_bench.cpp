// `emofuse ldl-bench`: the real-data label-distribution-learning benchmark. Runs several methods
// on one LDL .mat file (src/data/ldl.h) under the same 10-fold cross-validation (protocol kfold,
// features standardised on each training fold by the experiment runner) and prints one table of
// mean +- std of the six LDL metrics plus the mean fit and predict seconds per fold; writes
// <out>/summary.md, <out>/summary.csv, <out>/summary.json and one run folder per method.
//
//   emofuse ldl-bench --data ../shared/data/ldl/SJAFFE.mat --folds 10 --seed 0
//     --methods aa_knn,pt_bayes,sa_bfgs,ldllc,mlp_early [--set sa_bfgs.lambda=10] [--out DIR]
//
// Training and validation sides. Classical methods (those of src/models/ldl) use no validation
// data, so they are run with validation_fraction 0 and fit on all nine tenths, as in the LDL
// literature. Deep methods need a validation set for early stopping; they hold out
// `--validation-fraction` (default 0.1) of the training side. The test folds depend only on the
// seed and the fold count (src/protocol/splits.cpp), so every method is tested on the same rows.
#include <CLI/CLI.hpp>

#include <filesystem>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "cli/commands.h"
#include "core/error.h"
#include "core/io.h"
#include "core/runtime.h"
#include "data/load.h"
#include "metrics/metrics.h"
#include "models/ldl/ldl.h"
#include "models/registry.h"
#include "train/config.h"
#include "train/experiment.h"

namespace fs = std::filesystem;

namespace emofuse::cli {
namespace {

struct LdlBenchArgs {
  std::string data;
  int64_t folds = 10;
  uint64_t seed = 0;
  std::string methods = "aa_knn,pt_bayes,sa_bfgs,ldllc,mlp_early";
  std::vector<std::string> sets;
  std::string out;
  std::string role = "auto";
  double validation_fraction = 0.1;
  int threads = 0;
  bool verbose = false;
  bool renormalise = false;
};

/// One benchmark row: a label (unique) and the registered model it runs.
struct Method {
  std::string label, model;
  YAML::Node options{YAML::NodeType::Map};
};

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    item.erase(0, item.find_first_not_of(" \t"));
    item.erase(item.find_last_not_of(" \t") + 1);
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

// Parses "--methods": items are `model` or `label=model` (to run one model twice with different
// options, e.g. `sa_bfgs,sa_l10=sa_bfgs --set sa_l10.lambda=10`).
std::vector<Method> parse_methods(const std::string& text) {
  std::vector<Method> methods;
  std::set<std::string> labels;
  for (const auto& item : split_list(text)) {
    Method m;
    const auto eq = item.find('=');
    m.label = eq == std::string::npos ? item : item.substr(0, eq);
    m.model = eq == std::string::npos ? item : item.substr(eq + 1);
    require_option(!m.label.empty() && !m.model.empty(), "--methods", "malformed item '" + item + "'");
    models::find_model(m.model);  // throws OptionError listing the known models
    require_option(labels.insert(m.label).second, "--methods", "method '" + m.label + "' listed twice");
    methods.push_back(m);
  }
  require_option(!methods.empty(), "--methods", "at least one method is required");
  return methods;
}

bool is_classical(const std::string& model) {
  static const std::set<std::string> names = [] {
    std::vector<models::ModelEntry> entries;
    models::register_ldl(entries);
    std::set<std::string> s;
    for (const auto& e : entries) s.insert(e.name);
    return s;
  }();
  return names.count(model) > 0;
}

std::string fixed(double v, int digits) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(digits) << v;
  return s.str();
}

double mean_of(const std::vector<train::FoldOutcome>& folds, double train::FoldOutcome::*field) {
  double sum = 0;
  for (const auto& f : folds) sum += f.*field;
  return folds.empty() ? 0 : sum / static_cast<double>(folds.size());
}

// The comparison table: one row per method, mean +- std of each metric (4 decimals, as
// train::format_comparison) and the mean fit / predict seconds per fold.
std::string format_table(const std::vector<train::ExperimentResult>& results, bool markdown) {
  const auto& names = metrics::distribution_metric_names();
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> header{"method"};
  for (const auto& n : names) header.push_back(n + (metrics::lower_is_better(n) ? " (lower)" : " (higher)"));
  header.push_back("fit s/fold");
  header.push_back("predict s/fold");
  rows.push_back(header);
  for (const auto& r : results) {
    std::vector<std::string> row{r.name};
    for (const auto& n : names) {
      const auto& s = r.summary.at(n);
      row.push_back(fixed(s.mean, 4) + " +- " + fixed(s.std, 4));
    }
    row.push_back(fixed(mean_of(r.folds, &train::FoldOutcome::fit_seconds), 4));
    row.push_back(fixed(mean_of(r.folds, &train::FoldOutcome::predict_seconds), 4));
    rows.push_back(row);
  }
  std::vector<size_t> width(header.size(), 0);
  for (const auto& row : rows) {
    for (size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  }
  std::ostringstream out;
  for (size_t r = 0; r < rows.size(); ++r) {
    if (markdown) out << "| ";
    for (size_t c = 0; c < rows[r].size(); ++c) {
      out << std::left << std::setw(static_cast<int>(width[c])) << rows[r][c] << (markdown ? " | " : "  ");
    }
    out << "\n";
    if (r == 0) {
      if (markdown) {
        out << "|";
        for (size_t c = 0; c < header.size(); ++c) out << std::string(width[c] + 2, '-') << "|";
      } else {
        for (size_t c = 0; c < header.size(); ++c) out << std::string(width[c], '-') << "  ";
      }
      out << "\n";
    }
  }
  return out.str();
}

std::string format_csv(const std::vector<train::ExperimentResult>& results) {
  std::ostringstream out;
  out << "method,model,folds";
  for (const auto& n : metrics::distribution_metric_names()) out << "," << n << "_mean," << n << "_std";
  out << ",fit_seconds_mean,predict_seconds_mean\n";
  out << std::setprecision(10);
  for (const auto& r : results) {
    out << r.name << "," << r.model_name << "," << r.folds.size();
    for (const auto& n : metrics::distribution_metric_names()) {
      out << "," << r.summary.at(n).mean << "," << r.summary.at(n).std;
    }
    out << "," << mean_of(r.folds, &train::FoldOutcome::fit_seconds) << ","
        << mean_of(r.folds, &train::FoldOutcome::predict_seconds) << "\n";
  }
  return out.str();
}

nlohmann::json format_json(const std::vector<train::ExperimentResult>& results, const LdlBenchArgs& a,
                           const data::MultimodalDataset& dataset) {
  nlohmann::json j;
  j["data"] = a.data;
  j["samples"] = dataset.size();
  j["classes"] = dataset.class_names();
  j["protocol"] = {{"name", "kfold"}, {"folds", a.folds}, {"seed", a.seed}};
  for (const auto& r : results) {
    nlohmann::json m;
    m["model"] = r.model_name;
    m["parameters"] = r.parameters;
    m["run_dir"] = r.run_dir;
    for (const auto& [name, s] : r.summary) m["metrics"][name] = {{"mean", s.mean}, {"std", s.std}};
    m["fit_seconds_mean"] = mean_of(r.folds, &train::FoldOutcome::fit_seconds);
    m["predict_seconds_mean"] = mean_of(r.folds, &train::FoldOutcome::predict_seconds);
    for (const auto& f : r.folds) {
      m["folds"].push_back({{"name", f.name},
                            {"train_size", f.train_size},
                            {"validation_size", f.validation_size},
                            {"test_size", f.test_size},
                            {"fit_seconds", f.fit_seconds},
                            {"predict_seconds", f.predict_seconds},
                            {"metrics", f.metrics}});
    }
    j["methods"][r.name] = m;
  }
  return j;
}

void run_ldl_bench(const LdlBenchArgs& a) {
  // ---- validate everything before loading data
  require_option(!a.data.empty(), "--data", "required: an LDL .mat file (features + labels)");
  require_option(a.folds >= 2, "--folds", "must be >= 2, got " + std::to_string(a.folds));
  require_option(a.validation_fraction > 0 && a.validation_fraction < 1, "--validation-fraction",
                 "must be in (0, 1)");
  require_option(a.role == "auto" || a.role == "behavioural" || a.role == "physiological", "--role",
                 "expected auto, behavioural or physiological, got '" + a.role + "'");
  auto methods = parse_methods(a.methods);
  // HeLo refuses a dataset whose only modality is behavioural; `auto` declares the LDL features
  // physiological when helo is among the methods (no number changes for the other methods).
  bool wants_helo = false;
  for (const auto& m : methods) wants_helo |= m.model == "helo";
  const std::string role = a.role != "auto" ? a.role : (wants_helo ? "physiological" : "behavioural");

  YAML::Node base;
  base["seed"] = a.seed;
  base["threads"] = a.threads;
  base["data"]["format"] = "ldl";
  base["data"]["path"] = a.data;
  base["data"]["role"] = role;
  if (a.renormalise) base["data"]["renormalise"] = true;
  base["protocol"]["name"] = "kfold";
  base["protocol"]["folds"] = a.folds;
  base["output"]["save_models"] = false;
  for (const auto& s : a.sets) {
    const auto eq = s.find('='), dot = s.find('.');
    require_option(eq != std::string::npos && dot != std::string::npos && dot < eq, "--set",
                   "expected <method>.<option>=<value> or <section>.<key>=<value>, got '" + s + "'");
    const auto head = s.substr(0, dot);
    auto it = std::find_if(methods.begin(), methods.end(), [&](const Method& m) { return m.label == head; });
    if (it != methods.end()) {
      it->options[s.substr(dot + 1, eq - dot - 1)] = YAML::Load(s.substr(eq + 1));
    } else {
      train::apply_override(base, s);  // e.g. training.epochs=50
    }
  }
  const std::string out_dir = a.out.empty() ? "runs/ldl_" + fs::path(a.data).stem().string() : a.out;
  std::vector<train::ExperimentConfig> configs;
  for (const auto& m : methods) {
    YAML::Node root = YAML::Clone(base);
    root["name"] = m.label;
    root["model"]["name"] = m.model;
    if (m.options.size() > 0) root["model"]["options"] = m.options;
    root["protocol"]["validation_fraction"] = is_classical(m.model) ? 0.0 : a.validation_fraction;
    root["output"]["run_dir"] = (fs::path(out_dir) / m.label).string();
    configs.push_back(train::parse_experiment_config(root));  // throws OptionError naming the key
  }

  // ---- run
  const int used = set_thread_count(a.threads);
  std::cerr << "emofuse: " << used << " thread" << (used == 1 ? "" : "s") << ", BLAS " << blas_library_name() << "\n";
  auto loaded = data::load_data(configs.front().data, a.seed);
  const auto& dataset = loaded.dataset;
  std::cerr << "data: " << dataset.source() << ", " << dataset.size() << " samples x "
            << dataset.modality(0).numel() << " features, " << dataset.num_classes() << " labels\n";
  train::RunOptions run;
  run.quiet = !a.verbose;
  run.overwrite = true;  // a benchmark reruns from scratch: each method's earlier run folder is replaced
  std::vector<train::ExperimentResult> results;
  for (const auto& c : configs) {
    std::cerr << "running " << c.name << " (" << c.model_name << ")\n";
    results.push_back(train::run_experiment(c, dataset, run));
  }

  // ---- report
  std::cout << "\n" << fs::path(a.data).filename().string() << ": " << a.folds << "-fold cross-validation (seed "
            << a.seed << "), features standardised on each training fold\n"
            << format_table(results, false);
  write_text_atomic((fs::path(out_dir) / "summary.md").string(), format_table(results, true));
  write_text_atomic((fs::path(out_dir) / "summary.csv").string(), format_csv(results));
  write_text_atomic((fs::path(out_dir) / "summary.json").string(), format_json(results, a, dataset).dump(2) + "\n");
  std::cout << "summary.md, summary.csv, summary.json and runs under " << out_dir << "\n";
}

}  // namespace

void register_ldl_bench_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "ldl-bench", "Classical and deep LDL methods on one LDL .mat file under the same k-fold CV; one table");
  auto a = std::make_shared<LdlBenchArgs>();
  cmd->add_option("--data", a->data, "LDL .mat file with `features` [N, d] and `labels` [N, C]")->required();
  cmd->add_option("--folds", a->folds, "Cross-validation folds")->capture_default_str();
  cmd->add_option("--seed", a->seed, "Seed of the fold assignment and of the deep models")->capture_default_str();
  cmd->add_option("--methods", a->methods, "Comma-separated models, each `model` or `label=model`")
      ->capture_default_str();
  cmd->add_option("--set", a->sets,
                  "Option of one method (`sa_bfgs.lambda=10`) or of the shared config (`training.epochs=50`); "
                  "repeatable");
  cmd->add_option("--out", a->out, "Folder for the summary and runs (default runs/ldl_<file stem>)");
  cmd->add_option("--role", a->role,
                  "Role of the LDL features: auto (physiological when helo runs, else behavioural), behavioural, "
                  "physiological")
      ->capture_default_str();
  cmd->add_option("--validation-fraction", a->validation_fraction,
                  "Share of each training side held out for early stopping of deep methods")
      ->capture_default_str();
  add_threads_option(cmd, a->threads);
  cmd->add_flag("--verbose", a->verbose, "Per-fold and per-epoch lines");
  cmd->add_flag("--renormalise", a->renormalise,
                "Divide every label row by its sum (for sets whose rows do not sum to 1); reported on stderr");
  cmd->callback([a] { run_ldl_bench(*a); });
}

}  // namespace emofuse::cli
