#include <gtest/gtest.h>

#include <filesystem>

#include "core/error.h"
#include "core/io.h"
#include "data/dmer.h"
#include "data/load.h"
#include "data/mat_io.h"
#include "data/normalize.h"
#include "data/synthetic.h"
#include "data/tabular.h"
#include "test_util.h"

using namespace emofuse;
using namespace emofuse::data;
namespace fs = std::filesystem;

namespace {

MultimodalDataset make(torch::Tensor targets) {
  const int64_t n = targets.size(0);
  std::vector<std::string> classes;
  for (int64_t c = 0; c < targets.size(1); ++c) classes.push_back("c" + std::to_string(c));
  return MultimodalDataset({{"x", ModalityRole::kPhysiological, {2}}}, {torch::zeros({n, 2})}, targets,
                           torch::zeros({n}, torch::kInt64), torch::arange(n), classes, "test.csv");
}

// The message of the exception of type E that `f` throws; another type, or none, fails the test.
template <typename E = DataError>
std::string error_of(const std::function<void()>& f) {
  return testutil::error_message<E>(f);
}

}  // namespace

TEST(Dataset, RejectsBadTargetsNamingSourceAndRow) {
  EXPECT_NE(error_of([] {
              make(torch::tensor({{0.5, 0.5}, {0.7, 0.7}}));
            }).find("test.csv: targets row 1: sums to 1.4"),
            std::string::npos);
  EXPECT_NE(error_of([] { make(torch::tensor({{1.2, -0.2}})); }).find("negative"), std::string::npos);
  std::string nan_error = error_of([] { make(torch::tensor({{std::nan(""), 1.0}})); });
  EXPECT_NE(nan_error.find("not finite"), std::string::npos) << nan_error;
}

TEST(Dataset, RejectsWrongShapesAndNanFeatures) {
  auto targets = torch::tensor({{1.0, 0.0}, {0.0, 1.0}});
  EXPECT_THROW(MultimodalDataset({{"x", ModalityRole::kPhysiological, {3}}}, {torch::zeros({2, 2})}, targets,
                                 torch::zeros({2}, torch::kInt64), torch::arange(2), {"a", "b"}, "f"),
               DataError);
  auto x = torch::zeros({2, 2});
  x[1][0] = NAN;
  EXPECT_NE(error_of([&] {
              MultimodalDataset({{"x", ModalityRole::kPhysiological, {2}}}, {x}, targets,
                                torch::zeros({2}, torch::kInt64), torch::arange(2), {"a", "b"}, "f");
            }).find("modality 'x' row 1"),
            std::string::npos);
}

TEST(Dataset, SubsetAndBatchGatherRows) {
  auto d = testutil::tiny_cohort(2, 2, 2);
  auto idx = torch::tensor({3, 0}, torch::kInt64);
  auto s = d.subset(idx);
  EXPECT_EQ(s.size(), 2);
  EXPECT_TRUE(torch::equal(s.features(0)[0], d.features(0)[3]));
  EXPECT_TRUE(torch::equal(s.subjects(), d.subjects().index_select(0, idx)));
  auto b = d.batch(idx);
  EXPECT_TRUE(torch::equal(b.inputs[3], d.features(3).index_select(0, idx)));
  EXPECT_EQ(b.inputs[0].sizes(), (std::vector<int64_t>{2, 18, 5}));
}

TEST(Synthetic, DeterministicShapedAndCorrelated) {
  SyntheticOptions o;
  o.subjects = 3;
  o.clips = 8;
  o.seconds = 2;
  auto a = make_synthetic_cohort(o), b = make_synthetic_cohort(o);
  EXPECT_TRUE(torch::equal(a.dataset.features(3), b.dataset.features(3)));
  EXPECT_EQ(a.dataset.size(), 3 * 8 * 2);
  EXPECT_EQ(a.dataset.modality(0).shape, (std::vector<int64_t>{18, 5}));
  EXPECT_EQ(a.dataset.modality(1).numel(), 28);
  EXPECT_EQ(a.dataset.modality(2).numel(), 27);
  EXPECT_EQ(a.dataset.modality(3).numel(), 768);
  o.seed = 1;
  EXPECT_FALSE(torch::equal(make_synthetic_cohort(o).dataset.features(0), a.dataset.features(0)));
  // Positive-affect emotions co-occur: joy and amusement correlate positively across clips,
  // joy and anger negatively (the PANAS-like group structure).
  auto big = make_synthetic_cohort(SyntheticOptions{}).dataset.targets();
  auto corr = torch::corrcoef(big.t());
  EXPECT_GT(corr[0][1].item<double>(), 0.0);
  EXPECT_LT(corr[0][5].item<double>(), 0.0);
  // The ceiling is better than a uniform prediction but not perfect (observation noise).
  EXPECT_GT(a.ceiling["kl"], 0.0);
  EXPECT_LT(a.ceiling["kl"], 0.2);
}

