// Reading options from YAML (src/core/options.h): OptionReader's defaults and errors, YAML files,
// and the short float text a resolved configuration is written with.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>

#include "core/error.h"
#include "core/options.h"
#include "test_util.h"

using namespace emofuse;
using ::testing::HasSubstr;

// ------------------------------------------------------------------------------------ short floats

TEST(ConfigShortFloats, ShortestTextReadsBackExactly) {
  EXPECT_EQ(short_double_text(0.2), "0.2");
  EXPECT_EQ(short_double_text(1e-3), "0.001");    // fixed wins a tie with 1e-03
  EXPECT_EQ(short_double_text(1e-7), "1.0e-07");  // a point in the mantissa: PyYAML reads a number
  EXPECT_EQ(short_double_text(1.0), "1");
  EXPECT_EQ(short_double_text(-2.5), "-2.5");
  for (double v : {0.1, 0.2, 1.0 / 3.0, 1e-5, 1e-7, 6.02214076e23, 5e-324, std::numeric_limits<double>::max(), -0.0,
                   123456789.125}) {
    const auto text = short_double_text(v);
    EXPECT_EQ(YAML::Load(text).as<double>(), v) << text;
  }
}

TEST(ConfigShortFloats, OnlyDoublesWrittenByYamlCppAreShortened) {
  YAML::Node y;
  y["fraction"] = 0.2;  // yaml-cpp stores "0.20000000000000001"
  y["nested"]["rates"].push_back(1e-5);
  y["nested"]["rates"].push_back(0.5);
  y["typed"] = YAML::Load("1e-3");  // as a user wrote it: kept
  y["count"] = 7;
  y["label"] = "1.10";
  ASSERT_EQ(y["fraction"].Scalar(), "0.20000000000000001");
  const auto s = with_short_floats(y);
  EXPECT_EQ(s["fraction"].Scalar(), "0.2");
  EXPECT_EQ(s["nested"]["rates"][0].Scalar(), "1.0e-05");
  EXPECT_EQ(s["nested"]["rates"][1].Scalar(), "0.5");
  EXPECT_EQ(s["typed"].Scalar(), "1e-3");
  EXPECT_EQ(s["count"].Scalar(), "7");
  EXPECT_EQ(s["label"].Scalar(), "1.10");
  EXPECT_EQ(y["fraction"].Scalar(), "0.20000000000000001");  // the input is not modified
  EXPECT_EQ(s["nested"]["rates"][0].as<double>(), 1e-5);
}

// ------------------------------------------------------------------------------------ OptionReader

TEST(OptionReader, AbsentKeysGiveTheFallbackAndPresentOnesTheirValue) {
  OptionReader r(YAML::Load("{epochs: 7, name: helo, rate: 0.5, on: true}"), "training");
  EXPECT_EQ(r.get<int>("epochs", 3), 7);
  EXPECT_EQ(r.get<std::string>("name", "prior"), "helo");
  EXPECT_DOUBLE_EQ(r.get<double>("rate", 0.1), 0.5);
  EXPECT_TRUE(r.get<bool>("on", false));
  EXPECT_EQ(r.get<int>("patience", 5), 5);
  EXPECT_TRUE(r.has("epochs"));
  EXPECT_FALSE(r.has("patience"));
  EXPECT_NO_THROW(r.finish());  // every key was read
  // A null or undefined node holds only defaults.
  OptionReader none(YAML::Node(), "model.options");
  EXPECT_EQ(none.get<int>("layers", 2), 2);
  EXPECT_FALSE(none.node("layers").IsDefined());
  EXPECT_NO_THROW(none.finish());
}

TEST(OptionReader, WrongTypeNamesTheOptionAndTheExpectedType) {
  OptionReader r(YAML::Load("{epochs: many, rate: fast, on: maybe}"), "training");
  EXPECT_EQ(testutil::error_message<OptionError>([&] { r.get<int>("epochs", 3); }),
            "option 'training.epochs': cannot read 'many' as an integer");
  EXPECT_EQ(testutil::error_message<OptionError>([&] { r.get<double>("rate", 0.1); }),
            "option 'training.rate': cannot read 'fast' as a number");
  EXPECT_EQ(testutil::error_message<OptionError>([&] { r.get<bool>("on", false); }),
            "option 'training.on': cannot read 'maybe' as a boolean");
}

TEST(OptionReader, UnknownKeyIsNamedWithTheKnownOnes) {
  OptionReader r(YAML::Load("{epochs: 3, epohcs: 4}"), "training");
  r.get<int>("epochs", 1);
  r.node("patience");  // read as a raw node: known too
  EXPECT_EQ(testutil::error_message<OptionError>([&] { r.finish(); }),
            "option 'training.epohcs': unknown option; known: epochs, patience");
  OptionReader top(YAML::Load("{sed: 1}"), "");  // no prefix: the key alone
  top.get<int>("seed", 0);
  EXPECT_EQ(testutil::error_message<OptionError>([&] { top.finish(); }), "option 'sed': unknown option; known: seed");
}

TEST(OptionReader, ScalarOrListWhereAMappingBelongsIsRefused) {
  EXPECT_EQ(testutil::error_message<OptionError>([] { OptionReader(YAML::Load("[1, 2]"), "data"); }),
            "option 'data': expected a mapping of key: value");
  EXPECT_EQ(testutil::error_message<OptionError>([] { OptionReader(YAML::Load("3"), "model.options"); }),
            "option 'model.options': expected a mapping of key: value");
}

// ------------------------------------------------------------------------------------ YAML files

TEST(LoadYamlFile, ReadsAFileAndNamesMissingOrBrokenOnes) {
  testutil::TempDir dir;
  testutil::write_file(dir.file("ok.yaml"), "seed: 4\nmodel: {name: helo}\n");
  const auto node = load_yaml_file(dir.file("ok.yaml"));
  EXPECT_EQ(node["seed"].as<int>(), 4);
  EXPECT_EQ(node["model"]["name"].as<std::string>(), "helo");
  EXPECT_EQ(testutil::error_message<DataError>([&] { load_yaml_file(dir.file("none.yaml")); }),
            dir.file("none.yaml") + ": cannot open file");
  // A syntax error names the file and the line (1-based).
  testutil::write_file(dir.file("bad.yaml"), "seed: 4\nmodel: {name: helo\n");
  EXPECT_THAT(testutil::error_message<DataError>([&] { load_yaml_file(dir.file("bad.yaml")); }),
              HasSubstr(dir.file("bad.yaml") + ": line "));
}
