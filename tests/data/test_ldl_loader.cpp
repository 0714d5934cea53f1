// Tests of src/data/ldl: the LDL benchmark .mat reader, its error cases (bad files written with
// write_mat_matrices into a temporary folder), the "ldl" format of load_data, and a smoke test on
// the shared s-JAFFE file when it is present.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "core/error.h"
#include "core/runtime.h"
#include "data/ldl.h"
#include "data/load.h"
#include "data/mat_io.h"

namespace fs = std::filesystem;

namespace emofuse::data {
namespace {

fs::path fresh_dir(const std::string& name) {
  auto dir = fs::temp_directory_path() / ("emofuse_ldl_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

// Four samples, three features, six emotions; every label row sums to one exactly.
torch::Tensor good_features() {
  return torch::tensor({{0.0, 1.0, 2.0}, {1.0, 0.5, -1.0}, {2.0, 2.0, 2.0}, {-1.0, 0.0, 3.0}}, torch::kFloat64);
}
torch::Tensor good_labels() {
  return torch::tensor({{0.5, 0.1, 0.1, 0.1, 0.1, 0.1},
                        {0.0, 0.2, 0.2, 0.2, 0.2, 0.2},
                        {1.0, 0.0, 0.0, 0.0, 0.0, 0.0},
                        {0.25, 0.25, 0.125, 0.125, 0.125, 0.125}},
                       torch::kFloat64);
}

// Runs `body`, expects a DataError whose message contains every string of `parts`.
template <typename F>
void expect_data_error(F body, const std::vector<std::string>& parts) {
  try {
    body();
    FAIL() << "expected a DataError";
  } catch (const DataError& e) {
    const std::string what = e.what();
    for (const auto& p : parts) EXPECT_NE(what.find(p), std::string::npos) << "'" << p << "' not in: " << what;
  }
}

TEST(LdlLoader, ReadsAValidFileWithEmotionNames) {
  const auto path = (fresh_dir("valid") / "tiny_SJAFFE.mat").string();
  write_mat_matrices(path, {{"features", good_features()}, {"labels", good_labels()}});
  auto d = load_ldl_mat(path);
  ASSERT_EQ(d.size(), 4);
  ASSERT_EQ(d.num_modalities(), 1);
  EXPECT_EQ(d.modality(0).name, "features");
  EXPECT_EQ(d.modality(0).role, ModalityRole::kBehavioural);
  EXPECT_EQ(d.modality(0).shape, std::vector<int64_t>{3});
  // "SJAFFE" in the name and C == 6: the standard emotion order.
  EXPECT_EQ(d.class_names(), ldl_emotion_names());
  EXPECT_EQ(d.class_names().front(), "happiness");
  EXPECT_EQ(d.class_names().back(), "disgust");
  EXPECT_TRUE(torch::allclose(d.features(0).to(torch::kFloat64), good_features()));
  EXPECT_TRUE(torch::allclose(d.targets().to(torch::kFloat64), good_labels(), 1e-6, 1e-7));
  // Every sample independent: subject = trial = row index.
  EXPECT_TRUE(torch::equal(d.subjects(), torch::arange(4, torch::kInt64)));
  EXPECT_TRUE(torch::equal(d.trials(), torch::arange(4, torch::kInt64)));
  EXPECT_EQ(load_ldl_mat(path, ModalityRole::kPhysiological).modality(0).role, ModalityRole::kPhysiological);
}

TEST(LdlLoader, GenericNamesForOtherFiles) {
  const auto dir = fresh_dir("generic");
  // Six columns but no benchmark name: generic names.
  const auto six = (dir / "faces.mat").string();
  write_mat_matrices(six, {{"features", good_features()}, {"labels", good_labels()}});
  EXPECT_EQ(load_ldl_mat(six).class_names().front(), "label_0");
  // Three columns in a file called like a benchmark: still generic (C != 6).
  const auto three = (dir / "SBU_3DFE_subset.mat").string();
  write_mat_matrices(three, {{"features", good_features()}, {"labels", torch::full({4, 3}, 1.0 / 3, torch::kFloat64)}});
  EXPECT_EQ(load_ldl_mat(three).class_names(), (std::vector<std::string>{"label_0", "label_1", "label_2"}));
}

TEST(LdlLoader, MissingVariableNamesFileAndField) {
  const auto path = (fresh_dir("missing") / "no_labels.mat").string();
  write_mat_matrices(path, {{"features", good_features()}});
  expect_data_error([&] { load_ldl_mat(path); }, {"no_labels.mat", "labels", "missing"});
  const auto path2 = (fresh_dir("missing2") / "no_features.mat").string();
  write_mat_matrices(path2, {{"labels", good_labels()}});
  expect_data_error([&] { load_ldl_mat(path2); }, {"no_features.mat", "features"});
}

TEST(LdlLoader, RowCountMismatch) {
  const auto path = (fresh_dir("rows") / "rows.mat").string();
  write_mat_matrices(path, {{"features", good_features()}, {"labels", good_labels().slice(0, 0, 3)}});
  expect_data_error([&] { load_ldl_mat(path); }, {"rows.mat", "field 'labels'", "3 rows, expected 4"});
}

TEST(LdlLoader, RowNotSummingToOneIsRejectedNotRenormalised) {
  auto labels = good_labels();
  labels[2][0] = 0.5;  // row 2 now sums to 0.5
  const auto path = (fresh_dir("sum") / "sum.mat").string();
  write_mat_matrices(path, {{"features", good_features()}, {"labels", labels}});
  expect_data_error([&] { load_ldl_mat(path); },
                    {"sum.mat", "field 'labels' row 2", "sums to 0.5", "not renormalised"});
  // Within the 1e-3 tolerance: accepted as is.
  labels = good_labels();
  labels[2][0] = 1.0 + 5e-4;
  write_mat_matrices(path, {{"features", good_features()}, {"labels", labels}});
  EXPECT_EQ(load_ldl_mat(path).size(), 4);
}

TEST(LdlLoader, NanAndNegativeValues) {
  const auto dir = fresh_dir("nan");
  auto features = good_features();
  features[1][2] = std::nan("");
  const auto nan_features = (dir / "nan_features.mat").string();
  write_mat_matrices(nan_features, {{"features", features}, {"labels", good_labels()}});
  expect_data_error([&] { load_ldl_mat(nan_features); },
                    {"nan_features.mat", "field 'features' row 1 column 2", "NaN"});

  auto labels = good_labels();
  labels[3][1] = std::nan("");
  const auto nan_labels = (dir / "nan_labels.mat").string();
  write_mat_matrices(nan_labels, {{"features", good_features()}, {"labels", labels}});
  expect_data_error([&] { load_ldl_mat(nan_labels); }, {"nan_labels.mat", "field 'labels' row 3", "NaN"});

  labels = good_labels();
  labels[0][0] = 0.7;
  labels[0][1] = -0.1;  // still sums to one
  const auto negative = (dir / "negative.mat").string();
  write_mat_matrices(negative, {{"features", good_features()}, {"labels", labels}});
  expect_data_error([&] { load_ldl_mat(negative); }, {"negative.mat", "field 'labels' row 0", "negative"});
}

TEST(LdlLoader, EmptyAndMissingFiles) {
  const auto dir = fresh_dir("empty");
  expect_data_error([&] { load_ldl_mat((dir / "absent.mat").string()); }, {"absent.mat", "not found"});
  const auto empty = (dir / "empty.mat").string();
  write_mat_matrices(
      empty, {{"features", torch::zeros({0, 3}, torch::kFloat64)}, {"labels", torch::zeros({0, 6}, torch::kFloat64)}});
  expect_data_error([&] { load_ldl_mat(empty); }, {"empty.mat", "features", "empty"});
}

TEST(LdlLoader, FormatDispatchAndDetection) {
  const auto path = (fresh_dir("dispatch") / "tiny_SBU_3DFE.mat").string();
  write_mat_matrices(path, {{"features", good_features()}, {"labels", good_labels()}});
  EXPECT_EQ(detect_format(path), "ldl");
  // Every format load_data dispatches on, in the order the "unknown format" error lists them.
  EXPECT_EQ(data_formats(),
            (std::vector<std::string>{"synthetic", "dmer", "csv", "wesad_features", "deap", "ldl", "meld"}));

  YAML::Node node;
  node["path"] = path;  // format detected
  auto loaded = load_data(node, 0);
  EXPECT_EQ(loaded.dataset.size(), 4);
  EXPECT_EQ(loaded.dataset.modality(0).role, ModalityRole::kBehavioural);

  node["format"] = "ldl";
  node["role"] = "physiological";
  EXPECT_EQ(load_data(node, 0).dataset.modality(0).role, ModalityRole::kPhysiological);

  node["role"] = "text";
  EXPECT_THROW(validate_data_options(node), OptionError);
  YAML::Node no_path;
  no_path["format"] = "ldl";
  EXPECT_THROW(validate_data_options(no_path), OptionError);
  node["role"] = "behavioural";
  node["bogus"] = 1;
  EXPECT_THROW(validate_data_options(node), OptionError);
}

TEST(LdlLoader, SharedSJaffeSmoke) {
  const fs::path path = fs::path(data_dir()) / "ldl" / "SJAFFE.mat";
  if (!fs::exists(path)) {
    GTEST_SKIP() << "s-JAFFE not found at " << path << " (set EMOFUSE_DATA_DIR to the shared data folder)";
  }
  auto d = load_ldl_mat(path.string());
  // Sizes from shared/data/README.md: 213 samples x 243 features, 6 emotions.
  EXPECT_EQ(d.size(), 213);
  EXPECT_EQ(d.modality(0).numel(), 243);
  EXPECT_EQ(d.class_names(), ldl_emotion_names());
  auto sums = d.targets().to(torch::kFloat64).sum(1);
  EXPECT_LT((sums - 1).abs().max().item<double>(), 1e-3);
}

}  // namespace
}  // namespace emofuse::data
