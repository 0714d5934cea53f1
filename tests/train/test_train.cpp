#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "data/load.h"
#include "models/registry.h"
#include "test_util.h"
#include "tiny_experiment.h"
#include "train/config.h"
#include "train/experiment.h"

using namespace emofuse;
using namespace emofuse::train;
namespace fs = std::filesystem;

namespace {

// Two LOSO folds of a 4-subject cohort, four epochs.
YAML::Node tiny_config(const std::string& model, const std::string& run_dir) {
  return testutil::tiny_experiment_config(model, run_dir, /*epochs=*/4);
}

using testutil::SimulatedKill;

}  // namespace

TEST(Config, OverridesAndValidation) {
  YAML::Node root = tiny_config("mlp_early", "/tmp/x");
  apply_override(root, "training.learning_rate=0.01");
  apply_override(root, "data.select=[eeg, gsr]");
  auto c = parse_experiment_config(root);
  EXPECT_DOUBLE_EQ(c.training.learning_rate(), 0.01);
  EXPECT_EQ(c.data["select"].size(), 2u);
  EXPECT_THROW(apply_override(root, "no_equals_sign"), OptionError);

  auto bad = tiny_config("mlp_early", "/tmp/x");
  bad["training"]["learning_rate"] = -1;
  EXPECT_THROW(parse_experiment_config(bad), OptionError);
  bad = tiny_config("mlp_erly", "/tmp/x");
  EXPECT_THROW(parse_experiment_config(bad), OptionError);
  bad = tiny_config("mlp_early", "/tmp/x");
  bad["training"]["epohcs"] = 3;
  EXPECT_THROW(parse_experiment_config(bad), OptionError);
  bad = tiny_config("helo", "/tmp/x");
  bad["model"]["options"]["ot"] = "wasserstein";
  EXPECT_THROW(parse_experiment_config(bad), OptionError);
  bad = tiny_config("mlp_early", "/tmp/x");
  bad["training"]["batch_size"] = "many";
  EXPECT_THROW(parse_experiment_config(bad), OptionError);
}

TEST(Trainer, LearningRateSchedules) {
  TrainerOptions o;
  o.epochs(10).schedule("cosine");
  EXPECT_DOUBLE_EQ(o.lr_factor(0), 1.0);
  EXPECT_NEAR(o.lr_factor(5), 0.5, 1e-12);  // cos(pi/2) = 0 -> 0.5
  o.schedule("step").step_size(3).step_gamma(0.5);
  EXPECT_DOUBLE_EQ(o.lr_factor(7), 0.25);  // floor(7/3) = 2 halvings
  o.schedule("none").warmup_epochs(2);
  EXPECT_NEAR(o.lr_factor(0), 1.0 / 3.0, 1e-12);
}

TEST(Experiment, EndToEndWritesRunFolderAndBundlePredicts) {
  testutil::TempDir dir;
  auto config = parse_experiment_config(tiny_config("mlp_early", dir.file("run")));
  auto data = data::load_data(config.data, config.seed).dataset;
  RunOptions quiet;
  quiet.quiet = true;
  auto result = run_experiment(config, data, quiet);
  ASSERT_EQ(result.folds.size(), 2u);
  for (const char* f : {"config.yaml", "metrics.json", "metrics.csv", "summary.md", "predictions.csv"}) {
    EXPECT_TRUE(fs::exists(dir.file("run/") + f)) << f;
  }
  EXPECT_TRUE(fs::exists(dir.file("run/folds/01_S01/model/model.yaml")));
  EXPECT_FALSE(fs::exists(dir.file("run/folds/01_S01/checkpoint.pt")));  // removed once complete
  std::ifstream in(dir.file("run/metrics.json"));
  auto j = nlohmann::json::parse(in);
  EXPECT_EQ(j["folds"].size(), 2u);
  EXPECT_FALSE(j["leaky"].get<bool>());
  EXPECT_NEAR(j["summary"]["kl"]["mean"].get<double>(),
              (result.folds[0].metrics["kl"] + result.folds[1].metrics["kl"]) / 2, 1e-9);
  // Metrics are computed on every test sample: fold 1 tests subject 0's 6 x 3 = 18 rows.
  EXPECT_EQ(result.folds[0].test_size, 18);

  // The saved bundle reproduces the fold's test predictions.
  auto bundle = load_model_bundle(dir.file("run/folds/01_S01/model"));
  auto test_rows = (data.subjects() == 0).nonzero().flatten();
  auto test = bundle.standardizer.apply(conform_to_schema(data.subset(test_rows), bundle.schema));
  auto predictions = bundle.estimator->predict(test);
  auto again = metrics::evaluate_predictions(predictions, test.targets(), test.hard_labels());
  EXPECT_NEAR(again["kl"], result.folds[0].metrics["kl"], 1e-5);
  EXPECT_THROW(load_model_bundle(dir.file("run/folds")), DataError);
}

