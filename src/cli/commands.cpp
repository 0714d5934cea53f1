#include "cli/commands.h"

#include <filesystem>
#include <iomanip>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/distributed_options.h"
#include "core/build_info.h"
#include "core/error.h"
#include "core/io.h"
#include "core/options.h"
#include "core/runtime.h"
#include "data/load.h"
#include "data/synthetic.h"
#include "metrics/metrics.h"
#include "models/lsgmer/predict_text.h"
#include "models/registry.h"
#include "report/html_report.h"
#include "signal/simulate.h"
#include "train/config.h"
#include "train/experiment.h"
#include "train/report.h"
#include "train/run_folder.h"

namespace fs = std::filesystem;

namespace emofuse::cli {
namespace {

void start_runtime(int threads) {
  const int used = set_thread_count(threads);
  std::cerr << "emofuse: " << used << " thread" << (used == 1 ? "" : "s") << ", BLAS " << blas_library_name() << "\n";
}

// A data section from --data / --format when no config gives one.
YAML::Node data_section(const std::string& path, const std::string& format) {
  YAML::Node data;
  if (!path.empty()) data["path"] = path;
  if (!format.empty()) data["format"] = format;
  if (path.empty() && format.empty()) data["format"] = "synthetic";
  return data;
}

std::vector<std::string> all_metric_names(bool with_classification) {
  auto names = metrics::distribution_metric_names();
  if (with_classification) {
    for (const auto& n : metrics::classification_metric_names()) names.push_back(n);
  }
  return names;
}

void print_metrics(const std::map<std::string, double>& values) {
  for (const auto& name : all_metric_names(true)) {
    if (values.count(name)) {
      std::cout << "  " << std::left << std::setw(14) << name << std::fixed << std::setprecision(4) << values.at(name)
                << "\n";
    }
  }
}

}  // namespace

void add_threads_option(CLI::App* command, int& threads) {
  command->add_option("--threads", threads, "LibTorch intra-op threads (0 = all cores)")
      ->check(thread_count_range())
      ->capture_default_str();
}

CLI::Validator thread_count_range() {
  return CLI::Range(0, max_thread_count());
}

// ------------------------------------------------------------------------------------------ synth
void register_synth_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("synth", "Write the synthetic DMER-layout cohort (one .mat per subject)");
  auto options = std::make_shared<data::SyntheticOptions>();
  auto out = std::make_shared<std::string>();
  cmd->add_option("--out", *out, "Output folder")->required();
  cmd->add_option("--subjects", options->subjects, "Subjects")->capture_default_str();
  cmd->add_option("--clips", options->clips, "Clips per subject")->capture_default_str();
  cmd->add_option("--seconds", options->seconds, "One-second samples per clip")->capture_default_str();
  cmd->add_option("--seed", options->seed, "Random seed")->capture_default_str();
  auto raw = std::make_shared<bool>(false);
  auto condition_seconds = std::make_shared<double>(180.0);
  cmd->add_flag("--raw", *raw,
                "Write raw WESAD-layout recordings instead (E4 wrist CSVs, RespiBAN chest file, quest.csv; "
                "4 conditions per subject), for `emofuse features` and `emofuse replay`");
  cmd->add_option("--condition-seconds", *condition_seconds, "--raw: length of each condition")
      ->check(CLI::Range(30.0, 3600.0))
      ->capture_default_str();
  cmd->callback([options, out, raw, condition_seconds] {
    if (*raw) {
      require_option(options->subjects >= 1 && options->subjects <= 100, "--subjects", "must be in 1..100 with --raw");
      const auto ids =
          signal::wesad_write_fixture(*out, static_cast<int>(options->subjects), *condition_seconds, options->seed);
      std::cout << "wrote " << ids.size() << " raw WESAD-layout subjects (" << *condition_seconds
                << " s per condition) to " << *out << "\n";
      return;
    }
    options->validate();
    auto cohort = data::make_synthetic_cohort(*options);
    data::write_synthetic_dmer(cohort, *out);
    std::cout << "wrote " << options->subjects << " subject files (" << cohort.dataset.size() << " samples, "
              << cohort.dataset.num_classes() << " emotions) to " << *out << "\n"
              << "ceiling (true distribution vs noisy targets):\n";
    print_metrics(cohort.ceiling);
  });
}

