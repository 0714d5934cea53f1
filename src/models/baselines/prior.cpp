#include "models/baselines/prior.h"

#include "core/error.h"
#include "core/options.h"
#include "models/registry.h"

namespace emofuse::models {

PriorEstimator::PriorEstimator(const data::DatasetSchema& schema) : classes_(schema.num_classes()) {
  TORCH_CHECK(classes_ >= 1, "prior: the dataset has no classes");
}

void PriorEstimator::fit(const data::MultimodalDataset& train, const data::MultimodalDataset&, const FitContext&) {
  TORCH_CHECK(train.num_classes() == classes_, "prior: expected ", classes_, " classes, got ", train.num_classes());
  if (train.size() == 0) throw Error("prior: empty training set");
  // Mean in float64, then renormalised so the float32 row sums to one to rounding.
  auto q = train.targets().to(torch::kFloat64).mean(0);  // [C]
  distribution_ = (q / q.sum()).to(torch::kFloat32);
}

torch::Tensor PriorEstimator::predict(const data::MultimodalDataset& data) {
  TORCH_CHECK(distribution_.defined(), "prior: predict called before fit() or load()");
  return distribution_.unsqueeze(0).expand({data.size(), classes_}).clone();  // [N, C]
}

void PriorEstimator::save(const std::string& path) const {
  TORCH_CHECK(distribution_.defined(), "prior: save called before fit()");
  torch::serialize::OutputArchive archive;
  archive.write("distribution", distribution_);
  archive.save_to(path);
}

void PriorEstimator::load(const std::string& path) {
  torch::serialize::InputArchive archive;
  torch::Tensor q;
  try {
    archive.load_from(path);
    archive.read("distribution", q);
  } catch (const c10::Error&) {
    throw DataError(path, "tensor 'distribution'", "missing or unreadable (not a prior model file?)");
  }
  if (q.dim() != 1 || q.size(0) != classes_) {
    throw DataError(
        path, "tensor 'distribution'",
        "expected " + std::to_string(classes_) + " values (one per class), got shape " + [&] {
          std::string s = "[";
          for (int64_t d = 0; d < q.dim(); ++d) s += (d ? ", " : "") + std::to_string(q.size(d));
          return s + "]";
        }());
  }
  q = q.to(torch::kFloat32);
  if (!torch::isfinite(q).all().item<bool>() || (q < 0).any().item<bool>() ||
      std::abs(q.sum().item<double>() - 1.0) > 1e-3) {
    throw DataError(path, "tensor 'distribution'",
                    "not a probability distribution (negative, non-finite or not summing to 1)");
  }
  distribution_ = q;
}

void register_prior(std::vector<ModelEntry>& registry) {
  registry.push_back({"prior", "the floor: predicts the mean training distribution (class frequencies), ignores inputs",
                      [](const YAML::Node& n) {
                        OptionReader r(n, "model.options");
                        r.finish();  // takes no options: any key is an error
                      },
                      [](const data::DatasetSchema& s, const YAML::Node&) -> std::unique_ptr<Estimator> {
                        return std::make_unique<PriorEstimator>(s);
                      },
                      [](const YAML::Node& n) {
                        OptionReader r(n, "model.options");
                        r.finish();
                        return YAML::Node(YAML::NodeType::Map);  // no options
                      }});
}

}  // namespace emofuse::models
