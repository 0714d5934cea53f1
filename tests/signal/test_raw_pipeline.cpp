// The full raw -> features -> HeLo pipeline on simulated WESAD-layout recordings:
// write raw signals, extract window features, read them with the generic feature-CSV loader, and
// train and evaluate HeLo under LOSO.
#include <gtest/gtest.h>

#include "data/load.h"
#include "signal/datasets.h"
#include "signal/simulate.h"
#include "signal/windows.h"
#include "test_util.h"
#include "train/config.h"
#include "train/experiment.h"

using namespace emofuse;

TEST(RawPipeline, SimulatedWesadToFeaturesToHelo) {
  testutil::TempDir dir;
  signal::wesad_write_fixture(dir.file("raw"), 2, 30.0, 5);
  signal::WesadFeatureOptions o;
  o.chest = false;  // wrist only keeps the test fast
  auto table = signal::extract_wesad_features(dir.file("raw"), o);
  ASSERT_GT(table.size(), 0u);
  signal::write_feature_dataset(table, dir.file("features"));

  YAML::Node root;
  root["data"]["path"] = dir.file("features");
  root["protocol"]["name"] = "loso";
  root["protocol"]["validation_fraction"] = 0.0;  // two subjects: train on one, test the other
  root["model"]["name"] = "helo";
  root["model"]["options"] = YAML::Load("{d_model: 16, heads: 2, anchor_tokens: 4}");
  root["training"]["epochs"] = 2;
  root["training"]["progress"] = false;
  root["output"]["run_dir"] = dir.file("run");
  auto config = train::parse_experiment_config(root);
  auto loaded = data::load_data(config.data, 0);
  EXPECT_EQ(loaded.dataset.unique_subjects().size(), 2u);
  EXPECT_EQ(loaded.dataset.num_classes(), 4);  // baseline, stress, amusement, meditation
  bool has_behavioural = false;
  for (const auto& m : loaded.dataset.modalities()) has_behavioural |= m.role == data::ModalityRole::kBehavioural;
  EXPECT_TRUE(has_behavioural);  // ACC -> the OT branch runs
  train::RunOptions quiet;
  quiet.quiet = true;
  auto result = train::run_experiment(config, loaded.dataset, quiet);
  ASSERT_EQ(result.folds.size(), 2u);
  for (const auto& f : result.folds) {
    EXPECT_TRUE(std::isfinite(f.metrics.at("kl")));
    EXPECT_GT(f.test_size, 0);
  }
}