TEST(Dmer, MatRoundTripIsIdentical) {
  testutil::TempDir dir;
  SyntheticOptions o;
  o.subjects = 3;
  o.clips = 5;
  o.seconds = 3;
  auto cohort = make_synthetic_cohort(o);
  write_synthetic_dmer(cohort, dir.path());
  EXPECT_TRUE(fs::exists(dir.file("S01.mat")));
  EXPECT_TRUE(fs::exists(dir.file("cohort.json")));
  auto back = load_dmer(dir.path());
  ASSERT_EQ(back.size(), cohort.dataset.size());
  for (int64_t m = 0; m < 4; ++m) {
    EXPECT_TRUE(torch::equal(back.features(m), cohort.dataset.features(m))) << "modality " << m;
    EXPECT_EQ(back.modality(m).name, cohort.dataset.modality(m).name);
  }
  EXPECT_TRUE(torch::allclose(back.targets(), cohort.dataset.targets(), 1e-6, 1e-6));
  EXPECT_TRUE(torch::equal(back.trials(), cohort.dataset.trials()));
  EXPECT_TRUE(torch::equal(back.subjects(), cohort.dataset.subjects()));
  EXPECT_EQ(back.class_names(), synthetic_class_names());
  EXPECT_EQ(back.subject_name(2), "S03");
  EXPECT_EQ(detect_format(dir.path()), "dmer");
}

TEST(Dmer, BadFilesGiveClearErrors) {
  testutil::TempDir dir;
  auto path = dir.file("S01.mat");
  // Wrong feature width.
  write_mat_matrices(
      path, {{"feas", torch::zeros({4, 10})}, {"vids", torch::ones({4, 1})}, {"dis_label", torch::ones({1, 10})}});
  EXPECT_NE(error_of([&] { load_dmer(dir.path()); }).find("S01.mat: field 'feas': expected 913 columns"),
            std::string::npos);
  // Missing variable.
  write_mat_matrices(path, {{"feas", torch::zeros({4, 913})}, {"vids", torch::ones({4, 1})}});
  EXPECT_NE(error_of([&] { load_dmer(dir.path()); }).find("field 'dis_label'"), std::string::npos);
  // Clip index beyond dis_label rows.
  write_mat_matrices(
      path,
      {{"feas", torch::zeros({4, 913})}, {"vids", torch::full({4, 1}, 3.0)}, {"dis_label", torch::ones({2, 10})}});
  EXPECT_NE(error_of([&] { load_dmer(dir.path()); }).find("field 'vids'"), std::string::npos);
  // All-zero ratings row cannot be normalised.
  write_mat_matrices(
      path, {{"feas", torch::zeros({4, 913})}, {"vids", torch::ones({4, 1})}, {"dis_label", torch::zeros({1, 10})}});
  EXPECT_NE(error_of([&] { load_dmer(dir.path()); }).find("all ratings are zero"), std::string::npos);
  // Truncated file.
  auto size = fs::file_size(path);
  fs::resize_file(path, size / 2);
  EXPECT_THROW(load_dmer(dir.path()), DataError);
  // Not a folder.
  EXPECT_THROW(load_dmer(dir.file("missing")), DataError);
}

