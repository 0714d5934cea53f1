#include "cli/window_predictor.h"

#include <filesystem>

#include "core/error.h"
#include "core/options.h"

namespace emofuse::cli {

namespace fs = std::filesystem;

WindowPredictor::WindowPredictor(const std::string& model_dir) : bundle_(models::load_model_bundle(model_dir)) {
  const std::string path = (fs::path(model_dir) / "feature_pipeline.yaml").string();
  if (!fs::exists(path)) {
    throw DataError(model_dir, "",
                    "has no feature_pipeline.yaml: the model was not trained on causal window features "
                    "(emofuse features --causal; docs/streaming.md)");
  }
  pipeline_ = signal::live_pipeline_from_yaml(load_yaml_file(path), path);
  if (bundle_.provenance && bundle_.provenance->normalize_per_subject) {
    throw DataError((fs::path(model_dir) / "model.yaml").string(), "field 'input.normalize_per_subject'",
                    "the model was trained on features z-scored per subject, which needs a whole recording; "
                    "a model that streams is trained without it");
  }
  // A schema modality takes the pipeline's feature columns that start with its prefix, in row
  // order: how load_feature_csv split the features.csv header the model was trained on.
  const auto names = pipeline_.feature_names();
  row_width_ = names.size();
  for (const auto& spec : bundle_.schema.modalities) {
    const signal::FeatureModality* found = nullptr;
    for (const auto& m : pipeline_.modalities) {
      if (m.name == spec.name) found = &m;
    }
    if (found == nullptr) {
      throw DataError(path, "field 'modalities'", "has no modality '" + spec.name + "', an input of the model");
    }
    std::vector<std::size_t> columns;
    for (std::size_t c = 0; c < names.size(); ++c) {
      if (names[c].rfind(found->prefix, 0) == 0) columns.push_back(c);
    }
    if (static_cast<int64_t>(columns.size()) != spec.numel()) {
      throw DataError(path, "field 'modalities'",
                      "modality '" + spec.name + "' gives " + std::to_string(columns.size()) +
                          " features, the model expects " + std::to_string(spec.numel()));
    }
    columns_.push_back(std::move(columns));
  }
}

torch::Tensor WindowPredictor::predict(const std::vector<const std::vector<double>*>& rows) {
  const auto n = static_cast<int64_t>(rows.size());
  std::vector<torch::Tensor> features;
  for (std::size_t m = 0; m < columns_.size(); ++m) {
    auto x = torch::empty({n, static_cast<int64_t>(columns_[m].size())}, torch::kFloat32);
    auto a = x.accessor<float, 2>();
    for (int64_t r = 0; r < n; ++r) {
      const auto& row = *rows[static_cast<std::size_t>(r)];
      if (row.size() != row_width_) {
        throw Error("WindowPredictor::predict: a row has " + std::to_string(row.size()) + " features, the pipeline " +
                    std::to_string(row_width_));
      }
      for (std::size_t c = 0; c < columns_[m].size(); ++c)
        a[r][static_cast<int64_t>(c)] = static_cast<float>(row[columns_[m][c]]);
    }
    features.push_back(x);
  }
  const auto classes = bundle_.schema.num_classes();
  data::MultimodalDataset dataset(bundle_.schema.modalities, std::move(features),
                                  torch::full({n, classes}, 1.0 / static_cast<double>(classes), torch::kFloat32),
                                  torch::zeros({n}, torch::kInt64), torch::zeros({n}, torch::kInt64),
                                  bundle_.schema.class_names, "live windows");
  return bundle_.estimator->predict(bundle_.standardizer.apply(dataset));
}

}  // namespace emofuse::cli
