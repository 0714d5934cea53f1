#include "train/experiment.h"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/build_info.h"
#include "core/digest.h"
#include "core/error.h"
#include "core/io.h"
#include "core/runtime.h"
#include "dist/distributed.h"
#include "dist/folder_transfer.h"
#include "models/baselines/prior.h"
#include "models/registry.h"
#include "train/report.h"
#include "train/run_folder.h"

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace emofuse::train {
namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::string sanitize(const std::string& name) {
  std::string out;
  for (char c : name) out += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') ? c : '_';
  return out;
}

json outcome_to_json(const FoldOutcome& f) {
  return {{"fold", f.name},
          {"metrics", f.metrics},
          {"train_size", f.train_size},
          {"validation_size", f.validation_size},
          {"test_size", f.test_size},
          {"fit_seconds", f.fit_seconds},
          {"training_seconds", f.training_seconds},
          {"validation_seconds", f.validation_seconds},
          {"predict_seconds", f.predict_seconds},
          {"best_epoch", f.best_epoch},
          {"epochs_run", f.epochs_run},
          {"parameters", f.parameters},
          {"floor_metrics", f.floor_metrics},
          {"confusion", f.confusion},
          {"test_subjects", f.test_subjects},
          {"rank", f.rank}};
}

FoldOutcome fold_outcome_from_json(const json& j, const std::string& path, const std::string& advice);

// Reads a completed fold back; every problem names the file and the field.
FoldOutcome read_fold_outcome(const std::string& path) {
  json j;
  try {
    std::ifstream in(path);
    j = json::parse(in);
  } catch (const json::exception& e) {
    throw DataError(path, "",
                    std::string("not valid JSON (") + e.what() + "); delete this fold's folder to run the fold again");
  }
  return fold_outcome_from_json(j, path, "; delete this fold's folder to run the fold again");
}

// A fold's outcome from its JSON object `j` (a fold's metrics.json, or an entry of the run's
// "folds"); problems name `path`, the field, and end with `advice`.
FoldOutcome fold_outcome_from_json(const json& j, const std::string& path, const std::string& advice) {
  if (!j.is_object()) throw DataError(path, "", "expected a JSON object of fold metrics" + advice);
  FoldOutcome f;
  auto field = [&](const char* key, auto& value) {
    try {
      value = j.at(key).get<std::remove_reference_t<decltype(value)>>();
    } catch (const json::exception&) {
      throw DataError(path, std::string("field '") + key + "'",
                      std::string(j.contains(key) ? "wrong type" : "missing") + advice);
    }
  };
  field("fold", f.name);
  field("metrics", f.metrics);
  field("train_size", f.train_size);
  field("validation_size", f.validation_size);
  field("test_size", f.test_size);
  field("fit_seconds", f.fit_seconds);
  field("predict_seconds", f.predict_seconds);
  field("best_epoch", f.best_epoch);
  field("epochs_run", f.epochs_run);
  field("parameters", f.parameters);
  field("floor_metrics", f.floor_metrics);
  field("confusion", f.confusion);
  field("test_subjects", f.test_subjects);
  if (j.contains("rank")) field("rank", f.rank);  // absent in runs from before distributed runs: 0
  // Absent in runs from before the fit's time was broken down: 0.
  if (j.contains("training_seconds")) field("training_seconds", f.training_seconds);
  if (j.contains("validation_seconds")) field("validation_seconds", f.validation_seconds);
  return f;
}

std::vector<std::string> metric_order(const std::map<std::string, double>& metrics) {
  std::vector<std::string> names;
  for (const auto* list : {&metrics::distribution_metric_names(), &metrics::classification_metric_names()}) {
    for (const auto& n : *list) {
      if (metrics.count(n)) names.push_back(n);
    }
  }
  return names;
}

}  // namespace

std::string predictions_csv(const data::MultimodalDataset& data, const torch::Tensor& predictions,
                            const std::string& fold, bool with_targets) {
  std::ostringstream out;
  out << std::setprecision(9);  // a float32 reads back exactly
  out << "fold,row,subject,trial,predicted";
  if (with_targets) out << ",true_label";
  for (const auto& c : data.class_names()) out << ",p_" << csv_escape(c);
  if (with_targets) {
    for (const auto& c : data.class_names()) out << ",t_" << csv_escape(c);
  }
  out << "\n";
  auto pred = predictions.to(torch::kDouble).contiguous();
  auto p = pred.accessor<double, 2>();
  auto targets = data.targets().to(torch::kDouble).contiguous();
  auto t = targets.accessor<double, 2>();
  auto labels = data.hard_labels();
  auto argmax = pred.argmax(1);
  for (int64_t i = 0; i < data.size(); ++i) {
    out << csv_escape(fold) << "," << i << "," << csv_escape(data.subject_name(data.subjects()[i].item<int64_t>()))
        << "," << data.trials()[i].item<int64_t>() << "," << csv_escape(data.class_names()[argmax[i].item<int64_t>()]);
    if (with_targets) out << "," << csv_escape(data.class_names()[labels[i].item<int64_t>()]);
    for (int64_t c = 0; c < pred.size(1); ++c) out << "," << p[i][c];
    if (with_targets) {
      for (int64_t c = 0; c < pred.size(1); ++c) out << "," << t[i][c];
    }
    out << "\n";
  }
  return out.str();
}

