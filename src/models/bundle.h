// A saved model, what `emofuse predict` and `eval` load: one folder holding
//
//   model.yaml        the model's name and every resolved option, the data schema (modalities with
//                     role and shape, class names), where it was evaluated, and the size and
//                     FNV-1a digest of every other file (checked before LibTorch reads them)
//   weights.pt        the estimator's parameters (Estimator::save)
//   standardizer.pt   the feature standardisation fitted on the training rows
//
// A bundle is written into `<dir>.partial` and renamed into place, so a kill leaves the old bundle,
// no bundle, or the new one, never a mixture.
#pragma once

#include <yaml-cpp/yaml.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "data/normalize.h"
#include "models/estimator.h"

namespace emofuse::models {

/// Where a bundle's model was evaluated: `emofuse eval` scores the fold's own test subjects by
/// default, never rows the model was trained on.
struct BundleProvenance {
  std::string fold;                        ///< e.g. "S07", "fold 3", "final (all data)"
  std::vector<std::string> test_subjects;  ///< empty: trained on every subject (final model)
  /// The model was trained on features z-scored per subject (data.normalize_per_subject): data
  /// it scores must be normalised the same way.
  bool normalize_per_subject = false;
};

/// A saved model: what `emofuse predict` / `eval` load.
struct ModelBundle {
  std::string model_name;
  /// Absent in bundles written before provenance was recorded.
  std::optional<BundleProvenance> provenance;
  YAML::Node model_options;
  data::DatasetSchema schema;
  data::Standardizer standardizer;
  std::unique_ptr<Estimator> estimator;
};

/// Writes <dir>/model.yaml, <dir>/weights.pt, <dir>/standardizer.pt and copies of `extra_files`
/// (e.g. a tokenizer), all into <dir>.partial first, then replaces <dir> by it: a reader (or a
/// kill) sees the old bundle, no bundle, or the new one, never new weights with an old model.yaml.
void save_model_bundle(const std::string& dir, const std::string& model_name, const YAML::Node& options,
                       const data::DatasetSchema& schema, const data::Standardizer& standardizer,
                       const Estimator& estimator, const std::vector<std::string>& extra_files = {},
                       const std::optional<BundleProvenance>& provenance = std::nullopt);
/// Loads a bundle; throws DataError naming the file when something is missing or inconsistent.
ModelBundle load_model_bundle(const std::string& dir);
/// Keeps and orders `data`'s modalities as the bundle's schema expects (by name), checking shapes
/// and class count; throws emofuse::Error naming the mismatch.
data::MultimodalDataset conform_to_schema(const data::MultimodalDataset& data, const data::DatasetSchema& schema);

}  // namespace emofuse::models
