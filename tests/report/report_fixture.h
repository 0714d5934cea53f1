// Two finished runs (HeLo and the early-fusion MLP, same two LOSO folds of a tiny synthetic
// cohort) for the report tests.
#pragma once

#include <string>

#include "../train/tiny_experiment.h"
#include "data/load.h"
#include "test_util.h"
#include "train/config.h"
#include "train/experiment.h"

namespace emofuse::testutil {

struct ReportRuns {
  std::string helo, mlp;  ///< the run folders
};

/// Trains both models (3 epochs, with early-stopping validation) into <root>/helo and
/// <root>/mlp_early; a second or so.
inline ReportRuns two_report_runs(const std::string& root) {
  ReportRuns runs{root + "/helo", root + "/mlp_early"};
  train::RunOptions quiet;
  quiet.quiet = true;
  for (const auto& [model, dir] : {std::pair<std::string, std::string>{"helo", runs.helo}, {"mlp_early", runs.mlp}}) {
    auto node = tiny_experiment_config(model, dir, /*epochs=*/3);
    node["name"] = model;
    node["training"]["min_epochs"] = 1;
    node["protocol"]["validation_fraction"] = 0.34;
    auto config = train::parse_experiment_config(node);
    if (model == "helo")
      config.model_options = YAML::Load("{d_model: 16, heads: 2, gw_iterations: 2, ipot_iterations: 5}");
    const auto data = data::load_data(config.data, config.seed).dataset;
    train::run_experiment(config, data, quiet);
  }
  return runs;
}

}  // namespace emofuse::testutil
