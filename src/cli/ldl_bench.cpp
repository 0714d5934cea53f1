// `emofuse ldl-bench`: the real-data label-distribution-learning benchmark. Runs several methods
// on one LDL .mat file (src/data/ldl.h) under the same 10-fold cross-validation (protocol kfold,
// features standardised on each training fold by the experiment runner) and prints one table of
// mean +- std of the six LDL metrics plus the mean fit and predict seconds per fold; writes
// <out>/summary.md, <out>/summary.csv, <out>/summary.json and one run folder per method.
//
//   emofuse ldl-bench --data ../shared/data/ldl/SJAFFE.mat --folds 10 --seed 0
//     --methods prior,aa_knn,pt_bayes,sa_bfgs,ldllc,mlp_early [--set sa_bfgs.lambda=10]
//     [--inner-folds 5] [--inner-criterion kl] [--out DIR]
//
// Training and validation sides. Classical methods (those of src/models/ldl, and the `prior`
// floor) use no validation data, so they are run with validation_fraction 0 and fit on all nine
// tenths, as in the LDL literature. Deep methods need a validation set for early stopping; they
// hold out `--validation-fraction` (default 0.1) of the training side. The test folds depend only
// on the seed and the fold count (src/protocol/splits.cpp), so every method is tested on the same
// rows.
//
// Inner cross-validation (default on; `--inner-folds 0` turns it off). The option of each
// classical method that decides how hard it fits -- aa_knn `k`, pt_bayes `var_smoothing`, sa_bfgs
// `lambda`, ldllc `lambda1` (with `lambda2 = 0.1 lambda1`, the authors' ratio) -- is chosen inside
// every outer training fold by the `inner_cv` model (src/models/ldl/inner_cv.h): `--inner-folds`
// folds of the outer training rows only, the grid value with the lowest mean inner validation
// `--inner-criterion` wins, ties go to the stronger regularisation, then it is refit on the whole
// outer training fold. An option given with `--set method.option=value` is fixed and not searched.
// The chosen values are printed beneath the table and written per outer fold to summary.json.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "cli/commands.h"
#include "cli/distributed_options.h"
#include "core/error.h"
#include "core/io.h"
#include "core/runtime.h"
#include "data/load.h"
#include "metrics/metrics.h"
#include "models/ldl/inner_cv.h"
#include "models/ldl/ldl.h"
#include "models/registry.h"
#include "report/html_report.h"
#include "train/config.h"
#include "train/experiment.h"
#include "train/report.h"

namespace fs = std::filesystem;

