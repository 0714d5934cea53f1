// Options that are a choice among fixed values: enums parsed once from YAML (a misspelling names
// the field and lists the allowed values), written back by name, and checked at construction so
// the C++ API gets the same errors as a config file. Also the option keys that were renamed to
// the shared vocabulary (d_model, heads).
#include <gtest/gtest.h>

#include <array>
#include <string>

#include "core/error.h"
#include "core/options.h"
#include "models/baselines/baselines.h"
#include "models/helo/helo.h"
#include "models/ldl/inner_cv.h"
#include "models/lsgmer/lsgmer.h"
#include "models/registry.h"
#include "test_util.h"

using namespace emofuse;
using namespace emofuse::models;
using emofuse::testutil::error_message;

namespace {

data::DatasetSchema small_schema() {
  data::DatasetSchema s;
  s.modalities = {{"eeg", data::ModalityRole::kPhysiological, {4, 5}},
                  {"gsr", data::ModalityRole::kPhysiological, {6}},
                  {"video", data::ModalityRole::kBehavioural, {8}}};
  s.class_names = {"a", "b", "c"};
  return s;
}

// The message of the OptionError that HeloOptions::from_yaml throws for `yaml`.
std::string helo_error(const std::string& yaml) {
  return error_message<OptionError>([&] { HeloOptions::from_yaml(YAML::Load(yaml)); });
}

std::string lsgmer_error(const std::string& yaml) {
  return error_message<OptionError>([&] { lsgmer::lsgmer_config_from_yaml(YAML::Load(yaml)); });
}

// Every value of `table` read from YAML as `{key: name}` through `read` (which returns the parsed
// enum and the options written back as YAML) must give that value and write the same name.
template <typename Enum, std::size_t N, typename Read>
void expect_round_trip(const std::string& key, const std::array<Choice<Enum>, N>& table, Read read) {
  for (const auto& choice : table) {
    YAML::Node node(YAML::NodeType::Map);
    node[key] = choice.name;
    const auto [value, written] = read(node);
    EXPECT_EQ(value, choice.value) << key << ": " << choice.name;
    EXPECT_EQ(written[key].template as<std::string>(), choice.name) << key;
  }
}

}  // namespace

// ------------------------------------------------------------------------------ the shared helper

namespace {
enum class Colour { kRed, kGreen, kBlue };
constexpr std::array<Choice<Colour>, 3> kColours{
    {{"red", Colour::kRed}, {"green", Colour::kGreen}, {"blue", Colour::kBlue}}};
}  // namespace

TEST(OptionChoices, HelperParsesNamesListsAllowedValuesAndWritesBack) {
  EXPECT_EQ(parse_choice("green", "paint.colour", kColours), Colour::kGreen);
  EXPECT_EQ(choice_name(Colour::kBlue, kColours), "blue");
  EXPECT_EQ(choice_names(kColours), "red, green or blue");
  EXPECT_THROW(parse_choice("Green", "paint.colour", kColours), OptionError);  // case matters
  EXPECT_EQ(error_message<OptionError>([] { parse_choice("purple", "paint.colour", kColours); }),
            "option 'paint.colour': expected red, green or blue, got 'purple'");
  // A value made by a cast from an integer is none of the table's.
  EXPECT_THROW(check_choice(static_cast<Colour>(7), "paint.colour", kColours), OptionError);
  EXPECT_THROW(choice_name(static_cast<Colour>(7), kColours), OptionError);
}

// ------------------------------------------------------------------ (a) misspelt values in YAML

TEST(OptionChoices, HeloMisspeltChoiceNamesFieldAndAllowedValues) {
  const auto fusion = helo_error("{fusion: cross-attention}");
  EXPECT_NE(fusion.find("model.options.fusion"), std::string::npos) << fusion;
  EXPECT_NE(fusion.find("expected cross_attention or concat, got 'cross-attention'"), std::string::npos) << fusion;
  const auto ot = helo_error("{ot: GW}");
  EXPECT_NE(ot.find("model.options.ot'"), std::string::npos) << ot;
  EXPECT_NE(ot.find("expected gw, sinkhorn or none, got 'GW'"), std::string::npos) << ot;
  const auto align = helo_error("{ot_align: barycenter}");
  EXPECT_NE(align.find("model.options.ot_align"), std::string::npos) << align;
  EXPECT_NE(align.find("barycentric or plan_multiply"), std::string::npos) << align;
  const auto readout = helo_error("{readout: per-class}");
  EXPECT_NE(readout.find("model.options.readout"), std::string::npos) << readout;
  EXPECT_NE(readout.find("per_class or mlp"), std::string::npos) << readout;
  const auto correlation = helo_error("{correlation: global}");
  EXPECT_NE(correlation.find("model.options.correlation"), std::string::npos) << correlation;
  EXPECT_NE(correlation.find("dataset or batch"), std::string::npos) << correlation;
  // The registry's check (what `emofuse run` calls before loading data) gives the same error.
  EXPECT_THROW(find_model("helo").validate_options(YAML::Load("{ot: GW}")), OptionError);
}