namespace {

// What the report says about the data: source, sizes, class names and balance.
DataDescription describe_data(const data::MultimodalDataset& dataset) {
  DataDescription d;
  d.source = dataset.source();
  d.samples = dataset.size();
  d.subjects = static_cast<int64_t>(dataset.unique_subjects().size());
  d.class_names = dataset.class_names();
  auto counts = torch::bincount(dataset.hard_labels(), {}, dataset.num_classes());
  for (int64_t c = 0; c < dataset.num_classes(); ++c) d.class_counts.push_back(counts[c].item<int64_t>());
  d.one_hot_targets = headline_metric(dataset) == "accuracy";
  return d;
}

std::string protocol_details(const protocol::ProtocolOptions& p) {
  std::ostringstream s;
  s << p.name;
  const auto kind = protocol::protocol_from_name(p.name);
  const bool takes_k = kind == protocol::ProtocolKind::kSubjectKFold ||
                       kind == protocol::ProtocolKind::kSubjectDependent ||
                       kind == protocol::ProtocolKind::kRandomLeaky || kind == protocol::ProtocolKind::kKFold;
  if (takes_k) s << ", k = " << p.folds;
  s << ", validation_fraction " << p.validation_fraction;
  if (p.max_folds > 0) s << ", only the first " << p.max_folds << " folds";
  return s.str();
}

// The floor on one fold: the prior (mean training distribution) scored on the fold's test rows.
std::map<std::string, double> floor_metrics(const data::MultimodalDataset& train, const data::MultimodalDataset& test) {
  models::PriorEstimator prior(train.schema());
  prior.fit(train, data::MultimodalDataset(), models::FitContext());
  return metrics::evaluate_predictions(prior.predict(test), test.targets(), test.hard_labels());
}

std::vector<std::vector<int64_t>> confusion_rows(const torch::Tensor& predictions,
                                                 const data::MultimodalDataset& test) {
  const auto report = metrics::classification_report(predictions.argmax(1), test.hard_labels(), test.num_classes());
  auto a = report.confusion.accessor<int64_t, 2>();
  std::vector<std::vector<int64_t>> rows(test.num_classes(), std::vector<int64_t>(test.num_classes()));
  for (int64_t t = 0; t < test.num_classes(); ++t) {
    for (int64_t p = 0; p < test.num_classes(); ++p) rows[t][p] = a[t][p];
  }
  return rows;
}

std::vector<std::string> subject_names_of(const data::MultimodalDataset& data) {
  std::vector<std::string> names;
  for (auto id : data.unique_subjects()) names.push_back(data.subject_name(id));
  std::sort(names.begin(), names.end());
  return names;
}

// Appends a fold's predictions CSV to the run's, keeping one header line.
void append_predictions(std::string& all, const std::string& fold_csv) {
  all += all.empty() ? fold_csv : fold_csv.substr(fold_csv.find('\n') + 1);
}

bool per_subject_normalized(const ExperimentConfig& config) {
  return config.data["normalize_per_subject"] && config.data["normalize_per_subject"].as<bool>(false);
}

// One fold's rows, standardised with the training rows' statistics only.
struct StandardizedFold {
  data::Standardizer standardizer;
  data::MultimodalDataset train, validation, test;
};

StandardizedFold standardize_fold(const data::MultimodalDataset& dataset, const protocol::Fold& fold) {
  StandardizedFold s;
  auto train_raw = dataset.subset(fold.train);
  s.standardizer.fit(train_raw);
  s.train = s.standardizer.apply(train_raw);
  s.validation = s.standardizer.apply(dataset.subset(fold.validation));
  s.test = s.standardizer.apply(dataset.subset(fold.test));
  return s;
}

// Where a fold's files go and how its progress lines name it.
struct FoldPlace {
  fs::path dir;       // <run_dir>/folds/NN_<name>
  std::string label;  // "<name> fold 3/12 (S07)"
};

FoldPlace fold_place(const ExperimentConfig& config, const std::vector<protocol::Fold>& folds, size_t index) {
  char prefix[32];
  std::snprintf(prefix, sizeof(prefix), "%02zu_", index + 1);
  return {fs::path(config.run_dir) / "folds" / (prefix + sanitize(folds[index].name)),
          config.name + " fold " + std::to_string(index + 1) + "/" + std::to_string(folds.size()) + " (" +
              folds[index].name + ")"};
}

models::FitContext fold_fit_context(const ExperimentConfig& config, const protocol::Fold& fold, size_t index,
                                    const FoldPlace& place, const models::TrainerOptions& trainer_options,
                                    const RunOptions& options, const models::FitContext::RunProgress& progress) {
  models::FitContext context;
  context.run_progress = progress;
  context.trainer = &trainer_options;
  context.checkpoint_dir = place.dir.string();
  context.fold_name = place.label;
  context.seed = mix_seed(config.seed, index + 1);
  if (config.training.data_parallel()) context.data_parallel = options.distributed;
  if (options.on_epoch_end || options.distributed) {
    context.on_epoch_end = [&options, &fold](const models::EpochRecord& record) {
      // A failed or silent rank stops this one at the next epoch, not after its folds.
      if (options.distributed) options.distributed->check_peers();
      if (options.on_epoch_end) options.on_epoch_end(fold.name, record);
    };
  }
  return context;
}

// The selected and the run epochs, and where the fit's time went, of a model trained by epochs.
void record_fit_breakdown(const models::Estimator& estimator, FoldOutcome& outcome) {
  if (const auto* deep = dynamic_cast<const models::DeepEstimator*>(&estimator)) {
    outcome.best_epoch = deep->best_epoch() + 1;
    outcome.epochs_run = deep->epochs_run();
    outcome.training_seconds = deep->training_seconds();
    outcome.validation_seconds = deep->validation_seconds();
  }
}

// Fits the fold's model and scores its test rows (and the floor on them); returns the test
// predictions [N_test, C] and fills `outcome`.
torch::Tensor fit_and_evaluate(models::Estimator& estimator, const StandardizedFold& rows,
                               const models::FitContext& context, FoldOutcome& outcome) {
  outcome.train_size = rows.train.size();
  outcome.validation_size = rows.validation.size();
  outcome.test_size = rows.test.size();
  outcome.test_subjects = subject_names_of(rows.test);

  auto start = std::chrono::steady_clock::now();
  estimator.fit(rows.train, rows.validation, context);
  outcome.fit_seconds = seconds_since(start);
  record_fit_breakdown(estimator, outcome);
  start = std::chrono::steady_clock::now();
  auto predictions = estimator.predict(rows.test);
  outcome.predict_seconds = seconds_since(start);
  outcome.metrics = metrics::evaluate_predictions(predictions, rows.test.targets(), rows.test.hard_labels());
  outcome.floor_metrics = floor_metrics(rows.train, rows.test);
  outcome.confusion = confusion_rows(predictions, rows.test);
  outcome.parameters = estimator.parameter_count();
  return predictions;
}

// <fold_dir>/model_views.json: the matrices the fitted model shows on the first test sample
// (Estimator::inspect; e.g. HeLo's label correlation, label similarity and transport plan), for
// the report. Nothing is written for a model that shows none.
void write_model_views(models::Estimator& estimator, const data::MultimodalDataset& test, const FoldPlace& place) {
  if (test.size() == 0) return;
  const auto sample = test.subset(torch::zeros({1}, torch::kInt64));
  const auto views = estimator.inspect(sample);
  if (views.empty()) return;
  json j;
  j["sample"] = {{"subject", subject_names_of(sample).front()}, {"trial", sample.trials()[0].item<int64_t>()}};
  for (const auto& [name, matrix] : views) {
    auto m = matrix.to(torch::kFloat64).contiguous();
    std::vector<std::vector<double>> rows;
    for (int64_t r = 0; r < m.size(0); ++r)
      rows.emplace_back(m[r].data_ptr<double>(), m[r].data_ptr<double>() + m.size(1));
    j["matrices"][name] = rows;
  }
  write_text_atomic((place.dir / "model_views.json").string(), j.dump() + "\n");
}

// Files that travel with every model bundle of the run: the tokenizer the loader learned (MELD),
// for `emofuse predict`, and the feature pipeline of a features folder that `emofuse features
// --causal` wrote (feature_pipeline.yaml beside its dataset.yaml), for `emofuse stream`.
std::vector<std::string> bundle_extra_files(const ExperimentConfig& config) {
  std::vector<std::string> extra;
  const fs::path tokenizer = fs::path(config.run_dir) / "tokenizer.model";
  if (fs::exists(tokenizer)) extra.push_back(tokenizer.string());
  const bool csv = !config.data["format"] || config.data["format"].as<std::string>() == "csv";
  if (csv && config.data["path"]) {
    const fs::path path(config.data["path"].as<std::string>());
    const fs::path folder = fs::is_directory(path) ? path : path.parent_path();
    const fs::path pipeline = folder / "feature_pipeline.yaml";
    if (fs::exists(pipeline)) extra.push_back(pipeline.string());
  }
  return extra;
}

// Saves the fold's model as <fold_dir>/model, with the run's bundle_extra_files.
void save_fold_model(const ExperimentConfig& config, const data::MultimodalDataset& dataset,
                     const StandardizedFold& rows, const models::Estimator& estimator, const FoldOutcome& outcome,
                     const FoldPlace& place) {
  const std::vector<std::string> extra = bundle_extra_files(config);
  models::BundleProvenance provenance{outcome.name, outcome.test_subjects, per_subject_normalized(config)};
  models::save_model_bundle((place.dir / "model").string(), config.model_name, config.model_options, dataset.schema(),
                            rows.standardizer, estimator, extra, provenance);
}

// The fold's predictions.csv and metrics.json (which marks the fold complete); the per-epoch
// checkpoint, only needed to resume an unfinished fold, is removed.
void write_fold_outputs(const FoldOutcome& outcome, const std::string& predictions_csv_text, const FoldPlace& place) {
  write_text_atomic((place.dir / "predictions.csv").string(), predictions_csv_text);
  write_text_atomic((place.dir / "metrics.json").string(), outcome_to_json(outcome).dump(2) + "\n");
  fs::remove(place.dir / "checkpoint.pt");
}

// One line per fold, also when quiet (quiet silences the per-epoch lines only).
void print_fold_line(const FoldOutcome& outcome, const FoldPlace& place) {
  std::cerr << place.label << ": chebyshev " << std::setprecision(4) << outcome.metrics.at("chebyshev") << " kl "
            << outcome.metrics.at("kl") << " accuracy " << outcome.metrics.at("accuracy") << " (floor "
            << outcome.floor_metrics.at("accuracy") << "; " << std::setprecision(3) << outcome.fit_seconds << " s)\n";
}

// Runs one fold: standardise on the training rows, fit, predict and score the test rows (and the
// floor), save the bundle, write the fold's predictions and metrics.json (which marks it complete).
FoldOutcome run_fold(const ExperimentConfig& config, const models::ModelEntry& entry,
                     const data::MultimodalDataset& dataset, const protocol::Fold& fold, size_t index,
                     const FoldPlace& place, const models::TrainerOptions& trainer_options, const RunOptions& options,
                     const models::FitContext::RunProgress& progress, std::string& fold_predictions) {
  fs::create_directories(place.dir);
  const StandardizedFold rows = standardize_fold(dataset, fold);
  auto estimator = entry.build(dataset.schema(), config.model_options);
  FoldOutcome outcome;
  outcome.name = fold.name;
  const auto predictions = fit_and_evaluate(
      *estimator, rows, fold_fit_context(config, fold, index, place, trainer_options, options, progress), outcome);
  write_model_views(*estimator, rows.test, place);
  if (config.save_models) save_fold_model(config, dataset, rows, *estimator, outcome, place);
  outcome.rank = options.distributed ? options.distributed->rank() : 0;
  fold_predictions = predictions_csv(rows.test, predictions, fold.name, true);
  write_fold_outputs(outcome, fold_predictions, place);
  print_fold_line(outcome, place);
  return outcome;
}

// A complete fold's folder read back: its metrics.json and predictions.csv.
FoldOutcome read_fold_folder(const FoldPlace& place, std::string& fold_predictions) {
  const auto metrics_path = place.dir / "metrics.json";
  auto outcome = read_fold_outcome(metrics_path.string());
  fold_predictions = read_file((place.dir / "predictions.csv").string());
  return outcome;
}

// With `resume`, a fold whose metrics.json and predictions.csv exist is read back instead of rerun.
std::optional<FoldOutcome> read_completed_fold(const FoldPlace& place, const RunOptions& options,
                                               std::string& fold_predictions) {
  const auto metrics_path = place.dir / "metrics.json";
  if (!options.resume || !fs::exists(metrics_path) || !fs::exists(place.dir / "predictions.csv")) return std::nullopt;
  auto outcome = read_fold_folder(place, fold_predictions);
  std::cerr << place.label << ": complete, read from " << metrics_path.string() << "\n";
  return outcome;
}

// After the folds: fits on all the data and saves <run_dir>/model (output.final_model).
// Returns the fit's name, sizes and time (FoldOutcome's fit fields; no test rows, no metrics).
FoldOutcome fit_final_model(const ExperimentConfig& config, const models::ModelEntry& entry,
                            const data::MultimodalDataset& dataset, const models::TrainerOptions& trainer_options) {
  auto split = protocol::make_final_split(dataset, config.protocol);
  data::Standardizer standardizer;
  auto train_raw = dataset.subset(split.train);
  standardizer.fit(train_raw);
  auto estimator = entry.build(dataset.schema(), config.model_options);
  models::FitContext context;
  context.trainer = &trainer_options;
  context.fold_name = config.name + " final model";
  context.seed = mix_seed(config.seed, 0);
  FoldOutcome fit;
  fit.name = "final model";
  fit.train_size = split.train.numel();
  fit.validation_size = split.validation.numel();
  const auto start = std::chrono::steady_clock::now();
  estimator->fit(standardizer.apply(train_raw), standardizer.apply(dataset.subset(split.validation)), context);
  fit.fit_seconds = seconds_since(start);
  record_fit_breakdown(*estimator, fit);
  fit.parameters = estimator->parameter_count();
  models::save_model_bundle((fs::path(config.run_dir) / "model").string(), config.model_name, config.model_options,
                            dataset.schema(), standardizer, *estimator, bundle_extra_files(config),
                            models::BundleProvenance{"final (all data)", {}, per_subject_normalized(config)});
  return fit;
}

// The run's metrics.json: what ran, every fold, the summaries, paired statistics, per-class
// scores and the pooled confusion matrix.
json run_metrics_json(const ExperimentResult& result) {
  json j;
  j["name"] = result.name;
  j["model"] = result.model_name;
  j["protocol"] = result.protocol;
  j["protocol_details"] = result.protocol_details;
  j["leaky"] = result.leaky;
  j["parameters"] = result.parameters;
  j["headline_metric"] = result.headline_metric;
  j["data"] = {{"source", result.data.source},
               {"samples", result.data.samples},
               {"subjects", result.data.subjects},
               {"classes", result.data.class_names},
               {"class_counts", result.data.class_counts},
               {"one_hot_targets", result.data.one_hot_targets}};
  j["command_line"] = result.command_line;
  j["commit"] = result.commit;
  j["threads"] = result.threads;
  j["world_size"] = result.world_size;
  j["seconds"] = result.seconds;
  for (const auto& f : result.folds) j["folds"].push_back(outcome_to_json(f));
  if (const auto& fit = result.final_model_fit) {
    j["final_model"] = {{"train_size", fit->train_size},
                        {"validation_size", fit->validation_size},
                        {"fit_seconds", fit->fit_seconds},
                        {"training_seconds", fit->training_seconds},
                        {"validation_seconds", fit->validation_seconds},
                        {"best_epoch", fit->best_epoch},
                        {"epochs_run", fit->epochs_run}};
  }
  for (const auto& [name, s] : result.summary)
    j["summary"][name] = {{"mean", s.mean}, {"std", s.std}, {"folds", s.count}};
  for (const auto& [name, s] : result.floor_summary)
    j["floor"][name] = {{"mean", s.mean}, {"std", s.std}, {"folds", s.count}};
  j["paired"] = paired_json({result});
  if (!result.folds.empty()) {
    j["per_class"] = per_class_json(result);
    auto cm = pooled_confusion(result);
    std::vector<std::vector<int64_t>> rows;
    for (int64_t t = 0; t < cm.size(0); ++t)
      rows.emplace_back(cm[t].data_ptr<int64_t>(), cm[t].data_ptr<int64_t>() + cm.size(1));
    j["confusion"] = {{"classes", result.data.class_names}, {"counts", rows}};
  }
  return j;
}

// The run's metrics.csv: one row per fold, then the mean and std rows.
std::string run_metrics_csv(const ExperimentResult& result) {
  const auto names = result.folds.empty() ? std::vector<std::string>{} : metric_order(result.folds.front().metrics);
  std::ostringstream csv;
  csv << std::setprecision(6) << "fold";
  for (const auto& n : names) csv << "," << n;
  csv << ",floor_" << result.headline_metric << ",fit_seconds,predict_seconds,best_epoch\n";
  for (const auto& f : result.folds) {
    csv << csv_escape(f.name);
    for (const auto& n : names) csv << "," << f.metrics.at(n);
    csv << "," << f.floor_metrics.at(result.headline_metric) << "," << f.fit_seconds << "," << f.predict_seconds << ","
        << f.best_epoch << "\n";
  }
  for (const char* stat : {"mean", "std"}) {
    csv << stat;
    for (const auto& n : names) {
      csv << "," << (std::string(stat) == "mean" ? result.summary.at(n).mean : result.summary.at(n).std);
    }
    const auto& floor = result.floor_summary.at(result.headline_metric);
    csv << "," << (std::string(stat) == "mean" ? floor.mean : floor.std) << ",,,\n";
  }
  return csv.str();
}

// metrics.json, metrics.csv, confusion.csv, predictions.csv and summary.md of a finished run.
void write_run_outputs(const ExperimentResult& result, const std::string& all_predictions,
                       const std::optional<std::map<std::string, double>>& ceiling) {
  const fs::path run(result.run_dir);
  write_text_atomic((run / "metrics.json").string(), run_metrics_json(result).dump(2) + "\n");
  write_text_atomic((run / "metrics.csv").string(), run_metrics_csv(result));
  if (!result.folds.empty()) write_text_atomic((run / "confusion.csv").string(), confusion_csv(result));
  write_text_atomic((run / "predictions.csv").string(), all_predictions);
  write_text_atomic((run / "summary.md").string(), run_summary_markdown(result, ceiling));
}

// The run folder, checked before anything is written (a caller that loads data checks it first
// and passes it in options.folder), bound to the data, with the resolved config.yaml written.
RunFolder& prepare_run_folder(const ExperimentConfig& config, const data::MultimodalDataset& dataset,
                              const RunOptions& options, std::optional<RunFolder>& own_folder) {
  RunFolder* folder = options.folder;
  if (!folder) folder = &own_folder.emplace(config, options.resume, options.overwrite);
  folder->bind_data(config.data, dataset);
  const fs::path run(config.run_dir);
  fs::create_directories(run / "folds");
  std::ostringstream y;
  y << config.to_yaml() << "\n";
  write_text_atomic((run / "config.yaml").string(), y.str());
  return *folder;
}

// What the run is, before any fold: names, protocol, data, threads, command line and commit.
// Warns on stderr when the protocol is leaky.
ExperimentResult describe_run(const ExperimentConfig& config, const data::MultimodalDataset& dataset) {
  ExperimentResult result;
  result.name = config.name;
  result.model_name = config.model_name;
  result.protocol = config.protocol.name;
  result.protocol_details = protocol_details(config.protocol);
  result.leaky = protocol::is_leaky(protocol::protocol_from_name(config.protocol.name));
  result.run_dir = config.run_dir;
  result.data = describe_data(dataset);
  result.headline_metric = headline_metric(dataset);
  result.threads = torch::get_num_threads();
  result.command_line = command_line();
  result.commit = build_commit();
  if (result.leaky) {
    std::cerr << "WARNING: protocol " << config.protocol.name
              << " splits one-second windows of the same clip across train and "
                 "test; its scores are inflated (LEAKY) and not comparable with subject-independent results.\n";
  }
  return result;
}

// The configured training options with the run's resume and quiet settings.
models::TrainerOptions run_trainer_options(const ExperimentConfig& config, const RunOptions& options) {
  models::TrainerOptions trainer_options = config.training;
  trainer_options.resume(options.resume);
  if (options.quiet) trainer_options.progress(false);
  return trainer_options;
}

// Mean and std over folds of the model's and of the floor's metrics.
void summarize_folds(ExperimentResult& result) {
  std::vector<std::map<std::string, double>> fold_metrics, fold_floors;
  for (const auto& f : result.folds) {
    fold_metrics.push_back(f.metrics);
    fold_floors.push_back(f.floor_metrics);
  }
  result.summary = metrics::summarize(fold_metrics);
  result.floor_summary = metrics::summarize(fold_floors);
}

// A run's result from its metrics.json object `j`; problems name `path` and the field.
ExperimentResult experiment_result_from_json(const json& j, const std::string& path, const std::string& run_dir) {
  if (!j.is_object()) throw DataError(path, "", "expected a JSON object (a run's metrics.json)");
  auto field = [&](const json& parent, const std::string& key, auto& value, const std::string& where) {
    try {
      value = parent.at(key).get<std::remove_reference_t<decltype(value)>>();
    } catch (const json::exception&) {
      throw DataError(path, "field '" + where + key + "'", parent.contains(key) ? "wrong type" : "missing");
    }
  };
  ExperimentResult r;
  r.run_dir = run_dir;
  field(j, "name", r.name, "");
  field(j, "model", r.model_name, "");
  field(j, "protocol", r.protocol, "");
  field(j, "protocol_details", r.protocol_details, "");
  field(j, "leaky", r.leaky, "");
  field(j, "parameters", r.parameters, "");
  field(j, "headline_metric", r.headline_metric, "");
  field(j, "command_line", r.command_line, "");
  field(j, "commit", r.commit, "");
  field(j, "threads", r.threads, "");
  if (j.contains("world_size")) field(j, "world_size", r.world_size, "");  // absent before distributed runs: 1
  field(j, "seconds", r.seconds, "");
  json data;
  field(j, "data", data, "");
  field(data, "source", r.data.source, "data.");
  field(data, "samples", r.data.samples, "data.");
  field(data, "subjects", r.data.subjects, "data.");
  field(data, "classes", r.data.class_names, "data.");
  field(data, "class_counts", r.data.class_counts, "data.");
  field(data, "one_hot_targets", r.data.one_hot_targets, "data.");
  json folds = json::array();
  if (j.contains("folds")) field(j, "folds", folds, "");
  for (size_t i = 0; i < folds.size(); ++i) {
    r.folds.push_back(fold_outcome_from_json(folds[i], path + " (folds[" + std::to_string(i) + "])", ""));
  }
  summarize_folds(r);
  return r;
}

json parse_json_text(const std::string& text, const std::string& path) {
  try {
    return json::parse(text);
  } catch (const json::exception& e) {
    throw DataError(path, "", std::string("not valid JSON (") + e.what() + ")");
  }
}

}  // namespace

