#include "train/experiment.h"

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/digest.h"
#include "core/error.h"
#include "core/io.h"
#include "core/runtime.h"
#include "models/registry.h"
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

// Test hook for the kill -9 tests (tests/train/test_run_folder.cpp): EMOFUSE_KILL_AT=<point>:<n>
// makes the process SIGKILL itself the n-th time it reaches `point`, at an exact place that no
// outside poll hits reliably (a bundle takes milliseconds to write). Unset, it does nothing.
void kill_point(const char* point) {
  static const std::string spec = [] {
    const char* v = std::getenv("EMOFUSE_KILL_AT");
    return std::string(v ? v : "");
  }();
  if (spec.empty()) return;
  static int hits = 0;
  const auto colon = spec.find(':');
  if (spec.substr(0, colon) != point) return;
  const int n = colon == std::string::npos ? 1 : std::atoi(spec.c_str() + colon + 1);
  if (++hits == n) std::raise(SIGKILL);
}

json outcome_to_json(const FoldOutcome& f) {
  return {{"fold", f.name},           {"metrics", f.metrics},         {"train_size", f.train_size},
          {"validation_size", f.validation_size}, {"test_size", f.test_size}, {"fit_seconds", f.fit_seconds},
          {"predict_seconds", f.predict_seconds}, {"best_epoch", f.best_epoch}, {"epochs_run", f.epochs_run},
          {"parameters", f.parameters}};
}

