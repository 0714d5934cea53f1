// The small model bundle behind fuzz_bundle's inputs and seeds: an mlp_early (hidden 8) trained
// for one epoch on the synthetic cohort's gsr modality (28 features), written by
// save_model_bundle. Deterministic (seed 0), so the model.yaml seeds match the weights that
// fuzz_bundle writes next to them.
#pragma once

#include <string>

#include "data/normalize.h"
#include "data/synthetic.h"
#include "models/bundle.h"
#include "models/registry.h"

namespace emofuse::fuzz {

/// Writes model.yaml, weights.pt and standardizer.pt into `dir`.
inline void write_seed_bundle(const std::string& dir) {
  torch::manual_seed(0);
  data::SyntheticOptions o;
  o.subjects = 2;
  o.clips = 2;
  o.seconds = 1;
  const auto dataset = data::make_synthetic_cohort(o).dataset.select_modalities({"gsr"});
  data::Standardizer standardizer;
  standardizer.fit(dataset);
  YAML::Node options;
  options["hidden"] = 8;
  const auto& entry = models::find_model("mlp_early");
  entry.validate_options(options);
  const auto estimator = entry.build(dataset.schema(), options);
  models::TrainerOptions trainer;
  // One epoch: the early-stopping rule's defaults (min_epochs 5, smoothing 3) must fit in it.
  trainer.epochs(1).min_epochs(1).smoothing(1);
  models::FitContext context;
  context.trainer = &trainer;
  estimator->fit(standardizer.apply(dataset), data::MultimodalDataset{}, context);
  models::save_model_bundle(dir, "mlp_early", options, dataset.schema(), standardizer, *estimator);
}

}  // namespace emofuse::fuzz