ExperimentResult read_experiment_result(const std::string& run_dir) {
  const std::string path = (fs::path(run_dir) / "metrics.json").string();
  if (!fs::exists(path)) {
    throw DataError(path, "", "missing: not a finished run folder (run_experiment writes it after the last fold)");
  }
  return experiment_result_from_json(parse_json_text(read_file(path), path), path, run_dir);
}

std::string rank_work_dir(const std::string& run_dir, int rank) {
  return (fs::path(run_dir) / (".rank" + std::to_string(rank))).string();
}

namespace {

// What the ranks of a distributed run say to each other about one experiment, under the key
// prefix "run<N>/" (N counts run_experiment calls, the same on every rank):
//   complete    rank 0 -> all: the folds read back from the run folder (--resume), as a JSON array
//   fold/<f>    rank R -> 0:   fold f's folder (dist/folder_transfer.h) once it is complete
//   result      rank 0 -> all: the run's metrics.json
//
// With training.data_parallel, every rank takes part in every fold instead (each fit is shared,
// models/trainer.h) and rank 0 has every fold's folder itself: no fold/<f> is sent.
struct RunChannel {
  dist::Distributed* distributed = nullptr;
  std::string prefix;
  bool data_parallel = false;

  int rank() const { return distributed ? distributed->rank() : 0; }
  int world_size() const { return distributed ? distributed->world_size() : 1; }
  bool is_main() const { return rank() == 0; }
  bool runs_here(size_t fold) const { return data_parallel || int(fold % size_t(world_size())) == rank(); }
  bool sends_folds() const { return distributed && !data_parallel && !is_main(); }
  std::string fold_key(size_t fold) const { return prefix + "fold/" + std::to_string(fold); }
};

// Rank 0: writes the folder that fold `f` sent into its place and reads it back like a resumed fold.
FoldOutcome accept_fold(RunChannel& channel, const std::string& packed, const FoldPlace& place, size_t f,
                        std::string& fold_predictions) {
  dist::unpack_folder(packed, place.dir.string(),
                      place.label + " from rank " + std::to_string(f % size_t(channel.world_size())));
  channel.distributed->remove(channel.fold_key(f));
  auto outcome = read_fold_folder(place, fold_predictions);
  std::cerr << place.label << ": complete on rank " << outcome.rank << ", written to " << place.dir.string() << "\n";
  return outcome;
}

}  // namespace