TEST(Experiment, SameSeedSameMetrics) {
  testutil::TempDir dir;
  RunOptions quiet;
  quiet.quiet = true;
  auto config = parse_experiment_config(tiny_config("late_fusion", dir.file("a")));
  auto data = data::load_data(config.data, config.seed).dataset;
  auto a = run_experiment(config, data, quiet);
  config.run_dir = dir.file("b");
  auto b = run_experiment(config, data, quiet);
  for (size_t f = 0; f < a.folds.size(); ++f) EXPECT_EQ(a.folds[f].metrics, b.folds[f].metrics);
}

// A run killed after an epoch and resumed gives the same final metrics as an uninterrupted one.
TEST(Experiment, KilledAndResumedRunMatchesUninterrupted) {
  testutil::TempDir dir;
  RunOptions quiet;
  quiet.quiet = true;
  auto config = parse_experiment_config(tiny_config("helo", dir.file("full")));
  config.model_options = YAML::Load("{d_model: 16, heads: 2, gw_iterations: 2, ipot_iterations: 5}");
  auto data = data::load_data(config.data, config.seed).dataset;
  auto full = run_experiment(config, data, quiet);

  config.run_dir = dir.file("killed");
  int epochs_seen = 0;
  RunOptions kill_at_6 = quiet;
  // Fold 1 has 4 epochs; stop during fold 2 after its 2nd epoch (6 epochs in all).
  kill_at_6.on_epoch_end = [&](const std::string&, const EpochRecord&) {
    if (++epochs_seen == 6) throw SimulatedKill();
  };
  EXPECT_THROW(run_experiment(config, data, kill_at_6), SimulatedKill);
  EXPECT_TRUE(fs::exists(dir.file("killed/folds/01_S01/metrics.json")));
  EXPECT_TRUE(fs::exists(dir.file("killed/folds/02_S02/checkpoint.pt")));
  RunOptions resume = quiet;
  resume.resume = true;
  auto resumed = run_experiment(config, data, resume);
  ASSERT_EQ(resumed.folds.size(), full.folds.size());
  for (size_t f = 0; f < full.folds.size(); ++f) {
    for (const auto& [name, value] : full.folds[f].metrics) {
      EXPECT_NEAR(resumed.folds[f].metrics.at(name), value, 1e-9) << "fold " << f << " " << name;
    }
  }
}

TEST(Trainer, NonFiniteLossStopsWithAClearMessage) {
  testutil::TempDir dir;
  auto root = tiny_config("mlp_early", dir.file("nan"));
  root["training"]["learning_rate"] = 1e30;  // diverges at once
  root["training"]["grad_clip"] = 0;
  auto config = parse_experiment_config(root);
  auto data = data::load_data(config.data, config.seed).dataset;
  RunOptions quiet;
  quiet.quiet = true;
  try {
    run_experiment(config, data, quiet);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("non-finite"), std::string::npos) << e.what();
  }
}
