// What the tests of tests/train share: a small experiment config that trains in well under a
// second, the exception a test throws from an epoch callback to simulate a killed run, and a run's
// metrics.json without what differs between two equal runs.
#pragma once

#include <yaml-cpp/yaml.h>
#include <nlohmann/json.hpp>

#include <stdexcept>
#include <string>
#include <vector>

namespace emofuse::testutil {

/// Leave-one-subject-out over two folds of a 4-subject synthetic cohort (6 clips x 3 s), batch 16,
/// no early stopping, one thread, no progress lines; `model` and the run folder as given.
inline YAML::Node tiny_experiment_config(const std::string& model, const std::string& run_dir, int epochs) {
  YAML::Node root;
  root["seed"] = 3;
  root["threads"] = 1;
  root["data"]["format"] = "synthetic";
  root["data"]["subjects"] = 4;
  root["data"]["clips"] = 6;
  root["data"]["seconds"] = 3;
  root["protocol"]["name"] = "loso";
  root["protocol"]["max_folds"] = 2;
  root["model"]["name"] = model;
  root["training"]["epochs"] = epochs;
  root["training"]["batch_size"] = 16;
  root["training"]["patience"] = 0;
  root["training"]["progress"] = false;
  root["output"]["run_dir"] = run_dir;
  return root;
}

/// `emofuse train` arguments: three LOSO folds of a 4-subject cohort (6 clips x 3 s), mlp_early,
/// 6 epochs, one thread, seed 1, plus the final model: four bundles per run, each run about a
/// second; `extra` arguments appended.
inline std::vector<std::string> tiny_train_args(const std::string& run_dir,
                                                const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args{"train",
                                "--format",
                                "synthetic",
                                "--set",
                                "data.subjects=4",
                                "--set",
                                "data.clips=6",
                                "--set",
                                "data.seconds=3",
                                "--set",
                                "protocol.name=loso",
                                "--set",
                                "protocol.max_folds=3",
                                "--set",
                                "model.name=mlp_early",
                                "--set",
                                "training.epochs=6",
                                "--set",
                                "training.patience=0",
                                "--set",
                                "training.batch_size=16",
                                "--set",
                                "output.final_model=true",
                                "--set",
                                "seed=1",
                                "--threads",
                                "1",
                                "--quiet",
                                "--run-dir",
                                run_dir};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

/// A run's metrics.json without what legitimately differs between two runs of one experiment:
/// the wall-clock fields (the run's, each fold's and the final model's) and the command line
/// (another --run-dir, --resume).
inline nlohmann::json without_timings(nlohmann::json j) {
  j.erase("seconds");
  j.erase("command_line");
  for (auto& fold : j["folds"]) {
    for (const char* key : {"fit_seconds", "training_seconds", "validation_seconds", "predict_seconds"})
      fold.erase(key);
  }
  if (j.contains("final_model")) {
    for (const char* key : {"fit_seconds", "training_seconds", "validation_seconds"}) j["final_model"].erase(key);
  }
  return j;
}

}  // namespace emofuse::testutil