// ------------------------------------------------------------------------------------------ train
namespace {

struct TrainArgs {
  std::string config, data, format, run_dir;
  std::vector<std::string> sets;
  bool resume = false, quiet = false, overwrite = false, no_report = false;
  int threads = 0;
  bool threads_given = false;
};

train::ExperimentConfig resolve_config(const TrainArgs& a, YAML::Node* root_out = nullptr) {
  YAML::Node root = a.config.empty() ? YAML::Node(YAML::NodeType::Map) : train::load_yaml_file(a.config);
  if (!a.data.empty()) {
    root["data"]["path"] = a.data;
    if (!a.format.empty()) root["data"]["format"] = a.format;
  } else if (!a.format.empty()) {
    root["data"]["format"] = a.format;
  }
  if (!root["data"]) root["data"]["format"] = "synthetic";
  std::vector<std::string> notes;
  train::apply_overrides(root, a.sets, &notes);
  for (const auto& n : notes) std::cerr << "note: " << n << "\n";
  if (a.threads_given) root["threads"] = a.threads;
  if (!a.run_dir.empty()) root["output"]["run_dir"] = a.run_dir;
  if (root_out) *root_out = root;
  return train::parse_experiment_config(root);
}

}  // namespace

void register_train_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("train", "Train and evaluate a model under a protocol; writes a run folder");
  auto a = std::make_shared<TrainArgs>();
  cmd->add_option("--config,-c", a->config, "YAML experiment config (see configs/)");
  cmd->add_option("--data", a->data, "Data path (overrides data.path; format detected unless --format)");
  cmd->add_option("--format", a->format, "Data format: " + data::data_format_list());
  cmd->add_option("--set", a->sets, "Override a config key: --set training.epochs=5 (repeatable)");
  cmd->add_option("--run-dir", a->run_dir, "Run folder (default runs/<name>)");
  auto* resume = cmd->add_flag("--resume", a->resume,
                               "Continue an interrupted run in the same run folder (same config and data, "
                               "checked against its fingerprint.json)");
  cmd->add_flag("--overwrite", a->overwrite, "Clear a non-empty run folder (an earlier run) and start again")
      ->excludes(resume);
  cmd->add_flag("--quiet", a->quiet, "No per-epoch lines");
  cmd->add_flag("--no-report", a->no_report, "Do not write report.html (figures) into the run folder");
  auto* threads =
      cmd->add_option("--threads", a->threads, "LibTorch threads (0 = all cores)")->check(thread_count_range());
  auto distributed_args = std::make_shared<DistributedArgs>();
  add_distributed_options(cmd, *distributed_args);
  cmd->callback([a, threads, distributed_args] {
    a->threads_given = threads->count() > 0;
    auto config = resolve_config(*a);  // validated in full before data loads
    const auto distributed = join_distributed_run(*distributed_args);
    start_runtime(config.threads);
    run_as_rank(distributed.get(), [&] {
      // Rank 0 checks the run folder (and clears it with --overwrite) before data loading writes
      // to it; if anything fails before a fold completes, a folder created here is removed again.
      // The other ranks wait for that check before they write beneath it (a shared file system).
      const bool main_rank = is_main_rank(distributed.get());
      std::optional<train::RunFolder> folder;
      check_run_folders_first(distributed.get(), "train", [&] { folder.emplace(config, a->resume, a->overwrite); });
      const std::string work_dir =
          main_rank ? config.run_dir : train::rank_work_dir(config.run_dir, distributed->rank());
      auto loaded = data::load_data(config.data, config.seed, work_dir);
      std::cerr << "data: " << loaded.dataset.source() << ", " << loaded.dataset.size() << " samples, "
                << loaded.dataset.unique_subjects().size() << " subjects\n";
      train::RunOptions run;
      run.resume = a->resume;
      run.overwrite = a->overwrite;
      run.quiet = a->quiet;
      run.folder = folder ? &*folder : nullptr;
      run.ceiling = loaded.ceiling;
      run.distributed = distributed.get();
      auto result = train::run_experiment(config, loaded.dataset, run);
      if (!main_rank) return report_rank_done(*distributed, result.run_dir);
      std::cout << "\n"
                << config.name << " (" << config.protocol.name << ", " << result.folds.size() << " folds)"
                << (result.leaky ? "  ** LEAKY protocol: scores are inflated **" : "") << "\n"
                << train::format_comparison({result}, loaded.ceiling, all_metric_names(true), false) << "\n"
                << train::format_paired({result}, result.headline_metric, false) << "run folder: " << result.run_dir
                << " (summary.md, metrics.json, confusion.csv" << (a->no_report ? "" : ", report.html") << ")\n";
      if (!a->no_report) report::write_report({result.run_dir}, (fs::path(result.run_dir) / "report.html").string());
    });
  });
}

