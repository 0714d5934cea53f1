#include "models/ldl/inner_cv.h"

#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/error.h"
#include "core/io.h"
#include "core/options.h"
#include "core/runtime.h"
#include "data/normalize.h"
#include "metrics/metrics.h"
#include "models/registry.h"
#include "protocol/splits.h"

namespace fs = std::filesystem;

namespace emofuse::models {

InnerCvCriterion inner_cv_criterion_from_name(const std::string& name, const std::string& option) {
  return parse_choice(name, option, kInnerCvCriteria);
}

std::string inner_cv_criterion_name(InnerCvCriterion criterion) {
  return choice_name(criterion, kInnerCvCriteria);
}

// ------------------------------------------------------------------------------------- options

InnerCvOptions InnerCvOptions::from_yaml(const YAML::Node& node) {
  OptionReader r(node, "model.options");
  const auto model = r.get<std::string>("model", "");
  auto fixed = r.node("options");
  auto candidates = r.node("candidates");
  const auto folds = r.get<int64_t>("folds", 5);
  const auto criterion = r.get<std::string>("criterion", "kl");
  r.finish();
  require_option(!model.empty(), "model.options.model", "required: the registered model to tune");
  require_option(model != "inner_cv", "model.options.model", "inner_cv cannot tune itself");
  const auto& entry = find_model(model);  // throws OptionError listing the known models
  require_option(!fixed || fixed.IsNull() || fixed.IsMap(), "model.options.options",
                 "expected a map of the tuned model's fixed options");
  require_option(candidates && candidates.IsSequence() && candidates.size() > 0, "model.options.candidates",
                 "required: a non-empty list of option maps (least regularised first)");
  std::vector<YAML::Node> list;
  for (size_t i = 0; i < candidates.size(); ++i) {
    const auto where = "model.options.candidates[" + std::to_string(i) + "]";
    require_option(candidates[i].IsMap() && candidates[i].size() > 0, where, "expected a non-empty map of options");
    for (const auto& kv : candidates[i]) {
      const auto key = kv.first.as<std::string>();
      require_option(!(fixed && fixed.IsMap() && fixed[key]), where,
                     "option '" + key + "' is fixed in model.options.options; a fixed option is not searched");
    }
    list.push_back(YAML::Clone(candidates[i]));
  }
  InnerCvOptions o(model, list);
  if (fixed && fixed.IsMap()) o.options(YAML::Clone(fixed));
  o.folds(folds);
  o.criterion(inner_cv_criterion_from_name(criterion, "model.options.criterion"));
  require_option(o.folds() >= 2, "model.options.folds", "must be >= 2, got " + std::to_string(o.folds()));
  // Every candidate must be a valid option set of the tuned model (its error names the key).
  for (size_t i = 0; i < list.size(); ++i) {
    try {
      entry.validate_options(o.candidate_options(i));
    } catch (const OptionError& e) {
      throw OptionError("model.options.candidates[" + std::to_string(i) + "]", e.what());
    }
  }
  return o;
}

YAML::Node InnerCvOptions::candidate_options(size_t index) const {
  TORCH_CHECK(index < candidates_.size(), "inner_cv: candidate ", index, " of ", candidates_.size());
  YAML::Node merged = options_.IsMap() ? YAML::Clone(options_) : YAML::Node(YAML::NodeType::Map);
  for (const auto& kv : candidates_[index]) merged[kv.first.as<std::string>()] = YAML::Clone(kv.second);
  return merged;
}

YAML::Node InnerCvOptions::to_yaml() const {
  YAML::Node y;
  y["model"] = model_;
  y["options"] = YAML::Clone(options_);
  for (const auto& c : candidates_) y["candidates"].push_back(YAML::Clone(c));
  y["folds"] = folds_;
  y["criterion"] = inner_cv_criterion_name(criterion_);
  return y;
}

// ------------------------------------------------------------------------------------ estimator

InnerCvEstimator::InnerCvEstimator(const data::DatasetSchema& schema, InnerCvOptions options)
    : InnerCvEstimator(schema, options, nullptr) {}

InnerCvEstimator::InnerCvEstimator(const data::DatasetSchema& schema, InnerCvOptions options, EstimatorFactory factory)
    : schema_(schema), options_(std::move(options)), factory_(std::move(factory)) {
  if (!factory_) {
    const auto& entry = find_model(options_.model());
    factory_ = [entry, schema](const YAML::Node& o) { return entry.build(schema, o); };
  }
}

void InnerCvEstimator::fit(const data::MultimodalDataset& train, const data::MultimodalDataset& validation,
                           const FitContext& context) {
  const auto k = options_.folds();
  if (train.size() < k) {
    throw Error("inner_cv: " + std::to_string(k) + " inner folds need at least as many training samples, got " +
                std::to_string(train.size()));
  }
  // Inner folds of the training rows only: `kfold` (a seeded shuffle cut into k near-equal
  // chunks; it refuses samples that share a clip), no validation side.
  protocol::ProtocolOptions split;
  split.name = "kfold";
  split.folds = k;
  split.validation_fraction = 0;
  split.seed = context.seed;
  const auto folds = protocol::make_folds(train, split);
  const auto metric = inner_cv_criterion_name(options_.criterion());
  const size_t n_candidates = options_.candidates().size();
  std::vector<double> sums(n_candidates, 0.0);
  fold_losses_.assign(n_candidates, std::vector<double>(folds.size(), 0.0));
  for (size_t v = 0; v < folds.size(); ++v) {
    // As the outer runner: standardise on the inner training rows only.
    data::Standardizer standardizer;
    auto inner_train_raw = train.subset(folds[v].train);
    standardizer.fit(inner_train_raw);
    const auto inner_train = standardizer.apply(inner_train_raw);
    const auto inner_validation = standardizer.apply(train.subset(folds[v].test));
    for (size_t c = 0; c < n_candidates; ++c) {
      auto model = factory_(options_.candidate_options(c));
      FitContext inner;
      inner.trainer = context.trainer;
      inner.fold_name = context.fold_name + " inner " + std::to_string(v + 1) + "/" + std::to_string(folds.size());
      inner.seed = mix_seed(context.seed, v + 1, c + 1);
      model->fit(inner_train, data::MultimodalDataset(), inner);
      torch::NoGradGuard no_grad;
      auto per_sample = metrics::distribution_metric_per_sample(metric, model->predict(inner_validation),
                                                                inner_validation.targets());  // [n_v]
      const double sum = per_sample.sum().item<double>();
      sums[c] += sum;
      fold_losses_[c][v] = sum / static_cast<double>(inner_validation.size());
    }
  }
  // Mean over every training row (each validated exactly once); lowest wins, ties (within a
  // relative 1e-9, far below any printed digit) go to the later, more regularised candidate.
  losses_.assign(n_candidates, 0.0);
  for (size_t c = 0; c < n_candidates; ++c) losses_[c] = sums[c] / static_cast<double>(train.size());
  size_t best = 0;
  for (size_t c = 1; c < n_candidates; ++c) {
    if (!std::isfinite(losses_[best]) || losses_[c] <= losses_[best] + 1e-9 * std::abs(losses_[best])) best = c;
  }
  TORCH_CHECK(std::isfinite(losses_[best]), "inner_cv: every candidate of ", options_.model(),
              " gave a non-finite inner loss");
  chosen_ = static_cast<int64_t>(best);
  train_size_ = train.size();
  model_ = factory_(options_.candidate_options(best));
  model_->fit(train, validation, context);
  if (!context.checkpoint_dir.empty()) {
    write_text_atomic((fs::path(context.checkpoint_dir) / "inner_cv.json").string(), selection_json());
  }
}

torch::Tensor InnerCvEstimator::predict(const data::MultimodalDataset& data) {
  TORCH_CHECK(model_, "inner_cv: predict called before fit() or load()");
  return model_->predict(data);
}

int64_t InnerCvEstimator::parameter_count() const {
  return model_ ? model_->parameter_count() : 0;
}

namespace {

// A YAML scalar as a JSON number when it reads as one, else as a string.
nlohmann::json scalar_json(const YAML::Node& node) {
  if (!node.IsScalar()) return YAML::Dump(node);
  const auto& text = node.Scalar();
  try {
    size_t used = 0;
    const auto i = std::stoll(text, &used);
    if (used == text.size()) return i;
  } catch (const std::exception&) {
  }
  try {
    size_t used = 0;
    const auto d = std::stod(text, &used);
    if (used == text.size()) return d;
  } catch (const std::exception&) {
  }
  return text;
}

nlohmann::json map_json(const YAML::Node& map) {
  auto j = nlohmann::json::object();
  for (const auto& kv : map) j[kv.first.as<std::string>()] = scalar_json(kv.second);
  return j;
}

// A private temporary file path (the chosen model's own file passes through one on save/load).
std::string temporary_path() {
  static std::atomic<uint64_t> counter{0};
  return (fs::temp_directory_path() /
          ("emofuse_inner_cv_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + ".pt"))
      .string();
}

}  // namespace

std::string InnerCvEstimator::selection_json() const {
  nlohmann::json j;
  j["model"] = options_.model();
  j["fixed_options"] = map_json(options_.options());
  j["folds"] = options_.folds();
  j["criterion"] = inner_cv_criterion_name(options_.criterion());
  j["train_size"] = train_size_;
  j["chosen"] = chosen_;
  if (chosen_ >= 0) j["chosen_options"] = map_json(options_.candidates()[chosen_]);
  for (size_t c = 0; c < options_.candidates().size(); ++c) {
    nlohmann::json row{{"options", map_json(options_.candidates()[c])}};
    if (c < losses_.size()) {
      row["loss"] = losses_[c];
      row["fold_losses"] = fold_losses_[c];
    }
    j["candidates"].push_back(row);
  }
  return j.dump(2) + "\n";
}

void InnerCvEstimator::save(const std::string& path) const {
  TORCH_CHECK(model_, "inner_cv: save called before fit()");
  // The chosen model writes its own file; its bytes travel inside this archive.
  const auto inner = temporary_path();
  model_->save(inner);
  std::ifstream in(inner, std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  in.close();
  fs::remove(inner);
  auto blob = torch::empty({static_cast<int64_t>(bytes.size())}, torch::kUInt8);
  std::memcpy(blob.data_ptr(), bytes.data(), bytes.size());
  torch::serialize::OutputArchive archive;
  archive.write("chosen", torch::tensor(chosen_));
  archive.write("candidates", torch::tensor(static_cast<int64_t>(options_.candidates().size())));
  archive.write("losses", torch::tensor(losses_, torch::kFloat64));
  archive.write("model_file", blob);
  archive.save_to(path);
}

void InnerCvEstimator::load(const std::string& path) {
  torch::serialize::InputArchive archive;
  torch::Tensor chosen, candidates, blob;
  try {
    archive.load_from(path);
    archive.read("chosen", chosen);
    archive.read("candidates", candidates);
    archive.read("model_file", blob);
  } catch (const c10::Error&) {
    throw DataError(path, "", "cannot read an inner_cv model file (missing, truncated or another model's)");
  }
  const auto n = static_cast<int64_t>(options_.candidates().size());
  if (candidates.numel() != 1 || candidates.item<int64_t>() != n) {
    throw DataError(path, "tensor 'candidates'",
                    "the file was written for another candidate list than " + std::to_string(n) + " candidates");
  }
  const auto index = chosen.numel() == 1 ? chosen.item<int64_t>() : -1;
  if (index < 0 || index >= n)
    throw DataError(path, "tensor 'chosen'", "not a candidate index in [0, " + std::to_string(n) + ")");
  blob = blob.contiguous().to(torch::kUInt8);
  const auto inner = temporary_path();
  {
    std::ofstream out(inner, std::ios::binary);
    out.write(reinterpret_cast<const char*>(blob.data_ptr()), blob.numel());
  }
  auto model = factory_(options_.candidate_options(static_cast<size_t>(index)));
  try {
    model->load(inner);
  } catch (...) {
    fs::remove(inner);
    throw;
  }
  fs::remove(inner);
  model_ = std::move(model);
  chosen_ = index;
  losses_.clear();
  fold_losses_.clear();
}

// ---------------------------------------------------------------------------------- registration

void register_inner_cv(std::vector<ModelEntry>& registry) {
  registry.push_back({"inner_cv",
                      "Inner cross-validation: picks a model's options from a candidate list on the training rows, "
                      "then refits",
                      [](const YAML::Node& n) { InnerCvOptions::from_yaml(n); },
                      [](const data::DatasetSchema& s, const YAML::Node& n) -> std::unique_ptr<Estimator> {
                        return std::make_unique<InnerCvEstimator>(s, InnerCvOptions::from_yaml(n));
                      },
                      [](const YAML::Node& n) {
                        // Every key filled in; the tuned model's fixed options also get its
                        // defaults, except the keys the candidates search.
                        auto o = InnerCvOptions::from_yaml(n);
                        const auto full = resolved_model_options(o.model(), o.candidate_options(0));
                        YAML::Node fixed(YAML::NodeType::Map);
                        for (const auto& kv : full) {
                          const auto key = kv.first.as<std::string>();
                          bool searched = false;
                          for (const auto& c : o.candidates()) searched |= c[key].IsDefined();
                          if (!searched) fixed[key] = YAML::Clone(kv.second);
                        }
                        o.options(fixed);
                        return o.to_yaml();
                      }});
}

}  // namespace emofuse::models
