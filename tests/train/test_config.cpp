// The resolved configuration a run writes (every model option with its default, short floats) and
// the --set overrides that switch the model of a config file. short_double_text and
// with_short_floats themselves are tested in tests/core/test_options.cpp.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>

#include "core/error.h"
#include "core/options.h"
#include "data/load.h"
#include "models/registry.h"
#include "test_util.h"
#include "tiny_experiment.h"
#include "train/config.h"
#include "train/experiment.h"

using namespace emofuse;
using namespace emofuse::train;
using ::testing::HasSubstr;
using ::testing::Not;
namespace fs = std::filesystem;

namespace {

std::string configs_dir() {
  const char* src = std::getenv("EMOFUSE_SOURCE_DIR");
  return (fs::path(src && *src ? src : ".") / "configs").string();
}

std::string dump(const YAML::Node& node) {
  return YAML::Dump(node);
}

}  // namespace

// ------------------------------------------------------------------------------ resolved options

TEST(ConfigResolvedOptions, EveryModelRoundTripsItsDefaults) {
  // Options of the models that require some (the smallest valid set); every other model is
  // resolved from no options at all.
  const std::map<std::string, std::string> required{{"inner_cv", "{model: sa_bfgs, candidates: [{lambda: 0.1}]}"}};
  ASSERT_FALSE(models::model_registry().empty());
  for (const auto& entry : models::model_registry()) {
    SCOPED_TRACE(entry.name);
    ASSERT_TRUE(entry.resolved_options) << "no resolved_options: config.yaml would copy its options as given";
    const auto given = required.count(entry.name) ? YAML::Load(required.at(entry.name)) : YAML::Node();
    const YAML::Node resolved = entry.resolved_options(given);
    ASSERT_TRUE(resolved.IsMap());
    EXPECT_NO_THROW(entry.validate_options(resolved));
    // Read back through YAML text (as config.yaml is), the resolved options resolve to themselves.
    const YAML::Node again = entry.resolved_options(YAML::Load(dump(with_short_floats(resolved))));
    EXPECT_EQ(dump(again), dump(resolved));
    if (entry.name == "prior") {
      EXPECT_EQ(resolved.size(), 0u);  // takes no options
    } else {
      EXPECT_GT(resolved.size(), 0u);
    }
  }
}

TEST(ConfigResolvedOptions, GivenValuesKeptDefaultsFilledInBadValuesRefused) {
  const auto& helo = models::find_model("helo");
  const auto resolved = helo.resolved_options(YAML::Load("{d_model: 64, anchor: eda}"));
  EXPECT_EQ(resolved["d_model"].as<int64_t>(), 64);
  EXPECT_EQ(resolved["anchor"].as<std::string>(), "eda");
  EXPECT_EQ(resolved["heads"].as<int64_t>(), 4);  // HeloOptions default
  EXPECT_EQ(resolved["ot"].as<std::string>(), "gw");
  EXPECT_EQ(resolved["dropkey"].as<double>(), 0.5);
  EXPECT_EQ(resolved.size(), 30u);  // every TORCH_ARG of HeloOptions
  EXPECT_THROW(helo.resolved_options(YAML::Load("{ot: wasserstein}")), OptionError);
  EXPECT_THROW(models::find_model("prior").resolved_options(YAML::Load("{hidden: 3}")), OptionError);
  const auto lsgmer = models::find_model("lsgmer").resolved_options(YAML::Node());
  EXPECT_EQ(lsgmer["vocab_size"].as<int64_t>(), 4000);
  EXPECT_EQ(lsgmer["modalities"].as<std::string>(), "auto");
}

TEST(ConfigResolvedOptions, ToYamlListsEveryOptionWithShortFloatsAndReadsBack) {
  auto root = testutil::tiny_experiment_config("helo", "/tmp/unused", 1);
  root["model"]["options"]["d_model"] = 16;
  const auto config = parse_experiment_config(root);
  const auto y = config.to_yaml();
  EXPECT_EQ(y["model"]["options"]["d_model"].as<int64_t>(), 16);
  EXPECT_EQ(y["model"]["options"]["feedforward"].as<int64_t>(), 64);  // default, now written
  EXPECT_EQ(y["model"]["options"]["dropout"].Scalar(), "0.2");
  EXPECT_EQ(y["protocol"]["validation_fraction"].Scalar(), "0.2");
  const auto text = dump(y);
  EXPECT_THAT(text, Not(HasSubstr("00000000")));
  // The written configuration is itself a config that resolves to the same text.
  EXPECT_EQ(dump(parse_experiment_config(YAML::Load(text)).to_yaml()), text);
}