// ------------------------------------------------------------------------------------------ eval / predict
namespace {

struct ModelDataArgs {
  std::string model, data, format, out;
  std::vector<std::string> sets;
  std::vector<std::string> subjects;  ///< eval: subjects to score ("all": every row)
  int threads = 0;
};

// The rows `eval` scores. By default the subjects the bundle's fold held out for testing (recorded
// in model.yaml), so that a fold's model is never scored on rows it was trained on; --subjects
// names others, or "all". Throws OptionError when a named subject is not in the data.
data::MultimodalDataset select_eval_rows(const data::MultimodalDataset& data, const models::ModelBundle& bundle,
                                         const std::vector<std::string>& requested) {
  std::vector<std::string> wanted = requested;
  const bool all = wanted.size() == 1 && wanted.front() == "all";
  if (wanted.empty()) {
    if (!bundle.provenance) {
      std::cerr << "eval: this bundle does not record its test subjects (written by an older emofuse); scoring every "
                   "row, some of which the model may have been trained on\n";
      return data;
    }
    if (bundle.provenance->test_subjects.empty()) {
      std::cerr << "eval: this is a model fitted on all subjects of its data (" << bundle.provenance->fold
                << "); scores on the same data are training scores, not test scores\n";
      return data;
    }
    wanted = bundle.provenance->test_subjects;
    std::cerr << "eval: scoring the test subjects of fold " << bundle.provenance->fold
              << " (recorded in the bundle; --subjects all scores every row)\n";
  }
  if (all) {
    if (bundle.provenance && !bundle.provenance->test_subjects.empty()) {
      std::cerr << "eval: --subjects all: rows of the subjects this fold was trained on are scored too\n";
    }
    return data;
  }
  std::map<std::string, int64_t> id_of;
  for (auto id : data.unique_subjects()) id_of[data.subject_name(id)] = id;
  std::vector<int64_t> rows;
  auto subjects = data.subjects().contiguous();
  for (const auto& name : wanted) {
    auto it = id_of.find(name);
    if (it == id_of.end()) {
      std::string known;
      for (const auto& [n, id] : id_of) known += (known.empty() ? "" : ", ") + n;
      throw OptionError("--subjects", "subject '" + name + "' is not in " + data.source() + " (subjects: " + known +
                                          ")" +
                                          (requested.empty() ? "; it is a test subject recorded in the bundle: "
                                                               "pass --subjects to score others, or all"
                                                             : ""));
    }
    auto mask = (subjects == it->second).nonzero().reshape(-1);
    for (int64_t i = 0; i < mask.size(0); ++i) rows.push_back(mask[i].item<int64_t>());
  }
  std::sort(rows.begin(), rows.end());
  return data.subset(torch::tensor(rows, torch::kInt64));
}

data::MultimodalDataset load_for_bundle(const ModelDataArgs& a, const models::ModelBundle& bundle) {
  YAML::Node data = data_section(a.data, a.format);
  for (const auto& s : a.sets) {
    YAML::Node root;
    root["data"] = data;
    train::apply_override(root, s);
    data = root["data"];
  }
  // A model trained on features z-scored per subject scores data normalised the same way.
  if (bundle.provenance && bundle.provenance->normalize_per_subject) {
    if (data["normalize_per_subject"] && !data["normalize_per_subject"].as<bool>(false)) {
      throw OptionError("data.normalize_per_subject",
                        "the model was trained on features z-scored per subject (its model.yaml says so); leave it on");
    }
    if (!data["normalize_per_subject"])
      std::cerr << "note: features z-scored per subject, as for the model's training\n";
    data["normalize_per_subject"] = true;
  }
  data::validate_data_options(data);
  auto loaded = data::load_data(data, 0);
  return bundle.standardizer.apply(models::conform_to_schema(loaded.dataset, bundle.schema));
}

// --model, --data, --format, --set, --threads. Returns the --data option; with
// `data_required` false (predict, which also takes --text) --format and --set need --data.
CLI::Option* add_model_data_options(CLI::App* cmd, ModelDataArgs& a, bool data_required = true) {
  cmd->add_option("--model,-m", a.model, "Model bundle folder (runs/<name>/folds/NN_<fold>/model or runs/<name>/model)")
      ->required();
  auto* data = cmd->add_option("--data", a.data, "Data path");
  auto* format = cmd->add_option("--format", a.format, "Data format (detected from the path when omitted)");
  auto* sets = cmd->add_option("--set", a.sets, "Override a data key: --set data.task=arousal");
  if (data_required) {
    data->required();
  } else {
    format->needs(data);
    sets->needs(data);
  }
  add_threads_option(cmd, a.threads);
  return data;
}

}  // namespace

