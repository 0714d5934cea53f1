#include "models/registry.h"

#include "core/error.h"
#include "core/runtime.h"
#include "models/ldl/inner_cv.h"  // register_inner_cv
#include "models/trainer.h"

namespace emofuse::models {

const std::vector<ModelEntry>& model_registry() {
  // Explicit registration (not static initialisers, which a static library may drop).
  static const std::vector<ModelEntry> registry = [] {
    std::vector<ModelEntry> r;
    register_prior(r);
    register_baselines(r);
    register_helo(r);
    register_lsgmer(r);
    register_ldl(r);
    register_inner_cv(r);
    return r;
  }();
  return registry;
}

const ModelEntry& find_model(const std::string& name) {
  std::string known;
  for (const auto& entry : model_registry()) {
    if (entry.name == name) return entry;
    known += (known.empty() ? "" : ", ") + entry.name;
  }
  throw OptionError("model.name", "unknown model '" + name + "'; known: " + known);
}

YAML::Node resolved_model_options(const std::string& name, const YAML::Node& options) {
  const auto& entry = find_model(name);
  if (entry.resolved_options) return entry.resolved_options(options);
  entry.validate_options(options);
  return options.IsDefined() && !options.IsNull() ? YAML::Clone(options) : YAML::Node(YAML::NodeType::Map);
}

DeepEstimator::DeepEstimator(std::string name, data::DatasetSchema schema, YAML::Node options, ModuleFactory factory)
    : name_(std::move(name)),
      schema_(std::move(schema)),
      options_(options),
      factory_(std::move(factory)),
      eval_batch_size_(TrainerOptions().eval_batch_size()) {}

void DeepEstimator::build_module() {
  // Size options are validated as positive, not against the machine's memory: a d_model of 10^6
  // passes validation and fails in LibTorch's allocator with a message that names no option.
  // Translate that failure into one that names the options to reduce.
  auto too_big = [&](const std::string& detail) {
    std::string given;
    if (options_.IsMap()) {
      for (const auto& kv : options_) {
        if (!kv.second.IsScalar()) continue;
        given += (given.empty() ? "" : ", ") + kv.first.as<std::string>() + "=" + kv.second.as<std::string>();
      }
    }
    return OptionError("model.options", "building '" + name_ + "' needs more memory than this machine can allocate (" +
                                            detail + "); reduce its size options" +
                                            (given.empty() ? "" : " (given: " + given + ")"));
  };
  try {
    module_ = factory_(schema_, options_);
  } catch (const std::bad_alloc&) {
    throw too_big("out of memory");
  } catch (const c10::Error& e) {
    const std::string message = e.what_without_backtrace();
    if (message.find("allocate") == std::string::npos) throw;
    const auto tried = message.find("you tried to allocate");
    throw too_big(tried == std::string::npos ? "allocation failed"
                                             : message.substr(tried, message.find('.', tried) - tried));
  }
}

void DeepEstimator::fit(const data::MultimodalDataset& train, const data::MultimodalDataset& validation,
                        const FitContext& context) {
  TORCH_CHECK(context.trainer != nullptr, "DeepEstimator::fit needs trainer options");
  seed_everything(context.seed);  // parameter initialisation
  build_module();
  Trainer trainer(*context.trainer);
  trainer.on_epoch_end = context.on_epoch_end;
  auto result = trainer.fit(*module_, train, validation, context);
  best_epoch_ = result.best_epoch;
  epochs_run_ = result.epochs_run;
  training_seconds_ = validation_seconds_ = 0;
  for (const auto& record : result.history) {
    training_seconds_ += record.seconds;
    validation_seconds_ += record.validation_seconds;
  }
  eval_batch_size_ = context.trainer->eval_batch_size();
}

torch::Tensor DeepEstimator::predict(const data::MultimodalDataset& data) {
  TORCH_CHECK(module_ != nullptr, "DeepEstimator::predict called before fit() or load()");
  return Trainer::predict(*module_, data, eval_batch_size_);
}

void DeepEstimator::save(const std::string& path) const {
  TORCH_CHECK(module_ != nullptr, "DeepEstimator::save called before fit()");
  torch::serialize::OutputArchive archive;
  module_->save(archive);
  archive.save_to(path);
}

void DeepEstimator::load(const std::string& path) {
  build_module();
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(path);
    module_->load(archive);
  } catch (const c10::Error& e) {
    throw DataError(path, "", "cannot load model weights for '" + name_ + "' (wrong model, options or truncated file)");
  }
  module_->eval();
}

int64_t DeepEstimator::parameter_count() const {
  if (!module_) return 0;
  int64_t count = 0;
  for (const auto& p : module_->parameters()) count += p.numel();
  return count;
}

std::map<std::string, torch::Tensor> DeepEstimator::inspect(const data::MultimodalDataset& sample) {
  std::map<std::string, torch::Tensor> views;
  if (!module_ || sample.size() != 1) return views;
  c10::InferenceMode inference;
  const bool was_training = module_->is_training();
  module_->eval();
  for (const auto& item : module_->named_buffers()) {
    if (item.value().dim() == 2) views[item.key()] = item.value().detach().clone();
  }
  const auto output = module_->forward(sample.batch(torch::zeros({1}, torch::kInt64)).inputs);
  module_->train(was_training);
  for (const auto& [name, value] : output.extras) {
    if (value.dim() == 2) {
      views[name] = value.clone();  // one matrix for the model (e.g. label_similarity [C, C])
    } else if (value.dim() == 3 && value.size(0) == 1) {
      views[name] = value[0].clone();  // the sample's matrix (e.g. ot_plan [n, n])
    }
  }
  return views;
}

}  // namespace emofuse::models