TEST(ConfigResolvedOptions, TinyRunWritesHelosDefaultsToConfigAndModelYaml) {
  testutil::TempDir dir;
  auto root = testutil::tiny_experiment_config("helo", dir.file("run"), /*epochs=*/1);
  root["protocol"]["max_folds"] = 1;
  root["model"]["options"] = YAML::Load("{d_model: 16, heads: 2, gw_iterations: 2, ipot_iterations: 5}");
  const auto config = parse_experiment_config(root);
  const auto data = data::load_data(config.data, config.seed).dataset;
  RunOptions quiet;
  quiet.quiet = true;
  run_experiment(config, data, quiet);
  const auto written = testutil::read_file(dir.file("run/config.yaml"));
  EXPECT_THAT(written, HasSubstr("d_model: 16"));
  EXPECT_THAT(written, HasSubstr("token_rank: 16"));        // HeLo default, not in the config
  EXPECT_THAT(written, HasSubstr("correlation: dataset"));  // HeLo default
  EXPECT_THAT(written, HasSubstr("validation_fraction: 0.2"));
  EXPECT_THAT(written, Not(HasSubstr("00000000")));
  const auto bundle = testutil::read_file(dir.file("run/folds/01_S01/model/model.yaml"));
  EXPECT_THAT(bundle, HasSubstr("token_rank: 16"));
  EXPECT_THAT(bundle, HasSubstr("dropkey: 0.5"));
  EXPECT_THAT(bundle, Not(HasSubstr("00000000")));
}

// ----------------------------------------------------------------------------- switching models

TEST(ConfigOverrides, SwitchingFromHeloKeepsNothingOfItsOptionsAndNameAndRunDirFollow) {
  auto root = load_yaml_file(configs_dir() + "/helo_wesad.yaml");
  ASSERT_EQ(root["name"].as<std::string>(), "helo_wesad");
  std::vector<std::string> notes;
  apply_overrides(root, {"model.name=mlp_early"}, &notes);
  EXPECT_FALSE(root["model"]["options"].IsDefined());
  const auto c = parse_experiment_config(root);  // HeLo's d_model, anchor ... would be refused
  EXPECT_EQ(c.model_name, "mlp_early");
  EXPECT_EQ(c.name, "mlp_early_wesad");
  EXPECT_EQ(c.run_dir, "runs/mlp_early_wesad");  // never the HeLo run's runs/helo_wesad
  EXPECT_EQ(dump(c.to_yaml()["model"]["options"]),
            dump(with_short_floats(models::find_model("mlp_early").resolved_options(YAML::Node()))));
  ASSERT_EQ(notes.size(), 2u);
  EXPECT_EQ(notes[0],
            "model.name changed from helo to mlp_early: the config's model.options (d_model, anchor, anchor_tokens) "
            "are dropped; mlp_early starts from its defaults");
  EXPECT_THAT(notes[1], HasSubstr("name changed from helo_wesad to mlp_early_wesad"));
  EXPECT_THAT(notes[1], HasSubstr("runs/mlp_early_wesad"));
  EXPECT_EQ(root["training"]["epochs"].as<int>(), 40);  // everything else stays
}

TEST(ConfigOverrides, ExplicitNameOrRunDirIsKept) {
  const auto base = load_yaml_file(configs_dir() + "/helo_wesad.yaml");
  auto root = YAML::Clone(base);
  apply_overrides(root, {"model.name=mlp_early", "name=my_mlp"});
  auto c = parse_experiment_config(root);
  EXPECT_EQ(c.name, "my_mlp");
  EXPECT_EQ(c.run_dir, "runs/my_mlp");

  root = YAML::Clone(base);
  apply_overrides(root, {"output.run_dir=/tmp/elsewhere", "model.name=late_fusion"});
  c = parse_experiment_config(root);
  EXPECT_EQ(c.name, "late_fusion_wesad");
  EXPECT_EQ(c.run_dir, "/tmp/elsewhere");

  root = YAML::Clone(base);
  root["output"]["run_dir"] = "runs/fixed";  // set in the file
  std::vector<std::string> notes;
  apply_overrides(root, {"model.name=mlp_early"}, &notes);
  c = parse_experiment_config(root);
  EXPECT_EQ(c.name, "mlp_early_wesad");
  EXPECT_EQ(c.run_dir, "runs/fixed");
  ASSERT_EQ(notes.size(), 3u);
  EXPECT_THAT(notes[1], Not(HasSubstr("default run folder")));
  EXPECT_THAT(notes[2], HasSubstr("output.run_dir stays runs/fixed"));
}