void register_eval_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("eval", "Score a saved model on labelled data");
  auto a = std::make_shared<ModelDataArgs>();
  add_model_data_options(cmd, *a);
  cmd->add_option("--out", a->out, "Write the metrics as JSON here");
  cmd->add_option("--subjects", a->subjects,
                  "Subjects to score (default: the test subjects of the model's fold, recorded in the bundle; "
                  "'all': every row)")
      ->delimiter(',');
  cmd->callback([a] {
    start_runtime(a->threads);
    auto bundle = models::load_model_bundle(a->model);
    auto data = select_eval_rows(load_for_bundle(*a, bundle), bundle, a->subjects);
    auto predictions = bundle.estimator->predict(data);
    auto values = metrics::evaluate_predictions(predictions, data.targets(), data.hard_labels());
    std::cout << bundle.model_name << " on " << data.source() << " (" << data.size() << " samples):\n";
    print_metrics(values);
    if (!a->out.empty()) write_text_atomic(a->out, nlohmann::json(values).dump(2) + "\n");
  });
}

void register_predict_command(CLI::App& app) {
  auto* cmd =
      app.add_subcommand("predict", "Write a saved model's emotion distributions for new samples or utterances (CSV)");
  auto a = std::make_shared<ModelDataArgs>();
  auto text = std::make_shared<std::string>();
  auto context = std::make_shared<int>(-1);
  auto* data_opt = add_model_data_options(cmd, *a, /*data_required=*/false);
  auto* text_opt = cmd->add_option(
      "--text", *text, "Text file, one utterance per line (a model trained on tokens, e.g. LSGMER on MELD)");
  data_opt->excludes(text_opt);
  cmd->add_option(
         "--context-window", *context,
         "With --text: previous lines used as dialogue context (default: the training run's data.context_window)")
      ->check(CLI::NonNegativeNumber)
      ->needs(text_opt);
  cmd->add_option("--out,-o", a->out, "Output CSV")->required();
  cmd->callback([a, text, context] {
    if (a->data.empty() && text->empty()) throw OptionError("--data / --text", "give one of them");
    start_runtime(a->threads);
    if (!text->empty()) {
      models::lsgmer::TextPredictOptions options;
      options.context_window = *context;
      auto predictions = models::lsgmer::text_predict(a->model, *text, options);
      write_text_atomic(a->out, models::lsgmer::text_predictions_csv(predictions));
      std::cout << "wrote " << predictions.lines.size() << " predicted labels and distributions to " << a->out
                << " (context_window " << predictions.context_window << ", from " << predictions.context_source
                << ")\n";
      return;
    }
    auto bundle = models::load_model_bundle(a->model);
    auto data = load_for_bundle(*a, bundle);
    auto predictions = bundle.estimator->predict(data);
    write_text_atomic(a->out, train::predictions_csv(data, predictions, "predict", false));
    std::cout << "wrote " << data.size() << " predicted distributions to " << a->out << "\n";
  });
}

// ------------------------------------------------------------------------------------------ info
namespace {

// Samples per subject: every subject for small cohorts (or with `all`), else the count, the
// smallest, median and largest subjects and a pointer to --all-subjects.
void print_subject_sizes(const data::MultimodalDataset& d, bool all) {
  constexpr size_t kListedSubjects = 20;
  std::vector<std::pair<int64_t, std::string>> sizes;  // (samples, subject)
  for (auto s : d.unique_subjects()) sizes.emplace_back((d.subjects() == s).sum().item<int64_t>(), d.subject_name(s));
  if (all || sizes.size() <= kListedSubjects) {
    std::cout << "samples per subject:";
    for (const auto& [n, name] : sizes) std::cout << " " << name << "=" << n;
    std::cout << "\n";
    return;
  }
  auto sorted = sizes;
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
  const auto& median = sorted[sorted.size() / 2];
  std::cout << "samples per subject: " << sizes.size() << " subjects; fewest " << sorted.front().first << " ("
            << sorted.front().second << "), median " << median.first << ", most " << sorted.back().first << " ("
            << sorted.back().second << "); --all-subjects lists every one\n";
}

}  // namespace