// Reads a completed fold back; every problem names the file and the field.
FoldOutcome read_fold_outcome(const std::string& path) {
  json j;
  try {
    std::ifstream in(path);
    j = json::parse(in);
  } catch (const json::exception& e) {
    throw DataError(path, "", std::string("not valid JSON (") + e.what() +
                                  "); delete this fold's folder to run the fold again");
  }
  if (!j.is_object()) throw DataError(path, "", "expected a JSON object of fold metrics");
  FoldOutcome f;
  auto field = [&](const char* key, auto& value) {
    try {
      value = j.at(key).get<std::remove_reference_t<decltype(value)>>();
    } catch (const json::exception&) {
      throw DataError(path, std::string("field '") + key + "'",
                      std::string(j.contains(key) ? "wrong type" : "missing") +
                          "; delete this fold's folder to run the fold again");
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

YAML::Node schema_to_yaml(const data::DatasetSchema& schema) {
  YAML::Node y;
  for (const auto& m : schema.modalities) {
    YAML::Node n;
    n["name"] = m.name;
    n["role"] = data::role_name(m.role);
    n["shape"] = m.shape;
    y["modalities"].push_back(n);
  }
  y["classes"] = schema.class_names;
  return y;
}

data::DatasetSchema schema_from_yaml(const YAML::Node& y, const std::string& file) {
  data::DatasetSchema s;
  try {
    for (const auto& n : y["modalities"]) {
      s.modalities.push_back({n["name"].as<std::string>(), data::role_from_name(n["role"].as<std::string>(), file),
                              n["shape"].as<std::vector<int64_t>>()});
    }
    s.class_names = y["classes"].as<std::vector<std::string>>();
  } catch (const YAML::Exception& e) {
    throw DataError(file, "field 'schema'", "malformed: " + e.msg);
  }
  if (s.modalities.empty() || s.class_names.empty()) throw DataError(file, "field 'schema'", "no modalities or classes");
  return s;
}

// Writes the bundle's files into `partial` (model.yaml last).
void write_bundle_files(const fs::path& partial, const std::string& model_name, const YAML::Node& options,
                        const data::DatasetSchema& schema, const data::Standardizer& standardizer,
                        const models::Estimator& estimator, const std::vector<std::string>& extra_files) {
  estimator.save((partial / "weights.pt").string());
  kill_point("bundle_weights");
  torch::serialize::OutputArchive archive;
  standardizer.save(archive);
  archive.save_to((partial / "standardizer.pt").string());
  for (const auto& file : extra_files) {
    fs::copy_file(file, partial / fs::path(file).filename(), fs::copy_options::overwrite_existing);
  }
  YAML::Node y;
  y["format"] = "emofuse model bundle 1";
  y["model"]["name"] = model_name;
  y["model"]["options"] = options.IsDefined() && !options.IsNull() ? YAML::Clone(options) : YAML::Node(YAML::NodeType::Map);
  y["schema"] = schema_to_yaml(schema);
  // The size and digest of every other file, checked before LibTorch reads them: a corrupt or
  // swapped weights file then ends in a clear error rather than in LibTorch's archive reader,
  // which does not guard against corrupt input (it can crash on a damaged weights.pt).
  for (const auto& entry : fs::directory_iterator(partial)) {
    const auto name = entry.path().filename().string();
    y["files"][name]["bytes"] = static_cast<uint64_t>(entry.file_size());
    y["files"][name]["fnv1a64"] = file_digest(entry.path().string());
  }
  std::ostringstream out;
  out << y << "\n";
  // model.yaml last: its presence marks a complete bundle.
  write_text_atomic((partial / "model.yaml").string(), out.str());
}

}  // namespace

void save_model_bundle(const std::string& dir, const std::string& model_name, const YAML::Node& options,
                       const data::DatasetSchema& schema, const data::Standardizer& standardizer,
                       const models::Estimator& estimator, const std::vector<std::string>& extra_files) {
  const fs::path final_dir(dir);
  const fs::path partial = final_dir.string() + ".partial";
  fs::remove_all(partial);
  fs::create_directories(partial);
  try {
    write_bundle_files(partial, model_name, options, schema, standardizer, estimator, extra_files);
  } catch (...) {
    std::error_code ignored;
    fs::remove_all(partial, ignored);  // an error (not a kill): leave no half bundle behind
    throw;
  }
  // Swap: between the two steps there is no bundle at <dir> (never a mixed one); a kill there
  // leaves <dir>.partial, which a resumed run removes before it writes the bundle again.
  fs::remove_all(final_dir);
  kill_point("bundle_swap");
  fs::rename(partial, final_dir);
}

namespace {

// Checks the files a bundle's model.yaml lists (`files: {name: {bytes, fnv1a64}}`) against the
// folder; an absent one is left to the reader that needs it (which names what it is for).
// Bundles written before the list existed have none and are read as before.
void verify_bundle_files(const std::string& dir, const YAML::Node& files, const std::string& yaml_path) {
  if (!files) return;
  if (!files.IsMap()) throw DataError(yaml_path, "field 'files'", "expected a map of file name to {bytes, fnv1a64}");
  for (const auto& kv : files) {
    const auto name = kv.first.as<std::string>();
    const auto path = (fs::path(dir) / name).string();
    if (name.find('/') != std::string::npos || name == "." || name == "..") {
      throw DataError(yaml_path, "field 'files." + name + "'", "not a file name");
    }
    uint64_t bytes = 0;
    std::string digest;
    try {
      bytes = kv.second["bytes"].as<uint64_t>();
      digest = kv.second["fnv1a64"].as<std::string>();
    } catch (const YAML::Exception&) {
      throw DataError(yaml_path, "field 'files." + name + "'", "expected {bytes: <count>, fnv1a64: <16 hex digits>}");
    }
    if (!fs::exists(path)) continue;  // the reader that needs it says what is missing
    if (!fs::is_regular_file(path)) throw DataError(path, "", "not a regular file");
    if (fs::file_size(path) != bytes) {
      throw DataError(path, "", "holds " + std::to_string(fs::file_size(path)) + " bytes, model.yaml records " +
                                    std::to_string(bytes) + " (truncated, or from another bundle)");
    }
    const auto actual = file_digest(path);
    if (actual != digest) {
      throw DataError(path, "", "content digest " + actual + " differs from the " + digest +
                                    " model.yaml records (corrupt, or from another bundle)");
    }
  }
}

}  // namespace

ModelBundle load_model_bundle(const std::string& dir) {
  const auto yaml_path = (fs::path(dir) / "model.yaml").string();
  if (!fs::exists(yaml_path)) throw DataError(dir, "", "not a model bundle (no model.yaml)");
  YAML::Node y;
  try {
    y = YAML::LoadFile(yaml_path);
  } catch (const YAML::Exception& e) {
    throw DataError(yaml_path, "line " + std::to_string(e.mark.line + 1), e.msg);
  }
  ModelBundle b;
  if (!y["model"] || !y["model"]["name"]) throw DataError(yaml_path, "field 'model.name'", "missing");
  b.model_name = y["model"]["name"].as<std::string>();
  b.model_options = y["model"]["options"];
  b.schema = schema_from_yaml(y["schema"], yaml_path);
  const auto& entry = models::find_model(b.model_name);
  entry.validate_options(b.model_options);
  b.estimator = entry.build(b.schema, b.model_options);
  const auto weights = (fs::path(dir) / "weights.pt").string();
  if (!fs::exists(weights)) throw DataError(weights, "", "file not found");
  verify_bundle_files(dir, y["files"], yaml_path);
  b.estimator->load(weights);
  const auto standardizer = (fs::path(dir) / "standardizer.pt").string();
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(standardizer);
    b.standardizer.load(archive);
  } catch (const c10::Error&) {
    throw DataError(standardizer, "", "cannot read the feature standardizer (missing or truncated)");
  }
  return b;
}

data::MultimodalDataset conform_to_schema(const data::MultimodalDataset& data, const data::DatasetSchema& schema) {
  std::vector<std::string> names;
  for (const auto& m : schema.modalities) names.push_back(m.name);
  auto out = data.select_modalities(names);
  for (size_t i = 0; i < schema.modalities.size(); ++i) {
    if (out.modality(i).shape != schema.modalities[i].shape) {
      throw Error(data.source() + ": modality '" + names[i] + "' has a different shape than the model was trained on");
    }
  }
  if (out.num_classes() != schema.num_classes()) {
    throw Error(data.source() + ": " + std::to_string(out.num_classes()) + " classes, the model predicts " +
                std::to_string(schema.num_classes()));
  }
  return out;
}

std::string predictions_csv(const data::MultimodalDataset& data, const torch::Tensor& predictions,
                            const std::string& fold, bool with_targets) {
  std::ostringstream out;
  out << std::setprecision(6);
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

ExperimentResult run_experiment(const ExperimentConfig& config, const data::MultimodalDataset& dataset,
                                const RunOptions& options) {
  const auto& entry = models::find_model(config.model_name);
  auto folds = protocol::make_folds(dataset, config.protocol);
  const auto kind = protocol::protocol_from_name(config.protocol.name);
  // The folder is checked before anything is written (a caller that loads data checks it first).
  std::optional<RunFolder> own_folder;
  RunFolder* folder = options.folder;
  if (!folder) folder = &own_folder.emplace(config, options.resume, options.overwrite);
  folder->bind_data(config.data, dataset);
  const fs::path run(config.run_dir);
  fs::create_directories(run / "folds");
  {
    std::ostringstream y;
    y << config.to_yaml() << "\n";
    write_text_atomic((run / "config.yaml").string(), y.str());
  }

  ExperimentResult result;
  result.name = config.name;
  result.model_name = config.model_name;
  result.protocol = config.protocol.name;
  result.leaky = protocol::is_leaky(kind);
  result.run_dir = config.run_dir;
  if (result.leaky) {
    std::cerr << "WARNING: protocol random_leaky splits one-second windows of the same clip across train and "
                 "test; its scores are inflated (LEAKY) and not comparable with subject-independent results.\n";
  }

  TrainerOptions trainer_options = config.training;
  trainer_options.resume(options.resume);
  if (options.quiet) trainer_options.progress(false);
  std::string all_predictions;
  for (size_t f = 0; f < folds.size(); ++f) {
    const auto& fold = folds[f];
    char prefix[32];
    std::snprintf(prefix, sizeof(prefix), "%02zu_", f + 1);
    const fs::path fold_dir = run / "folds" / (prefix + sanitize(fold.name));
    const std::string fold_label = config.name + " fold " + std::to_string(f + 1) + "/" +
                                   std::to_string(folds.size()) + " (" + fold.name + ")";
    const auto metrics_path = fold_dir / "metrics.json";
    const auto predictions_path = fold_dir / "predictions.csv";
    if (options.resume && fs::exists(metrics_path) && fs::exists(predictions_path)) {
      result.folds.push_back(read_fold_outcome(metrics_path.string()));
      result.parameters = result.folds.back().parameters;
      std::ifstream p(predictions_path);
      std::stringstream text;
      text << p.rdbuf();
      auto s = text.str();
      all_predictions += all_predictions.empty() ? s : s.substr(s.find('\n') + 1);
      if (!options.quiet) std::cerr << fold_label << ": complete, read from " << metrics_path.string() << "\n";
      continue;
    }
    fs::create_directories(fold_dir);
    // Standardise with training-row statistics only.
    data::Standardizer standardizer;
    auto train_raw = dataset.subset(fold.train);
    standardizer.fit(train_raw);
    auto train = standardizer.apply(train_raw);
    auto validation = standardizer.apply(dataset.subset(fold.validation));
    auto test = standardizer.apply(dataset.subset(fold.test));

    auto estimator = entry.build(dataset.schema(), config.model_options);
    models::FitContext context;
    context.trainer = &trainer_options;
    context.checkpoint_dir = fold_dir.string();
    context.fold_name = fold_label;
    context.seed = mix_seed(config.seed, f + 1);
    if (options.on_epoch_end) {
      context.on_epoch_end = [&options, &fold](const EpochRecord& record) { options.on_epoch_end(fold.name, record); };
    }
    FoldOutcome outcome;
    outcome.name = fold.name;
    outcome.train_size = train.size();
    outcome.validation_size = validation.size();
    outcome.test_size = test.size();

    auto start = std::chrono::steady_clock::now();
    estimator->fit(train, validation, context);
    outcome.fit_seconds = seconds_since(start);
    if (auto* deep = dynamic_cast<models::DeepEstimator*>(estimator.get())) {
      outcome.best_epoch = deep->best_epoch() + 1;
      outcome.epochs_run = deep->epochs_run();
    }
    start = std::chrono::steady_clock::now();
    auto predictions = estimator->predict(test);
    outcome.predict_seconds = seconds_since(start);
    outcome.metrics = metrics::evaluate_predictions(predictions, test.targets(), test.hard_labels());
    outcome.parameters = estimator->parameter_count();
    result.parameters = outcome.parameters;

    if (config.save_models) {
      // A tokenizer learned by the loader (MELD) travels with the model, for `emofuse predict`.
      std::vector<std::string> extra;
      if (fs::exists(run / "tokenizer.model")) extra.push_back((run / "tokenizer.model").string());
      save_model_bundle((fold_dir / "model").string(), config.model_name, config.model_options, dataset.schema(),
                        standardizer, *estimator, extra);
    }
    auto csv = predictions_csv(test, predictions, fold.name, true);
    write_text_atomic(predictions_path.string(), csv);
    all_predictions += all_predictions.empty() ? csv : csv.substr(csv.find('\n') + 1);
    write_text_atomic(metrics_path.string(), outcome_to_json(outcome).dump(2) + "\n");  // marks the fold complete
    // The per-epoch checkpoint is only needed to resume an unfinished fold.
    fs::remove(fold_dir / "checkpoint.pt");
    if (!options.quiet) {
      std::cerr << fold_label << ": chebyshev " << std::setprecision(4) << outcome.metrics["chebyshev"] << " kl "
                << outcome.metrics["kl"] << " accuracy " << outcome.metrics["accuracy"] << " (" << std::setprecision(3)
                << outcome.fit_seconds << " s)\n";
    }
    result.folds.push_back(outcome);
  }

  std::vector<std::map<std::string, double>> fold_metrics;
  for (const auto& f : result.folds) fold_metrics.push_back(f.metrics);
  result.summary = metrics::summarize(fold_metrics);

  if (config.final_model) {
    auto split = protocol::make_final_split(dataset, config.protocol);
    data::Standardizer standardizer;
    auto train_raw = dataset.subset(split.train);
    standardizer.fit(train_raw);
    auto estimator = entry.build(dataset.schema(), config.model_options);
    models::FitContext context;
    context.trainer = &trainer_options;
    context.fold_name = config.name + " final model";
    context.seed = mix_seed(config.seed, 0);
    estimator->fit(standardizer.apply(train_raw), standardizer.apply(dataset.subset(split.validation)), context);
    save_model_bundle((run / "model").string(), config.model_name, config.model_options, dataset.schema(), standardizer,
                      *estimator);
  }

  // Run-level outputs.
  json j;
  j["name"] = result.name;
  j["model"] = result.model_name;
  j["protocol"] = result.protocol;
  j["leaky"] = result.leaky;
  j["parameters"] = result.parameters;
  for (const auto& f : result.folds) j["folds"].push_back(outcome_to_json(f));
  for (const auto& [name, s] : result.summary) j["summary"][name] = {{"mean", s.mean}, {"std", s.std}, {"folds", s.count}};
  write_text_atomic((run / "metrics.json").string(), j.dump(2) + "\n");

  const auto names = result.folds.empty() ? std::vector<std::string>{} : metric_order(result.folds.front().metrics);
  std::ostringstream csv;
  csv << std::setprecision(6) << "fold";
  for (const auto& n : names) csv << "," << n;
  csv << ",fit_seconds,predict_seconds,best_epoch\n";
  for (const auto& f : result.folds) {
    csv << csv_escape(f.name);
    for (const auto& n : names) csv << "," << f.metrics.at(n);
    csv << "," << f.fit_seconds << "," << f.predict_seconds << "," << f.best_epoch << "\n";
  }
  for (const char* stat : {"mean", "std"}) {
    csv << stat;
    for (const auto& n : names) csv << "," << (std::string(stat) == "mean" ? result.summary[n].mean : result.summary[n].std);
    csv << ",,,\n";
  }
  write_text_atomic((run / "metrics.csv").string(), csv.str());
  write_text_atomic((run / "predictions.csv").string(), all_predictions);
  write_text_atomic((run / "summary.md").string(), format_comparison({result}, std::nullopt, names, true));
  folder->finish();
  return result;
}

std::string format_comparison(const std::vector<ExperimentResult>& results,
                              const std::optional<std::map<std::string, double>>& ceiling,
                              const std::vector<std::string>& metric_names, bool markdown) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> header{"model"};
  for (const auto& n : metric_names) {
    header.push_back(n + (metrics::lower_is_better(n) ? " (lower)" : " (higher)"));
  }
  header.push_back("folds");
  rows.push_back(header);
  auto fmt = [](double v) {
    std::ostringstream s;
    s << std::fixed << std::setprecision(4) << v;
    return s.str();
  };
  for (const auto& r : results) {
    std::vector<std::string> row{r.name + (r.leaky ? " [LEAKY]" : "")};
    for (const auto& n : metric_names) {
      auto it = r.summary.find(n);
      row.push_back(it == r.summary.end() ? "-" : fmt(it->second.mean) + " +- " + fmt(it->second.std));
    }
    row.push_back(std::to_string(r.folds.size()));
    rows.push_back(row);
  }
  if (ceiling) {
    std::vector<std::string> row{"ceiling (true distribution)"};
    for (const auto& n : metric_names) row.push_back(ceiling->count(n) ? fmt(ceiling->at(n)) : "-");
    row.push_back("-");
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
        size_t total = 0;
        for (auto w : width) total += w + 2;
        out << std::string(total, '-');
      }
      out << "\n";
    }
  }
  return out.str();
}

}  // namespace emofuse::train
