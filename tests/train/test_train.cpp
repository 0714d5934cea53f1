#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/io.h"
#include "data/load.h"
#include "models/registry.h"
#include "models/trainer.h"
#include "test_util.h"
#include "tiny_experiment.h"
#include "train/config.h"
#include "train/experiment.h"

using namespace emofuse;
using namespace emofuse::train;
using namespace emofuse::models;
namespace fs = std::filesystem;

namespace {

// Two LOSO folds of a 4-subject cohort, four epochs.
YAML::Node tiny_config(const std::string& model, const std::string& run_dir) {
  return testutil::tiny_experiment_config(model, run_dir, /*epochs=*/4);
}

using testutil::SimulatedKill;

}  // namespace

// The lines of a history.csv without the last column (the seconds an epoch took, which differ
// from run to run).
static std::vector<std::string> csv_lines(const std::string& text) {
  std::vector<std::string> out;
  for (const auto& line : split_lines(text)) out.push_back(line.substr(0, line.rfind(',')));
  return out;
}

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

// Where each fit's time went: the training batches and the validation passes are parts of the
// fold's fit, counted per epoch; the final model's fit is reported beside the folds.
TEST(Experiment, MetricsBreakDownEveryFitsTime) {
  testutil::TempDir dir;
  auto root = tiny_config("mlp_early", dir.file("run"));
  root["output"]["final_model"] = true;
  auto config = parse_experiment_config(root);
  auto data = data::load_data(config.data, config.seed).dataset;
  RunOptions quiet;
  quiet.quiet = true;
  auto result = run_experiment(config, data, quiet);
  std::ifstream in(dir.file("run/metrics.json"));
  const auto j = nlohmann::json::parse(in);
  ASSERT_TRUE(j.contains("final_model"));
  std::vector<nlohmann::json> fits(j["folds"].begin(), j["folds"].end());
  fits.push_back(j["final_model"]);
  for (const auto& fit : fits) {
    const double training = fit["training_seconds"].get<double>(), validation = fit["validation_seconds"].get<double>();
    EXPECT_GT(training, 0.0);
    EXPECT_GT(validation, 0.0);  // every fit here has validation subjects
    EXPECT_LE(training + validation, fit["fit_seconds"].get<double>());
    EXPECT_EQ(fit["epochs_run"].get<int64_t>(), 4);
  }
  // The final model trains on every subject but its validation share.
  EXPECT_EQ(j["final_model"]["train_size"].get<int64_t>() + j["final_model"]["validation_size"].get<int64_t>(),
            data.size());
  // The result returned in memory carries the same figures.
  EXPECT_DOUBLE_EQ(result.folds[0].training_seconds, j["folds"][0]["training_seconds"].get<double>());
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
  // Both runs trained and scored both folds: equal metrics of no fold would prove nothing.
  ASSERT_EQ(a.folds.size(), 2u);
  ASSERT_EQ(b.folds.size(), a.folds.size());
  for (size_t f = 0; f < a.folds.size(); ++f) {
    EXPECT_FALSE(a.folds[f].metrics.empty()) << "fold " << f;
    EXPECT_EQ(a.folds[f].metrics, b.folds[f].metrics);
  }
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
  ASSERT_EQ(full.folds.size(), 2u);  // the comparison below covers both folds

  config.run_dir = dir.file("killed");
  int epochs_seen = 0;
  double fold2_validation_seconds = 0;  // fold 2's validation time, summed over both runs
  RunOptions kill_at_6 = quiet;
  // Fold 1 has 4 epochs; stop during fold 2 after its 2nd epoch (6 epochs in all).
  kill_at_6.on_epoch_end = [&](const std::string&, const EpochRecord& record) {
    if (++epochs_seen > 4) fold2_validation_seconds += record.validation_seconds;
    if (epochs_seen == 6) throw SimulatedKill();
  };
  EXPECT_THROW(run_experiment(config, data, kill_at_6), SimulatedKill);
  EXPECT_TRUE(fs::exists(dir.file("killed/folds/01_S01/metrics.json")));
  EXPECT_TRUE(fs::exists(dir.file("killed/folds/02_S02/checkpoint.pt")));
  // history.csv is written as training goes: the killed fold has its two epochs.
  const auto killed_history = csv_lines(testutil::read_file(dir.file("killed/folds/02_S02/history.csv")));
  ASSERT_EQ(killed_history.size(), 3u);  // header and epochs 1, 2
  EXPECT_EQ(killed_history[0],
            "epoch,train_loss,train_corr,train_kl,validation_accuracy,validation_canberra,validation_chebyshev,"
            "validation_clark,validation_cosine,validation_intersection,validation_kl,validation_loss,"
            "validation_macro_f1,validation_uar,validation_weighted_f1,learning_rate");
  RunOptions resume = quiet;
  resume.resume = true;
  resume.on_epoch_end = [&](const std::string&, const EpochRecord& record) {
    fold2_validation_seconds += record.validation_seconds;
  };
  auto resumed = run_experiment(config, data, resume);
  ASSERT_EQ(resumed.folds.size(), full.folds.size());
  // The resumed fold's validation time counts the two epochs before the kill (kept in its
  // checkpoint) and the two after.
  EXPECT_NEAR(resumed.folds[1].validation_seconds, fold2_validation_seconds, 1e-9);
  for (size_t f = 0; f < full.folds.size(); ++f) {
    EXPECT_FALSE(full.folds[f].metrics.empty()) << "fold " << f;
    for (const auto& [name, value] : full.folds[f].metrics) {
      EXPECT_NEAR(resumed.folds[f].metrics.at(name), value, 1e-9) << "fold " << f << " " << name;
    }
  }
  // After the resume each fold's history is the uninterrupted run's, epoch for epoch (every
  // column but the seconds), and HeLo's folds show their label matrices and transport plan.
  for (const char* fold : {"01_S01", "02_S02"}) {
    const std::string history = std::string("folds/") + fold + "/history.csv";
    const auto a = csv_lines(testutil::read_file(dir.file("full/" + history)));
    EXPECT_EQ(a.size(), 5u) << history;  // header and 4 epochs
    EXPECT_EQ(csv_lines(testutil::read_file(dir.file("killed/" + history))), a) << history;
    const auto views =
        nlohmann::json::parse(testutil::read_file(dir.file(std::string("killed/folds/") + fold + "/model_views.json")));
    EXPECT_EQ(views.at("matrices").at("label_correlation").size(), 10u) << fold;
    EXPECT_EQ(views.at("matrices").at("label_similarity").size(), 10u) << fold;
    EXPECT_GT(views.at("matrices").at("ot_plan").size(), 0u) << fold;
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

TEST(Config, EarlyStoppingScheduleAndReductionOptions) {
  auto root = tiny_config("mlp_early", "/tmp/x");  // 4 epochs
  auto c = parse_experiment_config(root);
  EXPECT_EQ(c.training.min_epochs(), 4);  // omitted: min(5, epochs)
  EXPECT_EQ(c.training.smoothing(), 3);
  EXPECT_EQ(c.training.loss_reduction(), LossReduction::kMean);
  root["training"]["epochs"] = 30;
  c = parse_experiment_config(root);
  EXPECT_EQ(c.training.min_epochs(), 5);
  EXPECT_DOUBLE_EQ(c.training.decay_gamma(), 0.99);
  // Round trip through the run folder's config.yaml.
  root["training"]["schedule"] = "exponential";
  root["training"]["decay_gamma"] = 0.9;
  root["training"]["loss_reduction"] = "sum";
  root["training"]["min_epochs"] = 0;
  root["training"]["smoothing"] = 1;
  auto again = parse_experiment_config(parse_experiment_config(root).to_yaml());
  EXPECT_EQ(again.training.schedule(), LrSchedule::kExponential);
  EXPECT_DOUBLE_EQ(again.training.decay_gamma(), 0.9);
  EXPECT_EQ(again.training.loss_reduction(), LossReduction::kSum);
  EXPECT_EQ(again.training.min_epochs(), 0);
  EXPECT_EQ(again.training.smoothing(), 1);

  const std::vector<std::pair<std::string, YAML::Node>> bad = {
      {"training.min_epochs", YAML::Load("{epochs: 4, min_epochs: 5}")},
      {"training.min_epochs", YAML::Load("{min_epochs: -1}")},
      {"training.smoothing", YAML::Load("{smoothing: 0}")},
      {"training.smoothing", YAML::Load("{epochs: 2, smoothing: 3}")},
      {"training.decay_gamma", YAML::Load("{decay_gamma: 1.5}")},
      {"training.loss_reduction", YAML::Load("{loss_reduction: batchmean}")},
      {"training.schedule", YAML::Load("{schedule: exp}")},
  };
  for (const auto& [field, training] : bad) {
    auto r = tiny_config("mlp_early", "/tmp/x");
    for (const auto& kv : training) r["training"][kv.first.as<std::string>()] = kv.second;
    try {
      parse_experiment_config(r);
      ADD_FAILURE() << "accepted " << YAML::Dump(training);
    } catch (const OptionError& e) {
      EXPECT_NE(std::string(e.what()).find(field), std::string::npos) << e.what();
    }
  }
}