void register_info_command(CLI::App& app) {
  auto* cmd =
      app.add_subcommand("info", "Describe a dataset (shapes, subjects, class balance) or list models or data formats");
  auto a = std::make_shared<TrainArgs>();
  auto list_models = std::make_shared<bool>(false);
  cmd->add_option("--config,-c", a->config, "Describe the data of this experiment config");
  cmd->add_option("--data", a->data, "Data path");
  cmd->add_option("--format", a->format, "Data format");
  cmd->add_option("--set", a->sets, "Override a config key");
  cmd->add_flag("--models", *list_models, "List the registered models");
  auto list_formats = std::make_shared<bool>(false);
  cmd->add_flag("--formats", *list_formats, "List the data formats (values of data.format / --format)");
  auto all_subjects = std::make_shared<bool>(false);
  cmd->add_flag("--all-subjects", *all_subjects, "List every subject's sample count (default: a summary beyond 20)");
  cmd->callback([a, list_models, list_formats, all_subjects] {
    if (*list_models) {
      for (const auto& m : models::model_registry())
        std::cout << std::left << std::setw(14) << m.name << m.summary << "\n";
      return;
    }
    if (*list_formats) {
      for (const auto& f : data::data_format_registry()) {
        std::cout << std::left << std::setw(16) << f.name << f.summary << "\n";
      }
      return;
    }
    auto config = resolve_config(*a);
    set_thread_count(config.threads);
    auto loaded = data::load_data(config.data, config.seed);
    const auto& d = loaded.dataset;
    std::cout << "source:   " << d.source() << "\nsamples:  " << d.size()
              << "\nsubjects: " << d.unique_subjects().size()
              << "\nclips:    " << std::get<0>(torch::_unique(d.clip_keys())).numel() << "\nmodalities:\n";
    for (const auto& m : d.modalities()) {
      std::cout << "  " << std::left << std::setw(10) << m.name << std::setw(15) << data::role_name(m.role) << "[";
      for (size_t i = 0; i < m.shape.size(); ++i) std::cout << (i ? " x " : "") << m.shape[i];
      std::cout << "]\n";
    }
    auto labels = d.hard_labels();
    auto counts = torch::bincount(labels, {}, d.num_classes());
    auto mean_dist = d.targets().mean(0);
    std::cout << "classes (argmax count, mean target probability):\n";
    for (int64_t c = 0; c < d.num_classes(); ++c) {
      std::cout << "  " << std::left << std::setw(14) << d.class_names()[c] << std::setw(7) << counts[c].item<int64_t>()
                << std::fixed << std::setprecision(3) << mean_dist[c].item<double>() << "\n";
    }
    print_subject_sizes(d, *all_subjects);
    if (loaded.ceiling) {
      std::cout << "ceiling (true distribution vs targets):\n";
      print_metrics(*loaded.ceiling);
    }
  });
}