TEST(OptionChoices, LsgmerMisspeltChoiceNamesFieldAndAllowedValues) {
  const auto text = lsgmer_error("{text_input: chars}");
  EXPECT_NE(text.find("model.options.text_input"), std::string::npos) << text;
  EXPECT_NE(text.find("expected tokens or features, got 'chars'"), std::string::npos) << text;
  const auto modalities = lsgmer_error("{modalities: video}");
  EXPECT_NE(modalities.find("model.options.modalities"), std::string::npos) << modalities;
  EXPECT_NE(modalities.find("auto, both, text or audio"), std::string::npos) << modalities;
}

TEST(OptionChoices, InnerCvCriterionListsAllowedValues) {
  const auto message =
      error_message<OptionError>([] { inner_cv_criterion_from_name("mse", "model.options.criterion"); });
  EXPECT_NE(message.find("model.options.criterion"), std::string::npos) << message;
  EXPECT_NE(message.find("expected kl or chebyshev, got 'mse'"), std::string::npos) << message;
}

// ------------------------------------------------------- (b) invalid options through the C++ API

TEST(OptionChoices, HeloConstructorValidatesOptions) {
  const auto schema = small_schema();
  const auto small = [] { return HeloOptions().d_model(16).heads(2).feedforward(8); };
  EXPECT_NO_THROW(HeloModel(schema, small()));
  EXPECT_THROW(HeloModel(schema, small().d_model(-16)), OptionError);
  const auto dropkey = error_message<OptionError>([&] { HeloModel(schema, small().dropkey(1.5)); });
  EXPECT_NE(dropkey.find("model.options.dropkey"), std::string::npos) << dropkey;
  EXPECT_NE(dropkey.find("must be in [0, 1)"), std::string::npos) << dropkey;
  EXPECT_THROW(HeloModel(schema, small().heads(3)), OptionError);  // 16 is not a multiple of 3
  EXPECT_THROW(HeloModel(schema, small().sinkhorn_epsilon(0)), OptionError);
  const auto cast = error_message<OptionError>([&] { HeloModel(schema, small().ot(static_cast<OtKind>(7))); });
  EXPECT_NE(cast.find("model.options.ot'"), std::string::npos) << cast;
  EXPECT_NE(cast.find("gw, sinkhorn or none"), std::string::npos) << cast;
}

TEST(OptionChoices, LsgmerConstructorValidatesOptions) {
  const auto text_only = [] {
    return lsgmer::LsgmerOptions(3).text_index(0).num_inputs(1).vocab_size(20).d_model(8).heads(2).embedding_dim(4);
  };
  EXPECT_NO_THROW(lsgmer::Lsgmer{text_only()});
  const auto odd = error_message<OptionError>([&] { lsgmer::Lsgmer(text_only().d_model(7)); });
  EXPECT_NE(odd.find("model.options.d_model"), std::string::npos) << odd;
  EXPECT_THROW(lsgmer::Lsgmer(text_only().heads(3)), OptionError);  // does not divide 8
  EXPECT_THROW(lsgmer::Lsgmer(text_only().ema_decay(1.0)), OptionError);
  EXPECT_THROW(lsgmer::Lsgmer(text_only().dropout(-0.1)), OptionError);
}

TEST(OptionChoices, BaselineConstructorsValidateOptions) {
  const auto schema = small_schema();
  EXPECT_NO_THROW(EarlyFusionMlp(schema, BaselineOptions().hidden(8)));
  const auto dropout = error_message<OptionError>([&] { EarlyFusionMlp(schema, BaselineOptions().dropout(1.5)); });
  EXPECT_NE(dropout.find("model.options.dropout"), std::string::npos) << dropout;
  EXPECT_THROW(LateFusion(schema, BaselineOptions().hidden(0)), OptionError);
}

