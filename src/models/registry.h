// Model registry: every model is selected by name from a config ("model.name") and built from its
// options ("model.options"), which are validated before any data is loaded.
#pragma once

#include <yaml-cpp/yaml.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "models/estimator.h"
#include "models/module.h"
#include "models/trainer.h"

namespace emofuse::models {

/// Builds a deep module for a dataset schema from validated options.
using ModuleFactory = std::function<std::shared_ptr<DistributionModule>(const data::DatasetSchema&, const YAML::Node&)>;

struct ModelEntry {
  std::string name;
  std::string summary;  ///< one line for `emofuse info --models`
  /// Throws OptionError for invalid or unknown options (keys prefixed "model.options").
  std::function<void(const YAML::Node&)> validate_options;
  std::function<std::unique_ptr<Estimator>(const data::DatasetSchema&, const YAML::Node&)> build;
  /// The model's full options with every default filled in (a map; empty for a model without
  /// options), validated as validate_options does. Reading them back gives the same options:
  /// resolved_options(resolved_options(n)) == resolved_options(n). Written to config.yaml.
  std::function<YAML::Node(const YAML::Node&)> resolved_options;
};

/// All registered models (the prior floor, baselines, HeLo, LSGMER, classical LDL methods).
const std::vector<ModelEntry>& model_registry();
/// Entry called `name`; throws OptionError("model.name", ...) listing the known names.
const ModelEntry& find_model(const std::string& name);
/// Model `name`'s resolved_options(options), validated; a model registered without
/// resolved_options gets `options` validated and copied as given (an empty map for none).
YAML::Node resolved_model_options(const std::string& name, const YAML::Node& options);

/// An Estimator that trains a DistributionModule with the shared Trainer.
class DeepEstimator : public Estimator {
 public:
  DeepEstimator(std::string name, data::DatasetSchema schema, YAML::Node options, ModuleFactory factory);
  std::string name() const override { return name_; }
  void fit(const data::MultimodalDataset& train, const data::MultimodalDataset& validation,
           const FitContext& context) override;
  torch::Tensor predict(const data::MultimodalDataset& data) override;
  void save(const std::string& path) const override;
  void load(const std::string& path) override;
  int64_t parameter_count() const override;
  /// The module's 2-D buffers (e.g. HeLo's label_correlation) and the extras of its forward pass
  /// on `sample` that are matrices for one sample (label_similarity, ot_plan), in eval mode.
  std::map<std::string, torch::Tensor> inspect(const data::MultimodalDataset& sample) override;
  /// The trained module (built by fit() or load()); null before.
  std::shared_ptr<DistributionModule> module() const { return module_; }
  /// Epochs run and the selected epoch of the last fit() (-1 before).
  int64_t best_epoch() const { return best_epoch_; }
  int64_t epochs_run() const { return epochs_run_; }
  /// Where the last fit() spent its time: the training batches (forward, loss, backward,
  /// optimiser step) and the per-epoch validation passes with their metrics, summed over epochs
  /// (a resumed fit's earlier epochs included, from its checkpoint). 0 before.
  double training_seconds() const { return training_seconds_; }
  double validation_seconds() const { return validation_seconds_; }

 private:
  void build_module();
  std::string name_;
  data::DatasetSchema schema_;
  YAML::Node options_;
  ModuleFactory factory_;
  std::shared_ptr<DistributionModule> module_;
  int64_t best_epoch_ = -1, epochs_run_ = 0;
  double training_seconds_ = 0, validation_seconds_ = 0;
  /// Batch size of predict(): the fit's training.eval_batch_size; the trainer's default for a
  /// module loaded from a bundle.
  int64_t eval_batch_size_;
};

/// Registration hooks of each model family (called once when the registry is first used).
void register_prior(std::vector<ModelEntry>& registry);  // models/baselines/prior.h
void register_baselines(std::vector<ModelEntry>& registry);
void register_helo(std::vector<ModelEntry>& registry);
void register_lsgmer(std::vector<ModelEntry>& registry);
void register_ldl(std::vector<ModelEntry>& registry);

}  // namespace emofuse::models