// ------------------------------------------------------------------------------------------ demo / ablate
namespace {

// Runs each (name, overrides) variant of `base` on the same data and folds, each in its run folder
// <out_dir>/<name> (checked under `resume` / `overwrite` before any data loads); prints one table.
std::vector<train::ExperimentResult> run_variants(const YAML::Node& base,
                                                  const std::vector<std::pair<std::string, YAML::Node>>& variants,
                                                  const std::string& out_dir, bool quiet,
                                                  std::optional<std::map<std::string, double>>* ceiling,
                                                  bool resume = false, bool overwrite = false,
                                                  dist::Distributed* distributed = nullptr) {
  // Validate every variant before any work.
  std::vector<train::ExperimentConfig> configs;
  for (const auto& [name, overrides] : variants) {
    YAML::Node root = YAML::Clone(base);
    std::vector<std::string> assignments, notes;
    for (const auto& kv : overrides) assignments.push_back(kv.first.as<std::string>() + "=" + YAML::Dump(kv.second));
    train::apply_overrides(root, assignments, &notes);  // a variant may switch the model (its options restart)
    for (const auto& n : notes) std::cerr << "note: variant " << name << ": " << n << "\n";
    root["name"] = name;
    root["output"]["run_dir"] = (fs::path(out_dir) / name).string();
    configs.push_back(train::parse_experiment_config(root));
  }
  start_runtime(configs.front().threads);
  // Rank 0 (or the only process) checks every run folder first; in a distributed run the other
  // ranks wait for that, then work beneath <out_dir>/.rank<R> (see train::RunOptions::distributed).
  const bool main_rank = is_main_rank(distributed);
  std::vector<std::unique_ptr<train::RunFolder>> folders;
  check_run_folders_first(distributed, "variants", [&] {
    fs::create_directories(out_dir);
    for (const auto& c : configs) folders.push_back(std::make_unique<train::RunFolder>(c, resume, overwrite));
  });
  const std::string data_dir = main_rank ? out_dir : train::rank_work_dir(out_dir, distributed->rank());
  // Variants normally share the base's data; one that overrides a data key (data.select, say)
  // gets its own copy, loaded once per distinct data section. The ceiling is the base's.
  std::map<std::string, data::LoadedData> loaded_by_section;
  auto data_for = [&](const train::ExperimentConfig& c) -> const data::LoadedData& {
    const std::string key = YAML::Dump(c.data) + "\nseed " + std::to_string(c.seed);
    auto it = loaded_by_section.find(key);
    if (it == loaded_by_section.end()) {
      it = loaded_by_section.emplace(key, data::load_data(c.data, c.seed, data_dir)).first;
      const auto& d = it->second.dataset;
      std::cerr << "data: " << d.source() << ", " << d.size() << " samples, " << d.unique_subjects().size()
                << " subjects, " << d.num_modalities() << " modalities\n";
    }
    return it->second;
  };
  if (ceiling) *ceiling = data_for(configs.front()).ceiling;
  std::vector<train::ExperimentResult> results;
  for (size_t i = 0; i < configs.size(); ++i) {
    // Which model of how many runs now (its fold lines follow as each fold completes).
    std::cerr << "model " << i + 1 << "/" << configs.size() << ": " << configs[i].name << " (" << configs[i].model_name
              << ")\n";
    train::RunOptions run;
    run.quiet = quiet;
    run.resume = resume;
    run.overwrite = overwrite;
    run.folder = main_rank ? folders[i].get() : nullptr;
    run.ceiling = data_for(configs[i]).ceiling;
    run.distributed = distributed;
    results.push_back(train::run_experiment(configs[i], data_for(configs[i]).dataset, run));
  }
  if (!main_rank) fs::remove_all(data_dir);
  return results;
}

// Prints the comparison of `results` (the table with the floor and ceiling rows, then the paired
// statistics on the headline metric) and writes it to <out_dir>/summary.md, with the paired
// statistics of every metric in <out_dir>/comparison.json, and (html_report) <out_dir>/report.html.
void report_comparison(const std::vector<train::ExperimentResult>& results,
                       const std::optional<std::map<std::string, double>>& ceiling, const std::string& out_dir,
                       const std::string& title, bool html_report) {
  const std::string metric = results.front().headline_metric;
  std::cout << "\n"
            << title << "\n"
            << train::format_comparison(results, ceiling, all_metric_names(true), false) << "\n"
            << train::format_paired(results, metric, false);
  std::ostringstream md;
  md << "# " << title << "\n\n"
     << "Command: `" << command_line() << "` (commit " << build_commit() << ", " << results.front().threads
     << (results.front().threads == 1 ? " thread" : " threads") << ")\n\n"
     << train::format_comparison(results, ceiling, all_metric_names(true), true) << "\n"
     << train::format_paired(results, metric, true) << "\n"
     << "Each model's run folder holds its own summary.md (per-fold, per-class, confusion matrix).\n";
  write_text_atomic((fs::path(out_dir) / "summary.md").string(), md.str());
  nlohmann::json j;
  j["headline_metric"] = metric;
  j["models"] = nlohmann::json::array();
  for (const auto& r : results) j["models"].push_back({{"name", r.name}, {"run_dir", r.run_dir}});
  j["paired"] = train::paired_json(results);
  write_text_atomic((fs::path(out_dir) / "comparison.json").string(), j.dump(2) + "\n");
  if (html_report) {
    const auto path = (fs::path(out_dir) / "report.html").string();
    report::write_report({out_dir}, path);
    std::cout << "report (figures): " << path << "\n";
  }
}

}  // namespace