TEST(FeatureCsv, LoadsSpecAndRejectsBadRows) {
  testutil::TempDir dir;
  testutil::write_file(dir.file("features.csv"),
                       "subject,trial,label,EDA_a,EDA_b,ACC_x\n"
                       "s1,1,calm,0.1,0.2,1\n"
                       "s1,1,calm,0.3,0.4,2\n"
                       "s2,2,stress,0.5,\"0.6\",3\r\n");
  testutil::write_file(dir.file("dataset.yaml"),
                       "format: csv\npath: features.csv\nsubject_column: subject\ntrial_column: trial\n"
                       "label_column: label\nclasses: [calm, stress]\nmodalities:\n"
                       "  - {name: eda, role: physiological, prefix: \"EDA_\"}\n"
                       "  - {name: acc, role: behavioural, columns: [ACC_x]}\n");
  YAML::Node data;
  data["path"] = dir.path();
  auto d = load_data(data, 0).dataset;
  EXPECT_EQ(d.size(), 3);
  EXPECT_EQ(d.modality(0).numel(), 2);
  EXPECT_EQ(d.modality(1).role, ModalityRole::kBehavioural);
  EXPECT_EQ(d.hard_labels()[2].item<int64_t>(), 1);
  EXPECT_EQ(d.unique_subjects().size(), 2u);
  EXPECT_NEAR(d.features(0)[2][1].item<float>(), 0.6f, 1e-6);

  testutil::write_file(dir.file("features.csv"), "subject,trial,label,EDA_a,EDA_b,ACC_x\ns1,1,calm,0.1,oops,1\n");
  EXPECT_NE(
      error_of([&] { load_data(data, 0); }).find("features.csv: line 2, column 'EDA_b': expected a finite number"),
      std::string::npos);
  testutil::write_file(dir.file("features.csv"), "subject,trial,label,EDA_a,EDA_b,ACC_x\ns1,1,calm,0.1\n");
  EXPECT_NE(error_of([&] { load_data(data, 0); }).find("line 2: expected 6 columns, got 4"), std::string::npos);
  testutil::write_file(dir.file("features.csv"), "subject,trial,label,EDA_a,EDA_b,ACC_x\ns1,1,angry,0.1,0.1,1\n");
  EXPECT_NE(error_of([&] { load_data(data, 0); }).find("label 'angry' is not one of"), std::string::npos);
}

TEST(DataOptions, UnknownFormatAndKeysAreRejectedBeforeLoading) {
  YAML::Node data;
  data["format"] = "hdf5";
  EXPECT_EQ(
      error_of<OptionError>([&] { validate_data_options(data); }),
      "option 'data.format': unknown format 'hdf5'; known: synthetic, dmer, csv, wesad_features, deap, ldl, meld");
  data["format"] = "synthetic";
  data["subjcts"] = 3;
  EXPECT_NE(error_of<OptionError>([&] { validate_data_options(data); }).find("data.subjcts"), std::string::npos);
  YAML::Node dmer;
  dmer["format"] = "dmer";
  EXPECT_THROW(validate_data_options(dmer), OptionError);  // path required
  // Every listed format is one the options reader knows (it may still ask for a path).
  ASSERT_EQ(data_formats().size(), 7u);
  for (const auto& format : data_formats()) {
    YAML::Node node;
    node["format"] = format;
    try {
      validate_data_options(node);
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()).find("unknown format"), std::string::npos) << e.what();
    }
  }
}

// One table of formats feeds the loader and its errors: the unknown-format error and the
// missing-format error list every entry, every entry is dispatched (validating it never reports an
// unknown format), and the table holds exactly the formats the loader is documented to accept.
TEST(DataOptions, FormatErrorsListEveryFormatTheLoaderAccepts) {
  const std::vector<std::string> expected{"synthetic", "dmer", "csv", "wesad_features", "deap", "ldl", "meld"};
  EXPECT_EQ(data_formats(), expected);
  ASSERT_EQ(data_format_registry().size(), expected.size());
  YAML::Node unknown;
  unknown["format"] = "hdf5";
  const auto message = error_of<OptionError>([&] { validate_data_options(unknown); });
  EXPECT_NE(message.find("unknown format 'hdf5'; known: synthetic, dmer, csv, wesad_features, deap, ldl, meld"),
            std::string::npos)
      << message;
  YAML::Node missing(YAML::NodeType::Map);
  const auto missing_message = error_of<OptionError>([&] { validate_data_options(missing); });
  EXPECT_NE(missing_message.find("required (one of synthetic, dmer, csv, wesad_features, deap, ldl, meld)"),
            std::string::npos)
      << missing_message;
  for (const auto& format : data_format_registry()) {
    EXPECT_FALSE(format.summary.empty()) << format.name;
    EXPECT_NE(message.find(format.name), std::string::npos) << format.name << " missing from: " << message;
    EXPECT_EQ(&find_data_format(format.name), &format);
    // Each listed format is known to the option check: without its other keys it passes, or
    // fails on a missing key of that format, never as an unknown format.
    YAML::Node data;
    data["format"] = format.name;
    std::string error;
    try {
      validate_data_options(data);
    } catch (const OptionError& e) {
      error = e.what();
    }
    EXPECT_EQ(error.find("unknown format"), std::string::npos) << format.name << ": " << error;
  }
}

