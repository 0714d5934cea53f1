// Registers LSGMER in the model registry ("model.name: lsgmer"). The registry calls
// register_lsgmer() from model_registry() (src/models/registry.cpp).
#include "models/lsgmer/lsgmer.h"
#include "models/registry.h"

namespace emofuse::models {

void register_lsgmer(std::vector<ModelEntry>& registry) {
  registry.push_back({"lsgmer",
                      "label-signal-guided text/audio fusion with attribution-prediction consistency "
                      "(arXiv 2504.05158)",
                      [](const YAML::Node& node) { lsgmer::lsgmer_config_from_yaml(node); },
                      [](const data::DatasetSchema& schema, const YAML::Node& node) -> std::unique_ptr<Estimator> {
                        lsgmer::lsgmer_config_from_yaml(node);  // option errors before any data work
                        return std::make_unique<DeepEstimator>("lsgmer", schema, node, make_lsgmer);
                      },
                      [](const YAML::Node& node) { return lsgmer::lsgmer_config_from_yaml(node).to_yaml(); }});
}

}  // namespace emofuse::models