namespace emofuse::cli {
namespace {

struct LdlBenchArgs {
  std::string data;
  int64_t folds = 10;
  uint64_t seed = 0;
  std::string methods = "prior,aa_knn,pt_bayes,sa_bfgs,ldllc,mlp_early";
  std::vector<std::string> sets;
  std::string out;
  std::string role = "auto";
  double validation_fraction = 0.1;
  int threads = 0;
  bool verbose = false;
  bool renormalise = false;
  bool no_report = false;
  int64_t inner_folds = 5;             ///< 0: no inner search (every method with its options as given)
  std::string inner_criterion = "kl";  ///< kl or chebyshev
};

/// One benchmark row: a label (unique) and the registered model it runs.
struct Method {
  std::string label, model;
  YAML::Node options{YAML::NodeType::Map};  ///< options fixed by the user (`--set label.key=value`)
};

/// The inner search of one method: the options searched and the candidate option maps, least
/// regularised first (empty when nothing is searched).
struct Search {
  std::vector<std::string> keys;
  std::vector<YAML::Node> candidates;
};

// Grids of the inner search, least regularised first, written as text so that the values in
// configs and reports are exactly these. Decades for the continuous penalties; for k a roughly
// geometric (Fibonacci, ratio ~1.6) sequence that contains PyLDL's default 5.
const std::vector<std::string> kKnnGrid{"1", "2", "3", "5", "8", "13", "21", "34", "55"};
const std::vector<std::string> kPenaltyGrid{"0.01", "0.1", "1", "10", "100", "1000"};
// lambda2 = 0.1 * lambda1 for each entry of kPenaltyGrid (c2 = 0.1 c1 in the authors' lcLdlTrain.m).
const std::vector<std::string> kLdllcLambda2Grid{"0.001", "0.01", "0.1", "1", "10", "100"};
const std::vector<std::string> kVarSmoothingGrid{"0.01", "0.1", "1", "10", "100", "1000"};

// True when the user fixed `key` with --set. (operator[] of a const node looks up without inserting.)
bool is_fixed(const YAML::Node& options, const std::string& key) {
  return options.IsMap() && options[key].IsDefined();
}

// The inner search of `m`: its own option, unless the user fixed it. `max_k` bounds AA-kNN's k by
// the smallest inner training fold.
Search search_of(const Method& m, int64_t max_k) {
  Search s;
  auto one = [&](const std::string& key, const std::vector<std::string>& grid) {
    if (is_fixed(m.options, key)) return;
    s.keys = {key};
    for (const auto& v : grid) {
      YAML::Node c;
      c[key] = YAML::Load(v);
      s.candidates.push_back(c);
    }
  };
  if (m.model == "aa_knn") {
    std::vector<std::string> grid;
    for (const auto& k : kKnnGrid) {
      if (std::stoll(k) <= max_k) grid.push_back(k);
    }
    one("k", grid);
  } else if (m.model == "pt_bayes") {
    one("var_smoothing", kVarSmoothingGrid);
  } else if (m.model == "sa_bfgs") {
    one("lambda", kPenaltyGrid);
  } else if (m.model == "ldllc") {
    // lambda1 is searched with lambda2 tied to it (0.1 lambda1) unless the user fixed lambda2;
    // a user-fixed lambda1 leaves nothing to search.
    if (is_fixed(m.options, "lambda2")) {
      one("lambda1", kPenaltyGrid);
    } else if (!is_fixed(m.options, "lambda1")) {
      s.keys = {"lambda1", "lambda2"};
      for (size_t i = 0; i < kPenaltyGrid.size(); ++i) {
        YAML::Node c;
        c["lambda1"] = YAML::Load(kPenaltyGrid[i]);
        c["lambda2"] = YAML::Load(kLdllcLambda2Grid[i]);
        s.candidates.push_back(c);
      }
    }
  }
  return s;
}

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
  return model == "prior" || names.count(model) > 0;
}

// The comparison table: one row per method (the `prior` floor among them), mean +- std of each
// metric and the mean fit / predict seconds per fold.
std::string format_table(const std::vector<train::ExperimentResult>& results, bool markdown) {
  train::ComparisonLayout layout;
  layout.first_column = "method";
  layout.timing_columns = true;
  layout.folds_column = false;
  layout.floor_rows = false;  // the floor is the `prior` method's own row
  return train::format_comparison(results, std::nullopt, metrics::distribution_metric_names(), markdown, layout);
}

/// What the inner search chose for one method, one entry per outer fold (empty `folds` when the
/// method ran without it).
struct Chosen {
  Search search;
  std::vector<int64_t> folds;           ///< index into search.candidates per outer fold
  std::vector<nlohmann::json> records;  ///< each outer fold's inner_cv.json
};

// The inner_cv.json of every fold of a run, in fold order (folders are numbered "NN_<name>").
std::vector<nlohmann::json> read_selections(const std::string& run_dir, size_t expected) {
  std::vector<std::pair<long, fs::path>> dirs;
  for (const auto& entry : fs::directory_iterator(fs::path(run_dir) / "folds")) {
    if (!entry.is_directory()) continue;
    const auto name = entry.path().filename().string();
    dirs.emplace_back(std::stol(name.substr(0, name.find('_'))), entry.path());
  }
  std::sort(dirs.begin(), dirs.end());
  std::vector<nlohmann::json> out;
  for (const auto& [number, dir] : dirs) {
    const auto path = (dir / "inner_cv.json").string();
    std::ifstream in(path);
    if (!in) throw DataError(path, "", "missing: the fold's inner search left no record");
    try {
      out.push_back(nlohmann::json::parse(in));
    } catch (const nlohmann::json::exception& e) {
      throw DataError(path, "", std::string("not valid JSON (") + e.what() + ")");
    }
  }
  if (out.size() != expected) {
    throw DataError(
        run_dir, "folds",
        "expected " + std::to_string(expected) + " inner_cv.json records, found " + std::to_string(out.size()));
  }
  return out;
}

// "lambda 10 (8/10 folds), 1 (2/10)": the chosen values, most frequent first (ties in grid order);
// several searched options read "lambda1/lambda2 10/1 (...)".
std::string chosen_text(const Chosen& c) {
  if (c.folds.empty()) return "";
  std::string keys;
  for (const auto& k : c.search.keys) keys += (keys.empty() ? "" : "/") + k;
  auto value = [&](int64_t index) {
    std::string v;
    for (const auto& k : c.search.keys) v += (v.empty() ? "" : "/") + c.search.candidates.at(index)[k].Scalar();
    return v;
  };
  std::map<int64_t, int> counts;
  for (auto i : c.folds) ++counts[i];
  std::vector<std::pair<int, int64_t>> order;
  for (const auto& [index, n] : counts) order.emplace_back(-n, index);
  std::sort(order.begin(), order.end());
  std::ostringstream out;
  const auto total = std::to_string(c.folds.size());
  for (size_t i = 0; i < order.size(); ++i) {
    out << (i == 0 ? keys + " " : ", ") << value(order[i].second) << " (" << -order[i].first << "/" << total
        << (i == 0 ? " folds)" : ")");
  }
  // A value at an end of the grid may mean the best one lies beyond it.
  const auto last = static_cast<int64_t>(c.search.candidates.size()) - 1;
  const auto at_end = std::count_if(c.folds.begin(), c.folds.end(), [&](int64_t i) { return i == 0 || i == last; });
  if (last > 0 && at_end > 0) out << "; at an end of the grid in " << at_end << "/" << total << " folds";
  return out.str();
}

// The lines printed beneath the table (empty when no method was searched).
std::string format_chosen(const std::vector<train::ExperimentResult>& results, const std::vector<Chosen>& chosen,
                          const LdlBenchArgs& a, bool markdown) {
  size_t width = 0;
  for (size_t i = 0; i < results.size(); ++i) {
    if (!chosen[i].folds.empty()) width = std::max(width, results[i].name.size());
  }
  if (width == 0) return "";
  std::ostringstream out;
  out << "\nOptions chosen by " << a.inner_folds << "-fold inner cross-validation on each outer training fold "
      << "(lowest mean inner " << a.inner_criterion << "; ties to the stronger regularisation):\n";
  if (markdown) out << "\n";
  for (size_t i = 0; i < results.size(); ++i) {
    if (chosen[i].folds.empty()) continue;
    if (markdown) {
      out << "- " << results[i].name << " chosen: " << chosen_text(chosen[i]) << "\n";
    } else {
      out << "  " << std::left << std::setw(static_cast<int>(width)) << results[i].name
          << "  chosen: " << chosen_text(chosen[i]) << "\n";
    }
  }
  return out.str();
}

std::string format_csv(const std::vector<train::ExperimentResult>& results, const std::vector<Method>& methods,
                       const std::vector<Chosen>& chosen) {
  std::ostringstream out;
  out << "method,model,folds";
  for (const auto& n : metrics::distribution_metric_names()) out << "," << n << "_mean," << n << "_std";
  out << ",fit_seconds_mean,predict_seconds_mean,chosen\n";
  out << std::setprecision(10);
  for (size_t i = 0; i < results.size(); ++i) {
    const auto& r = results[i];
    out << r.name << "," << methods[i].model << "," << r.folds.size();
    for (const auto& n : metrics::distribution_metric_names()) {
      out << "," << r.summary.at(n).mean << "," << r.summary.at(n).std;
    }
    out << "," << train::mean_fit_seconds(r) << "," << train::mean_predict_seconds(r) << ","
        << csv_escape(chosen_text(chosen[i])) << "\n";
  }
  return out.str();
}

nlohmann::json yaml_map_json(const YAML::Node& map) {
  auto j = nlohmann::json::object();
  for (const auto& kv : map) {
    const auto text = kv.second.Scalar();
    try {
      size_t used = 0;
      const double v = std::stod(text, &used);
      if (used == text.size()) {
        j[kv.first.as<std::string>()] = v;
        continue;
      }
    } catch (const std::exception&) {
    }
    j[kv.first.as<std::string>()] = text;
  }
  return j;
}

nlohmann::json format_json(const std::vector<train::ExperimentResult>& results, const std::vector<Method>& methods,
                           const std::vector<Chosen>& chosen, const LdlBenchArgs& a,
                           const data::MultimodalDataset& dataset) {
  nlohmann::json j;
  j["data"] = a.data;
  j["samples"] = dataset.size();
  j["classes"] = dataset.class_names();
  j["protocol"] = {{"name", "kfold"}, {"folds", a.folds}, {"seed", a.seed}};
  j["inner_cv"] = {{"folds", a.inner_folds}, {"criterion", a.inner_criterion}};
  // Each method against the floor and the best other method, fold by fold, for every metric.
  j["paired"] = train::paired_json(results);
  for (size_t i = 0; i < results.size(); ++i) {
    const auto& r = results[i];
    nlohmann::json m;
    m["model"] = methods[i].model;
    m["fixed_options"] = yaml_map_json(methods[i].options);
    m["parameters"] = r.parameters;
    m["run_dir"] = r.run_dir;
    for (const auto& [name, s] : r.summary) m["metrics"][name] = {{"mean", s.mean}, {"std", s.std}};
    m["fit_seconds_mean"] = train::mean_fit_seconds(r);
    m["predict_seconds_mean"] = train::mean_predict_seconds(r);
    const auto& c = chosen[i];
    if (!c.folds.empty()) {
      nlohmann::json grid = nlohmann::json::array();
      for (const auto& cand : c.search.candidates) grid.push_back(yaml_map_json(cand));
      m["inner_cv"] = {{"searched", c.search.keys}, {"candidates", grid}, {"chosen", chosen_text(c)}};
    }
    for (size_t f = 0; f < r.folds.size(); ++f) {
      const auto& fo = r.folds[f];
      nlohmann::json fold{
          {"name", fo.name},           {"train_size", fo.train_size},   {"validation_size", fo.validation_size},
          {"test_size", fo.test_size}, {"fit_seconds", fo.fit_seconds}, {"predict_seconds", fo.predict_seconds},
          {"metrics", fo.metrics}};
      if (!c.folds.empty()) {
        fold["chosen"] = yaml_map_json(c.search.candidates.at(c.folds[f]));
        nlohmann::json losses = nlohmann::json::array();
        for (const auto& cand : c.records[f]["candidates"]) losses.push_back(cand["loss"]);
        fold["inner_losses"] = losses;  // mean inner validation loss per candidate, grid order
      }
      m["folds"].push_back(fold);
    }
    j["methods"][r.name] = m;
  }
  return j;
}

void run_and_report(const LdlBenchArgs& a, const std::vector<train::ExperimentConfig>& configs,
                    const std::vector<Method>& methods, const std::vector<Search>& searches,
                    const data::LoadedData& loaded, const std::string& out_dir, dist::Distributed* distributed);

void run_ldl_bench(const LdlBenchArgs& a, const DistributedArgs& distributed_args) {
  // ---- validate everything before loading data
  require_option(!a.data.empty(), "--data", "required: an LDL .mat file (features + labels)");
  require_option(a.folds >= 2, "--folds", "must be >= 2, got " + std::to_string(a.folds));
  require_option(a.validation_fraction > 0 && a.validation_fraction < 1, "--validation-fraction", "must be in (0, 1)");
  require_option(a.role == "auto" || a.role == "behavioural" || a.role == "physiological", "--role",
                 "expected auto, behavioural or physiological, got '" + a.role + "'");
  require_option(a.inner_folds == 0 || a.inner_folds >= 2, "--inner-folds",
                 "must be 0 (no inner search) or >= 2, got " + std::to_string(a.inner_folds));
  const auto criterion = models::inner_cv_criterion_from_name(a.inner_criterion, "--inner-criterion");
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
  // One config per method; a searched method runs as `inner_cv` around its model. `max_k` bounds
  // AA-kNN's grid by the smallest inner training fold (known once the data is loaded).
  std::vector<Search> searches;
  auto make_configs = [&](int64_t max_k) {
    std::vector<train::ExperimentConfig> configs;
    searches.clear();
    for (const auto& m : methods) {
      YAML::Node root = YAML::Clone(base);
      root["name"] = m.label;
      searches.push_back(a.inner_folds > 0 ? search_of(m, max_k) : Search{});
      const auto& search = searches.back();
      if (search.candidates.empty()) {
        root["model"]["name"] = m.model;
        if (m.options.size() > 0) root["model"]["options"] = YAML::Clone(m.options);
      } else {
        models::InnerCvOptions inner(m.model, search.candidates);
        inner.options(YAML::Clone(m.options)).folds(a.inner_folds).criterion(criterion);
        root["model"]["name"] = "inner_cv";
        root["model"]["options"] = inner.to_yaml();
      }
      root["protocol"]["validation_fraction"] = is_classical(m.model) ? 0.0 : a.validation_fraction;
      root["output"]["run_dir"] = (fs::path(out_dir) / m.label).string();
      configs.push_back(train::parse_experiment_config(root));  // throws OptionError naming the key
    }
    return configs;
  };
  auto configs = make_configs(std::numeric_limits<int64_t>::max());  // validates every option before the data is read

  // ---- run
  const int used = set_thread_count(a.threads);
  std::cerr << "emofuse: " << used << " thread" << (used == 1 ? "" : "s") << ", BLAS " << blas_library_name() << "\n";
  auto loaded = data::load_data(configs.front().data, a.seed);
  const auto& dataset = loaded.dataset;
  std::cerr << "data: " << dataset.source() << ", " << dataset.size() << " samples x " << dataset.modality(0).numel()
            << " features, " << dataset.num_classes() << " labels\n";
  // The k-fold chunks differ in size by at most one row: the smallest outer training fold has
  // n - ceil(n / folds) rows, and its smallest inner training fold t - ceil(t / inner folds).
  const int64_t n = dataset.size();
  const int64_t outer_train = n - (n + a.folds - 1) / a.folds;
  int64_t max_k = std::numeric_limits<int64_t>::max();
  if (a.inner_folds > 0) {
    require_option(a.inner_folds <= outer_train, "--inner-folds",
                   std::to_string(a.inner_folds) + " inner folds exceed the " + std::to_string(outer_train) +
                       " rows of the smallest outer training fold");
    max_k = outer_train - (outer_train + a.inner_folds - 1) / a.inner_folds;
  }
  configs = make_configs(max_k);
  // Several ranks: every method's folds are spread over them (train::RunOptions::distributed);
  // rank 0 writes the run folders and the summaries.
  const auto distributed = join_distributed_run(distributed_args);
  run_as_rank(distributed.get(),
              [&] { run_and_report(a, configs, methods, searches, loaded, out_dir, distributed.get()); });
}

// Runs every method's configuration and (on rank 0 or the only process) prints and writes the
// comparison.
void run_and_report(const LdlBenchArgs& a, const std::vector<train::ExperimentConfig>& configs,
                    const std::vector<Method>& methods, const std::vector<Search>& searches,
                    const data::LoadedData& loaded, const std::string& out_dir, dist::Distributed* distributed) {
  const auto& dataset = loaded.dataset;
  const bool main_rank = is_main_rank(distributed);
  train::RunOptions run;
  run.quiet = !a.verbose;
  run.overwrite = true;  // a benchmark reruns from scratch: each method's earlier run folder is replaced
  run.distributed = distributed;
  std::vector<train::ExperimentResult> results;
  std::vector<Chosen> chosen;
  for (size_t i = 0; i < configs.size(); ++i) {
    const auto& c = configs[i];
    std::cerr << "running " << c.name << " (" << methods[i].model
              << (searches[i].candidates.empty() ? "" : ", inner cross-validation") << ")\n";
    results.push_back(train::run_experiment(c, dataset, run));
    if (!main_rank) continue;  // the inner searches' records are in rank 0's run folders
    Chosen ch;
    if (!searches[i].candidates.empty()) {
      ch.search = searches[i];
      ch.records = read_selections(results.back().run_dir, results.back().folds.size());
      for (const auto& rec : ch.records) ch.folds.push_back(rec.at("chosen").get<int64_t>());
    }
    chosen.push_back(ch);
  }

  if (!main_rank) return report_rank_done(*distributed, out_dir);

  // ---- report
  std::cout << "\n"
            << fs::path(a.data).filename().string() << ": " << a.folds << "-fold cross-validation (seed " << a.seed
            << "), features standardised on each training fold\n"
            << format_table(results, false) << format_chosen(results, chosen, a, false) << "\n"
            << train::format_paired(results, "chebyshev", false);
  write_text_atomic((fs::path(out_dir) / "summary.md").string(), format_table(results, true) +
                                                                     format_chosen(results, chosen, a, true) + "\n" +
                                                                     train::format_paired(results, "chebyshev", true));
  write_text_atomic((fs::path(out_dir) / "summary.csv").string(), format_csv(results, methods, chosen));
  write_text_atomic((fs::path(out_dir) / "summary.json").string(),
                    format_json(results, methods, chosen, a, dataset).dump(2) + "\n");
  std::cout << "summary.md, summary.csv, summary.json and runs under " << out_dir << "\n";
  if (!a.no_report) {
    const auto path = (fs::path(out_dir) / "report.html").string();
    report::write_report({out_dir}, path);
    std::cout << "report (figures): " << path << "\n";
  }
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
                  "Option of one method (`sa_bfgs.lambda=10`, which also fixes it: no inner search for it) or of "
                  "the shared config (`training.epochs=50`); repeatable");
  cmd->add_option("--inner-folds", a->inner_folds,
                  "Inner cross-validation folds on each outer training fold that choose aa_knn k, pt_bayes "
                  "var_smoothing, sa_bfgs lambda and ldllc lambda1 (lambda2 = 0.1 lambda1); 0 = off, every "
                  "method with its default or --set options")
      ->capture_default_str();
  cmd->add_option("--inner-criterion", a->inner_criterion,
                  "Inner validation loss the grid values are ranked by: kl or chebyshev")
      ->capture_default_str();
  cmd->add_option("--out", a->out, "Folder for the summary and runs (default runs/ldl_<file stem>)");
  cmd->add_option("--role", a->role,
                  "Role of the LDL features: auto (physiological when helo runs, else behavioural), behavioural, "
                  "physiological")
      ->capture_default_str();
  cmd->add_option("--validation-fraction", a->validation_fraction,
                  "Share of each training side held out for early stopping of deep methods")
      ->capture_default_str();
  add_threads_option(cmd, a->threads);
  auto distributed_args = std::make_shared<DistributedArgs>();
  add_distributed_options(cmd, *distributed_args);
  cmd->add_flag("--verbose", a->verbose, "Per-fold and per-epoch lines");
  cmd->add_flag("--no-report", a->no_report, "Do not write report.html (figures) into the output folder");
  cmd->add_flag("--renormalise", a->renormalise,
                "Divide every label row by its sum (for sets whose rows do not sum to 1); reported on stderr");
  cmd->callback([a, distributed_args] { run_ldl_bench(*a, *distributed_args); });
}

}  // namespace emofuse::cli