ExperimentResult run_experiment(const ExperimentConfig& config_in, const data::MultimodalDataset& dataset,
                                const RunOptions& options) {
  const auto run_start = std::chrono::steady_clock::now();
  const auto& entry = models::find_model(config_in.model_name);
  const auto folds = protocol::make_folds(dataset, config_in.protocol);
  RunChannel channel{options.distributed && options.distributed->enabled() ? options.distributed : nullptr, "",
                     config_in.training.data_parallel()};
  if (channel.distributed) channel.prefix = "run" + std::to_string(channel.distributed->next_sequence()) + "/";

  // Rank 0 owns the run folder; another rank works in its own folder (<run_dir>/.rank<R>).
  ExperimentConfig config = config_in;
  std::optional<RunFolder> own_folder;
  RunFolder* folder = nullptr;
  if (channel.is_main()) {
    folder = &prepare_run_folder(config, dataset, options, own_folder);
  } else {
    config.run_dir = rank_work_dir(config_in.run_dir, channel.rank());
  }
  ExperimentResult result = describe_run(config, dataset);
  result.run_dir = config_in.run_dir;
  result.world_size = channel.world_size();
  const models::TrainerOptions trainer_options = run_trainer_options(config, options);

  std::vector<std::optional<FoldOutcome>> outcomes(folds.size());
  std::vector<std::string> fold_predictions(folds.size());
  size_t folds_read_back = 0;
  std::vector<size_t> complete;
  if (channel.is_main()) {
    for (size_t f = 0; f < folds.size(); ++f) {
      outcomes[f] = read_completed_fold(fold_place(config, folds, f), options, fold_predictions[f]);
      if (outcomes[f]) complete.push_back(f);
    }
    if (channel.distributed) channel.distributed->publish(channel.prefix + "complete", json(complete).dump());
  } else {
    // Rank 0 has checked (and with --overwrite cleared) the run folder: only now may this rank
    // write beneath it (a shared file system). Without --resume, nothing of an earlier run is kept.
    complete = json::parse(channel.distributed->receive(channel.prefix + "complete")).get<std::vector<size_t>>();
    if (!options.resume) fs::remove_all(fs::path(config.run_dir) / "folds");
    fs::create_directories(fs::path(config.run_dir) / "folds");
  }
  folds_read_back = complete.size();
  auto is_complete = [&](size_t f) { return std::find(complete.begin(), complete.end(), f) != complete.end(); };
  // Rank 0 writes folds that other ranks have finished as they arrive, so that they are on its
  // disk (and count for --resume) even when a later fold fails.
  auto accept_arrived_folds = [&] {
    if (!channel.distributed || !channel.is_main() || channel.data_parallel) return;
    for (size_t f = 0; f < folds.size(); ++f) {
      if (!outcomes[f] && !channel.runs_here(f) && channel.distributed->has(channel.fold_key(f))) {
        outcomes[f] = accept_fold(channel, channel.distributed->receive(channel.fold_key(f)),
                                  fold_place(config, folds, f), f, fold_predictions[f]);
      }
    }
  };

  const double fold_count = double(folds.size());
  for (size_t f = 0; f < folds.size(); ++f) {
    if (is_complete(f) || !channel.runs_here(f)) continue;
    if (channel.distributed) channel.distributed->check_peers();
    const FoldPlace place = fold_place(config, folds, f);
    const models::FitContext::RunProgress progress{double(f) / fold_count, 1.0 / fold_count,
                                                   double(folds_read_back) / fold_count, run_start};
    outcomes[f] =
        run_fold(config, entry, dataset, folds[f], f, place, trainer_options, options, progress, fold_predictions[f]);
    if (channel.sends_folds()) channel.distributed->publish(channel.fold_key(f), dist::pack_folder(place.dir.string()));
    if (!channel.is_main()) fs::remove_all(place.dir);
    accept_arrived_folds();
  }

  if (!channel.is_main()) {
    // Every fold of this rank is with rank 0; the run's result comes back from it.
    const std::string metrics_text = channel.distributed->receive(channel.prefix + "result");
    fs::remove_all(config.run_dir);
    ExperimentResult gathered = experiment_result_from_json(parse_json_text(metrics_text, "metrics.json from rank 0"),
                                                            "metrics.json from rank 0", config_in.run_dir);
    return gathered;
  }

  for (size_t f = 0; f < folds.size(); ++f) {
    if (!outcomes[f]) {
      outcomes[f] = accept_fold(channel, channel.distributed->receive(channel.fold_key(f)),
                                fold_place(config, folds, f), f, fold_predictions[f]);
    }
  }
  std::string all_predictions;
  for (size_t f = 0; f < folds.size(); ++f) {
    result.folds.push_back(*outcomes[f]);
    result.parameters = outcomes[f]->parameters;
    append_predictions(all_predictions, fold_predictions[f]);
  }
  summarize_folds(result);
  if (config.final_model) result.final_model_fit = fit_final_model(config, entry, dataset, trainer_options);
  result.seconds = seconds_since(run_start);
  write_run_outputs(result, all_predictions, options.ceiling);
  folder->finish();
  if (channel.distributed) channel.distributed->publish(channel.prefix + "result", run_metrics_json(result).dump());
  return result;
}

}  // namespace emofuse::train