void register_demo_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("demo", "Synthesise a cohort, compare the models under LOSO against the ceiling");
  struct DemoArgs {
    int threads = 0;
    uint64_t seed = 0;
    std::string out = "runs/demo";
    bool quick = false, verbose = false, raw = false, no_report = false;
  };
  auto a = std::make_shared<DemoArgs>();
  add_threads_option(cmd, a->threads);
  cmd->add_option("--seed", a->seed, "Seed of the cohort, splits and training")->capture_default_str();
  cmd->add_option("--out", a->out, "Folder for the runs")->capture_default_str();
  cmd->add_flag("--quick", a->quick, "A tiny cohort and few epochs (a smoke test, not a result)");
  cmd->add_flag("--verbose", a->verbose, "Per-epoch lines");
  cmd->add_flag("--no-report", a->no_report, "Do not write report.html (figures) into the output folder");
  cmd->add_flag("--raw", a->raw,
                "Start from simulated raw signals (WESAD layout): raw -> features -> models, 4 conditions");
  cmd->callback([a] {
    YAML::Node base;
    base["seed"] = a->seed;
    base["threads"] = a->threads;
    if (a->raw) {
      set_thread_count(a->threads);
      auto dir = make_raw_demo_dataset((fs::path(a->out) / "raw_cohort").string(), a->quick ? 3 : 6,
                                       a->quick ? 40.0 : 90.0, a->seed);
      base["data"]["format"] = "csv";
      base["data"]["path"] = dir;
    } else {
      base["data"]["format"] = "synthetic";
      base["data"]["subjects"] = a->quick ? 4 : 8;
      base["data"]["clips"] = a->quick ? 8 : 16;
      base["data"]["seconds"] = a->quick ? 4 : 5;
    }
    base["protocol"]["name"] = "loso";
    base["protocol"]["max_folds"] = a->quick ? 2 : 0;
    base["training"]["epochs"] = a->quick ? 2 : 15;
    base["training"]["batch_size"] = 64;
    base["training"]["patience"] = 5;
    std::vector<std::pair<std::string, YAML::Node>> variants;
    for (const auto& name : std::vector<std::string>{"mlp_early", "late_fusion", "helo"}) {
      bool registered = false;
      for (const auto& m : models::model_registry()) registered |= m.name == name;
      if (!registered) continue;
      YAML::Node o;
      o["model.name"] = name;
      variants.emplace_back(name, o);
    }
    std::optional<std::map<std::string, double>> ceiling;
    // A demo reruns from scratch: its variant folders are replaced.
    auto results = run_variants(base, variants, a->out, !a->verbose, &ceiling, /*resume=*/false, /*overwrite=*/true);
    report_comparison(results, ceiling, a->out,
                      std::string(a->raw ? "Simulated raw WESAD-layout recordings -> window features"
                                         : "Synthetic DMER-shaped cohort") +
                          ", leave-one-subject-out (seed " + std::to_string(a->seed) + ")",
                      !a->no_report);
    std::cout << "runs and predictions under " << a->out << "\n";
  });
}

namespace {

// `base: configs/helo_wesad.yaml` in an ablation file: the experiment config at that path, taken
// relative to the ablation file's folder, else to the current directory (both are tried, in that
// order; the error names both).
YAML::Node load_base_config(const std::string& path, const std::string& ablation_file) {
  const fs::path given(path);
  std::vector<fs::path> tried;
  if (given.is_absolute()) {
    tried.push_back(given);
  } else {
    tried.push_back(fs::path(ablation_file).parent_path() / given);
    tried.push_back(given);
  }
  for (const auto& candidate : tried) {
    if (fs::is_regular_file(candidate)) return train::load_yaml_file(candidate.string());
  }
  std::string where;
  for (const auto& candidate : tried) where += (where.empty() ? "" : ", ") + candidate.string();
  throw OptionError("base", "no experiment config at '" + path + "' (tried " + where + "); give a path relative to " +
                                ablation_file +
                                "'s folder or to the current directory, "
                                "or the config itself as a map");
}

}  // namespace