TEST(Standardizer, UsesTrainingStatisticsOnly) {
  auto d = testutil::tiny_cohort(2, 2, 2);
  Standardizer s;
  s.fit(d);
  auto z = s.apply(d);
  EXPECT_NEAR(z.features(1).mean(0).abs().max().item<double>(), 0.0, 1e-5);
  EXPECT_NEAR(z.features(1).std(0, false).mean().item<double>(), 1.0, 1e-4);
}

TEST(RealData, WesadFeatures) {
  auto path = testutil::real_data_path("wesad_features/may14_feats4.csv");
  if (path.empty()) GTEST_SKIP() << "WESAD features not found under EMOFUSE_DATA_DIR (../shared/data)";
  auto d = load_wesad_features(path, "informative");
  EXPECT_EQ(d.size(), 1178);
  EXPECT_EQ(d.unique_subjects().size(), 15u);
  EXPECT_EQ(d.num_classes(), 3);
  EXPECT_EQ(d.modality(d.modality_index("acc")).role, ModalityRole::kBehavioural);
  EXPECT_EQ(d.modality(d.modality_index("eda")).numel(), 3);  // EDA_{phasic,smna,tonic}_std
}

TEST(RealData, DeapEegFeatures) {
  auto path = testutil::real_data_path("deap_eeg_features");
  if (path.empty()) GTEST_SKIP() << "DEAP features not found under EMOFUSE_DATA_DIR (../shared/data)";
  auto d = load_deap(path, "arousal");
  EXPECT_EQ(d.modality(0).shape, (std::vector<int64_t>{32, 5}));
  EXPECT_EQ(d.unique_subjects().size(), 32u);
  EXPECT_EQ(d.class_names(), (std::vector<std::string>{"high", "low"}));
  // Channel-major reorder: row 0, channel 1, band 0 (theta) is column 2 of the file (1-based).
  auto raw = read_csv(path + "/EEG_feature.txt", '\t');
  EXPECT_NEAR(d.features(0)[0][1][0].item<double>(), std::stod(raw.header[1]), 1e-4);
}

TEST(NormalizePerSubject, EachSubjectsFeaturesHaveZeroMeanAndUnitSpread) {
  auto data = testutil::tiny_cohort(/*subjects=*/3);
  // Give subject 1 a large offset and gain on every feature: per-subject z-scores must not see it.
  auto shifted = data;
  for (int64_t m = 0; m < data.num_modalities(); ++m) {
    auto x = data.features(m).clone();
    auto rows = (data.subjects() == data.unique_subjects()[1]).nonzero().reshape(-1);
    x.index_copy_(0, rows, x.index_select(0, rows) * 7.0 + 100.0);
    shifted.replace_features(m, x);
  }
  auto a = data::normalize_per_subject(data);
  auto b = data::normalize_per_subject(shifted);
  for (int64_t m = 0; m < data.num_modalities(); ++m) {
    EXPECT_TRUE(torch::allclose(a.features(m), b.features(m), 1e-4, 1e-4)) << data.modality(m).name;
    for (auto s : data.unique_subjects()) {
      auto rows = (data.subjects() == s).nonzero().reshape(-1);
      auto block = a.features(m).index_select(0, rows).reshape({rows.size(0), -1}).to(torch::kFloat64);
      EXPECT_LT(block.mean(0).abs().max().item<double>(), 1e-5) << data.modality(m).name << " subject " << s;
      // Every feature that varies within the subject has population std 1.
      auto spread = block.std(0, /*unbiased=*/false);
      auto varying = spread > 1e-3;
      EXPECT_LT((spread.masked_select(varying) - 1.0).abs().max().item<double>(), 1e-4);
    }
  }
  EXPECT_TRUE(torch::equal(a.targets(), data.targets()));  // labels untouched
}

TEST(NormalizePerSubject, DataOptionAppliesItAndSaysSoInTheSource) {
  YAML::Node section;
  section["format"] = "synthetic";
  section["subjects"] = 3;
  section["clips"] = 4;
  section["seconds"] = 2;
  section["normalize_per_subject"] = true;
  auto loaded = data::load_data(section, 0);
  EXPECT_NE(loaded.dataset.source().find("z-scored per subject"), std::string::npos) << loaded.dataset.source();
  auto first = loaded.dataset.unique_subjects()[0];
  auto rows = (loaded.dataset.subjects() == first).nonzero().reshape(-1);
  auto block = loaded.dataset.features(0).index_select(0, rows).reshape({rows.size(0), -1});
  EXPECT_LT(block.mean(0).abs().max().item<float>(), 1e-4);
  section["normalize_per_subject"] = "sometimes";
  EXPECT_THROW(data::validate_data_options(section), OptionError);
}
