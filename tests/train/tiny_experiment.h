// What the tests of tests/train share: a small experiment config that trains in well under a
// second, and the exception a test throws from an epoch callback to simulate a killed run.
#pragma once

#include <yaml-cpp/yaml.h>

#include <stdexcept>
#include <string>

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

}  // namespace emofuse::testutil