void register_ablate_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "ablate", "Run a base config and its variants (an ablation file) under one protocol; print one table");
  auto file = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  auto sets = std::make_shared<std::vector<std::string>>();
  auto quiet = std::make_shared<bool>(false);
  auto only = std::make_shared<std::vector<std::string>>();
  auto resume = std::make_shared<bool>(false);
  auto overwrite = std::make_shared<bool>(false);
  auto no_report = std::make_shared<bool>(false);
  cmd->add_flag("--no-report", *no_report, "Do not write report.html (figures) into the output folder");
  auto* resume_flag =
      cmd->add_flag("--resume", *resume, "Continue an interrupted ablation (completed folds are read back)");
  cmd->add_flag("--overwrite", *overwrite, "Clear the variants' run folders (an earlier ablation) and start again")
      ->excludes(resume_flag);
  cmd->add_option("--variants", *only, "Run only these variants (by name)")->delimiter(',');
  cmd->add_option("--config,-c", *file,
                  "Ablation YAML: {base: <experiment config, or the path of one>, variants: [{name, set: {...}}]}")
      ->required();
  cmd->add_option("--set", *sets, "Override a key of the base config (repeatable)");
  cmd->add_option("--out", *out, "Folder for the runs (default runs/<ablation file name>)");
  cmd->add_flag("--quiet", *quiet, "No per-epoch lines");
  auto thread_count = std::make_shared<int>(0);
  auto* threads = cmd->add_option("--threads", *thread_count, "LibTorch threads (0 = all cores; overrides the base's)")
                      ->check(thread_count_range());
  auto distributed_args = std::make_shared<DistributedArgs>();
  add_distributed_options(cmd, *distributed_args);
  cmd->callback([file, out, sets, quiet, only, resume, overwrite, no_report, thread_count, threads, distributed_args] {
    auto root = train::load_yaml_file(*file);
    OptionReader r(root, "");
    auto base = r.node("base");
    auto variant_nodes = r.node("variants");
    r.finish();
    if (!base.IsDefined()) throw OptionError("base", "required: the experiment config the variants modify");
    if (base.IsScalar()) base = load_base_config(base.as<std::string>(), *file);
    if (threads->count() > 0) base["threads"] = *thread_count;
    if (!variant_nodes.IsDefined() || !variant_nodes.IsSequence() || variant_nodes.size() == 0) {
      throw OptionError("variants", "required: a list of {name, set: {key: value}}");
    }
    std::vector<std::string> notes;
    train::apply_overrides(base, *sets, &notes);
    for (const auto& n : notes) std::cerr << "note: " << n << "\n";
    std::vector<std::pair<std::string, YAML::Node>> variants;
    for (size_t i = 0; i < variant_nodes.size(); ++i) {
      OptionReader v(variant_nodes[i], "variants[" + std::to_string(i) + "]");
      auto name = v.get<std::string>("name", "");
      auto set = v.node("set");
      v.finish();
      if (name.empty()) throw OptionError(v.full("name"), "required");
      if (!only->empty() && std::find(only->begin(), only->end(), name) == only->end()) continue;
      variants.emplace_back(name, set.IsDefined() ? set : YAML::Node(YAML::NodeType::Map));
    }
    if (variants.empty()) throw OptionError("--variants", "no variant of " + *file + " has those names");
    const std::string dir = out->empty() ? "runs/" + fs::path(*file).stem().string() : *out;
    const auto distributed = join_distributed_run(*distributed_args);
    run_as_rank(distributed.get(), [&] {
      std::optional<std::map<std::string, double>> ceiling;
      auto results = run_variants(base, variants, dir, *quiet, &ceiling, *resume, *overwrite, distributed.get());
      if (!is_main_rank(distributed.get())) return report_rank_done(*distributed, dir);
      report_comparison(results, ceiling, dir, "Ablation " + *file, !*no_report);
      std::cout << "runs under " << dir << "\n";
    });
  });
}

// ------------------------------------------------------------------------------------------ report
void register_report_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "report", "Write one HTML page with figures for run folders (train, ablate, demo, ldl-bench); no network needed");
  auto folders = std::make_shared<std::vector<std::string>>();
  auto out = std::make_shared<std::string>();
  cmd->add_option("folders", *folders,
                  "Run folders (metrics.json), or folders of demo / ablate (comparison.json) or ldl-bench "
                  "(summary.json) runs")
      ->required();
  cmd->add_option("-o,--out", *out, "The HTML file to write (default: report.html in the first folder)");
  cmd->callback([folders, out] {
    const std::string path = out->empty() ? (fs::path(folders->front()) / "report.html").string() : *out;
    const auto parent = fs::path(path).parent_path();
    if (!parent.empty() && !fs::is_directory(parent)) {
      throw DataError(path, "", "its folder " + parent.string() + " does not exist");
    }
    report::write_report(*folders, path);
    std::cout << "report: " << path << "\n";
  });
}

}  // namespace emofuse::cli
