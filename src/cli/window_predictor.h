// A saved model that predicts from live windows (`emofuse stream`, bench_stream): the model bundle,
// the feature pipeline it was trained on (its feature_pipeline.yaml) and the mapping of the
// pipeline's feature row onto the model's modalities, checked once when it is loaded.
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

#include "models/bundle.h"
#include "signal/live_features.h"

namespace emofuse::cli {

class WindowPredictor {
 public:
  /// Loads the bundle at `model_dir` and its feature_pipeline.yaml. Throws DataError naming the
  /// file when the bundle has no pipeline (the model was not trained on `emofuse features
  /// --causal` output), when the pipeline's modalities do not give the model's inputs (a name
  /// missing, a column count differing) or when the model needs per-subject normalisation
  /// (which needs the whole recording).
  explicit WindowPredictor(const std::string& model_dir);

  const signal::LivePipeline& pipeline() const { return pipeline_; }
  const std::vector<std::string>& class_names() const { return bundle_.schema.class_names; }
  const std::string& model_name() const { return bundle_.model_name; }

  /// Distributions [rows.size(), C] for feature rows in pipeline().feature_names() order, each
  /// standardised as the training rows were: the same numbers `emofuse predict` gives for these
  /// rows in a features.csv.
  torch::Tensor predict(const std::vector<const std::vector<double>*>& rows);

 private:
  models::ModelBundle bundle_;
  signal::LivePipeline pipeline_;
  std::vector<std::vector<std::size_t>> columns_;  // per schema modality: its feature row columns
  std::size_t row_width_ = 0;                      // pipeline_.feature_names().size()
};

}  // namespace emofuse::cli
