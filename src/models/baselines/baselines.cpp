#include "models/baselines/baselines.h"

#include "core/options.h"
#include "models/registry.h"

namespace emofuse::models {
namespace {

void check_float_modalities(const data::DatasetSchema& schema, const char* model) {
  for (const auto& m : schema.modalities) {
    TORCH_CHECK(m.role != data::ModalityRole::kText, model, ": modality '", m.name,
                "' holds token ids; use a model with a text encoder (lsgmer)");
  }
}

}  // namespace

BaselineOptions BaselineOptions::from_yaml(const YAML::Node& node) {
  OptionReader r(node, "model.options");
  BaselineOptions o;
  o.hidden(r.get<int64_t>("hidden", o.hidden()));
  o.layers(r.get<int64_t>("layers", o.layers()));
  o.dropout(r.get<double>("dropout", o.dropout()));
  r.finish();
  o.validate();
  return o;
}

void BaselineOptions::validate() const {
  require_option(hidden() >= 1, "model.options.hidden", "must be >= 1");
  require_option(layers() >= 0, "model.options.layers", "must be >= 0");
  require_option(dropout() >= 0 && dropout() < 1, "model.options.dropout", "must be in [0, 1)");
}

YAML::Node BaselineOptions::to_yaml() const {
  YAML::Node y(YAML::NodeType::Map);
  y["hidden"] = hidden();
  y["layers"] = layers();
  y["dropout"] = dropout();
  return y;
}

EarlyFusionMlp::EarlyFusionMlp(const data::DatasetSchema& schema, BaselineOptions o) {
  o.validate();
  check_float_modalities(schema, "mlp_early");
  int64_t width = 0;
  for (const auto& m : schema.modalities) width += m.numel();
  mlp_ = register_module(
      "mlp",
      nn::Mlp(nn::MlpOptions(width, schema.num_classes()).hidden(o.hidden()).layers(o.layers()).dropout(o.dropout())));
}

ModelOutput EarlyFusionMlp::forward(const std::vector<torch::Tensor>& inputs) {
  std::vector<torch::Tensor> flat;
  for (const auto& x : inputs) flat.push_back(x.flatten(1));  // [B, numel]
  return {torch::log_softmax(mlp_(torch::cat(flat, 1)), 1), {}};
}

LateFusion::LateFusion(const data::DatasetSchema& schema, BaselineOptions o) {
  o.validate();
  check_float_modalities(schema, "late_fusion");
  for (const auto& m : schema.modalities) {
    heads_.push_back(register_module("head_" + m.name, nn::Mlp(nn::MlpOptions(m.numel(), schema.num_classes())
                                                                   .hidden(o.hidden())
                                                                   .layers(o.layers())
                                                                   .dropout(o.dropout()))));
  }
}

ModelOutput LateFusion::forward(const std::vector<torch::Tensor>& inputs) {
  TORCH_CHECK(inputs.size() == heads_.size(), "late_fusion: expected ", heads_.size(), " modalities, got ",
              inputs.size());
  // log( (1/M) sum_m p_m ) computed stably as logsumexp_m(log p_m) - log M.
  std::vector<torch::Tensor> log_probs;
  for (size_t m = 0; m < inputs.size(); ++m)
    log_probs.push_back(torch::log_softmax(heads_[m](inputs[m].flatten(1)), 1));
  auto stacked = torch::stack(log_probs, 0);  // [M, B, C]
  return {torch::logsumexp(stacked, 0) - std::log(static_cast<double>(inputs.size())), {}};
}

void register_baselines(std::vector<ModelEntry>& registry) {
  auto add = [&](const std::string& name, const std::string& summary, auto make) {
    registry.push_back(
        {name, summary, [](const YAML::Node& n) { BaselineOptions::from_yaml(n); },
         [name, make](const data::DatasetSchema& schema, const YAML::Node& node) -> std::unique_ptr<Estimator> {
           BaselineOptions::from_yaml(node);
           return std::make_unique<DeepEstimator>(name, schema, node,
                                                  [make](const data::DatasetSchema& s, const YAML::Node& n) {
                                                    return make(s, BaselineOptions::from_yaml(n));
                                                  });
         },
         [](const YAML::Node& n) { return BaselineOptions::from_yaml(n).to_yaml(); }});
  };
  add("mlp_early", "early-fusion MLP on the concatenated modalities",
      [](const data::DatasetSchema& s, BaselineOptions o) -> std::shared_ptr<DistributionModule> {
        return std::make_shared<EarlyFusionMlp>(s, o);
      });
  add("late_fusion", "one MLP head per modality, distributions averaged",
      [](const data::DatasetSchema& s, BaselineOptions o) -> std::shared_ptr<DistributionModule> {
        return std::make_shared<LateFusion>(s, o);
      });
}

}  // namespace emofuse::models
