// The trainer's choice options (optimizer, schedule, loss_reduction): enums parsed once from the
// config (a misspelling names the field and lists the allowed values), written back by name in
// the resolved config, and checked when a Trainer is built from the C++ API.
#include <gtest/gtest.h>

#include <array>
#include <string>

#include "core/error.h"
#include "core/options.h"
#include "models/trainer.h"
#include "test_util.h"
#include "train/config.h"
#include "train/tiny_experiment.h"

using namespace emofuse;
using namespace emofuse::train;
using namespace emofuse::models;
using emofuse::testutil::error_message;

namespace {

YAML::Node config_with(const std::string& key, const std::string& value) {
  auto root = testutil::tiny_experiment_config("mlp_early", "/tmp/unused_run_dir", 4);
  root["training"][key] = value;
  return root;
}

std::string config_error(const std::string& key, const std::string& value) {
  return error_message<OptionError>([&] { parse_experiment_config(config_with(key, value)); });
}

// Every name of `table` set as training.<key>, parsed, written back as the resolved config and
// parsed again: the same value each time and the same name in the written config.
template <typename Enum, std::size_t N, typename Get>
void expect_round_trip(const std::string& key, const std::array<Choice<Enum>, N>& table, Get get) {
  for (const auto& choice : table) {
    const auto config = parse_experiment_config(config_with(key, choice.name));
    EXPECT_EQ(get(config.training), choice.value) << key << ": " << choice.name;
    const auto written = config.to_yaml();
    EXPECT_EQ(written["training"][key].template as<std::string>(), choice.name) << key;
    EXPECT_EQ(get(parse_experiment_config(written).training), choice.value) << key << ": " << choice.name;
  }
}

}  // namespace

TEST(TrainerChoices, MisspeltChoiceNamesFieldAndAllowedValues) {
  const auto optimizer = config_error("optimizer", "sgd");
  EXPECT_NE(optimizer.find("option 'training.optimizer': expected adam or adamw, got 'sgd'"), std::string::npos)
      << optimizer;
  const auto schedule = config_error("schedule", "linear");
  EXPECT_NE(schedule.find("training.schedule"), std::string::npos) << schedule;
  EXPECT_NE(schedule.find("expected none, cosine, step or exponential, got 'linear'"), std::string::npos) << schedule;
  const auto reduction = config_error("loss_reduction", "average");
  EXPECT_NE(reduction.find("training.loss_reduction"), std::string::npos) << reduction;
  EXPECT_NE(reduction.find("expected mean or sum, got 'average'"), std::string::npos) << reduction;
  // Case matters: "AdamW" is not a name.
  EXPECT_THROW(parse_experiment_config(config_with("optimizer", "AdamW")), OptionError);
}

TEST(TrainerChoices, ConstructorValidatesOptions) {
  EXPECT_NO_THROW(Trainer{TrainerOptions()});
  const auto rate = error_message<OptionError>([] { Trainer(TrainerOptions().learning_rate(-1)); });
  EXPECT_NE(rate.find("training.learning_rate"), std::string::npos) << rate;
  EXPECT_THROW(Trainer(TrainerOptions().epochs(0)), OptionError);
  EXPECT_THROW(Trainer(TrainerOptions().step_gamma(1.5)), OptionError);
  const auto optimizer =
      error_message<OptionError>([] { Trainer(TrainerOptions().optimizer(static_cast<OptimizerKind>(9))); });
  EXPECT_NE(optimizer.find("training.optimizer"), std::string::npos) << optimizer;
  EXPECT_NE(optimizer.find("adam or adamw"), std::string::npos) << optimizer;
  EXPECT_THROW(Trainer(TrainerOptions().schedule(static_cast<LrSchedule>(9))), OptionError);
  EXPECT_THROW(Trainer(TrainerOptions().loss_reduction(static_cast<LossReduction>(9))), OptionError);
}

TEST(TrainerChoices, ChoicesRoundTripThroughTheResolvedConfig) {
  expect_round_trip("optimizer", kOptimizerKinds, [](const TrainerOptions& o) { return o.optimizer(); });
  expect_round_trip("schedule", kLrSchedules, [](const TrainerOptions& o) { return o.schedule(); });
  expect_round_trip("loss_reduction", kLossReductions, [](const TrainerOptions& o) { return o.loss_reduction(); });
  // The defaults as written: the names a config.yaml has always shown.
  const auto written = parse_experiment_config(testutil::tiny_experiment_config("mlp_early", "/tmp/x", 4)).to_yaml();
  EXPECT_EQ(written["training"]["optimizer"].as<std::string>(), "adamw");
  EXPECT_EQ(written["training"]["schedule"].as<std::string>(), "cosine");
  EXPECT_EQ(written["training"]["loss_reduction"].as<std::string>(), "mean");
}

TEST(TrainerChoices, LossReductionWrappersUseTheSameNames) {
  EXPECT_EQ(parse_loss_reduction("sum", "training.loss_reduction"), LossReduction::kSum);
  EXPECT_EQ(to_string(LossReduction::kMean), "mean");
  EXPECT_THROW(parse_loss_reduction("total", "training.loss_reduction"), OptionError);
}