// ----------------------------------------------------------- (c) YAML -> options -> YAML by name

TEST(OptionChoices, HeloChoicesRoundTripThroughYaml) {
  expect_round_trip("fusion", kFusionKinds, [](const YAML::Node& n) {
    const auto o = HeloOptions::from_yaml(n);
    return std::make_pair(o.fusion(), o.to_yaml());
  });
  expect_round_trip("ot", kOtKinds, [](const YAML::Node& n) {
    const auto o = HeloOptions::from_yaml(n);
    return std::make_pair(o.ot(), o.to_yaml());
  });
  expect_round_trip("ot_align", kOtAligns, [](const YAML::Node& n) {
    const auto o = HeloOptions::from_yaml(n);
    return std::make_pair(o.ot_align(), o.to_yaml());
  });
  expect_round_trip("readout", kReadoutKinds, [](const YAML::Node& n) {
    const auto o = HeloOptions::from_yaml(n);
    return std::make_pair(o.readout(), o.to_yaml());
  });
  expect_round_trip("correlation", kCorrelationSources, [](const YAML::Node& n) {
    const auto o = HeloOptions::from_yaml(n);
    return std::make_pair(o.correlation(), o.to_yaml());
  });
  // The defaults as written are read back to the same text.
  const auto written = YAML::Dump(HeloOptions().to_yaml());
  EXPECT_EQ(YAML::Dump(HeloOptions::from_yaml(YAML::Load(written)).to_yaml()), written);
  EXPECT_NE(written.find("fusion: cross_attention"), std::string::npos) << written;
  EXPECT_NE(written.find("ot: gw"), std::string::npos) << written;
}

TEST(OptionChoices, LsgmerChoicesRoundTripThroughYaml) {
  expect_round_trip("text_input", lsgmer::kTextInputs, [](const YAML::Node& n) {
    const auto c = lsgmer::lsgmer_config_from_yaml(n);
    return std::make_pair(c.text_input, c.to_yaml());
  });
  expect_round_trip("modalities", lsgmer::kModalitySelections, [](const YAML::Node& n) {
    const auto c = lsgmer::lsgmer_config_from_yaml(n);
    return std::make_pair(c.modalities, c.to_yaml());
  });
}

TEST(OptionChoices, InnerCvCriteriaRoundTripByName) {
  for (const auto& choice : kInnerCvCriteria) {
    EXPECT_EQ(inner_cv_criterion_from_name(choice.name, "criterion"), choice.value);
    EXPECT_EQ(inner_cv_criterion_name(choice.value), choice.name);
  }
}

// ------------------------------------------------------------------------- (d) renamed option keys

TEST(OptionChoices, RenamedLsgmerKeysSayTheNewName) {
  const auto width = lsgmer_error("{hidden_dim: 64}");
  EXPECT_NE(width.find("option 'model.options.hidden_dim': renamed to 'd_model'"), std::string::npos) << width;
  const auto heads = lsgmer_error("{num_heads: 2}");
  EXPECT_NE(heads.find("option 'model.options.num_heads': renamed to 'heads'"), std::string::npos) << heads;
  // The new names are read.
  const auto c = lsgmer::lsgmer_config_from_yaml(YAML::Load("{d_model: 64, heads: 8}"));
  EXPECT_EQ(c.model.d_model(), 64);
  EXPECT_EQ(c.model.heads(), 8);
  EXPECT_EQ(c.to_yaml()["d_model"].as<int64_t>(), 64);
  EXPECT_EQ(c.to_yaml()["heads"].as<int64_t>(), 8);
  // Through the registry, as a config file is checked.
  EXPECT_THROW(find_model("lsgmer").validate_options(YAML::Load("{hidden_dim: 64}")), OptionError);
}

// ------------------------------------------------------- names of an open set: checked where used

TEST(OptionChoices, HeloAnchorListsThePhysiologicalModalities) {
  const auto message =
      error_message<OptionError>([] { HeloModel(small_schema(), HeloOptions().d_model(16).heads(2).anchor("video")); });
  EXPECT_NE(message.find("model.options.anchor"), std::string::npos) << message;
  EXPECT_NE(message.find("expected one of eeg, gsr"), std::string::npos) << message;
}