TEST(ConfigOverrides, ModelOptionsSetAroundTheSwitchAreKept) {
  auto root = load_yaml_file(configs_dir() + "/helo_wesad.yaml");
  std::vector<std::string> notes;
  apply_overrides(root, {"model.options.hidden=32", "model.name=mlp_early", "model.options.layers=1"}, &notes);
  const auto c = parse_experiment_config(root);
  const auto options = c.to_yaml()["model"]["options"];
  EXPECT_EQ(options["hidden"].as<int64_t>(), 32);
  EXPECT_EQ(options["layers"].as<int64_t>(), 1);
  EXPECT_EQ(options["dropout"].as<double>(), 0.2);  // BaselineOptions default
  EXPECT_EQ(options.size(), 3u);
  ASSERT_FALSE(notes.empty());
  EXPECT_THAT(notes[0], HasSubstr("and the model.options given with --set"));
}

TEST(ConfigOverrides, SameModelOrNoSwitchChangesNothingElse) {
  const auto base = load_yaml_file(configs_dir() + "/helo_wesad.yaml");
  auto root = YAML::Clone(base);
  std::vector<std::string> notes;
  apply_overrides(root, {"model.name=helo", "model.options.heads=2", "training.epochs=3"}, &notes);
  EXPECT_TRUE(notes.empty());
  EXPECT_EQ(root["name"].as<std::string>(), "helo_wesad");
  EXPECT_EQ(root["model"]["options"]["d_model"].as<int64_t>(), 64);
  EXPECT_EQ(root["model"]["options"]["heads"].as<int64_t>(), 2);
  EXPECT_EQ(root["training"]["epochs"].as<int>(), 3);

  // Switched there and back: the file's model, so its options stay.
  root = YAML::Clone(base);
  apply_overrides(root, {"model.name=mlp_early", "model.name=helo"}, &notes);
  EXPECT_TRUE(notes.empty());
  EXPECT_EQ(root["model"]["options"]["d_model"].as<int64_t>(), 64);
}

TEST(ConfigOverrides, NameWithoutTheModelGetsItAppended) {
  YAML::Node root =
      YAML::Load("{name: wesad_run, data: {format: synthetic}, model: {name: helo, options: {heads: 2}}}");
  apply_overrides(root, {"model.name=aa_knn"});
  EXPECT_EQ(root["name"].as<std::string>(), "wesad_run_aa_knn");
  root = YAML::Load("{name: helox, data: {format: synthetic}, model: {name: helo}}");  // not the whole word
  apply_overrides(root, {"model.name=prior"});
  EXPECT_EQ(root["name"].as<std::string>(), "helox_prior");
  root = YAML::Load("{name: mlp_early-dmer, data: {format: synthetic}}");  // model absent: mlp_early
  apply_overrides(root, {"model.name=helo"});
  EXPECT_EQ(root["name"].as<std::string>(), "helo-dmer");
  root = YAML::Load("{data: {format: synthetic}, model: {name: helo, options: {heads: 2}}}");  // no name
  apply_overrides(root, {"model.name=ldllc"});
  const auto c = parse_experiment_config(root);
  EXPECT_EQ(c.name, "ldllc");
  EXPECT_EQ(c.run_dir, "runs/ldllc");
}

TEST(ConfigOverrides, MalformedAssignmentChangesNothing) {
  auto root = load_yaml_file(configs_dir() + "/helo_wesad.yaml");
  const auto before = dump(root);
  EXPECT_THROW(apply_overrides(root, {"model.name=mlp_early", "no_equals_sign"}), OptionError);
  EXPECT_EQ(dump(root), before);
}
