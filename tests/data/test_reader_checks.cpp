// Bad inputs that the readers of src/data/ used to accept or misreport: truncated .mat files
// (plain and zlib-compressed), out-of-range or fractional ids and labels, single-class targets,
// empty subjects, values too large for float32, missing variables; and the `renormalise` option.
// Every case asserts the exception type and that the message names the file and the field.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <matio.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include "core/error.h"
#include "data/dmer.h"
#include "data/ldl.h"
#include "data/load.h"
#include "data/mat_io.h"
#include "data/synthetic.h"
#include "data/tabular.h"
#include "test_util.h"

using namespace emofuse;
using namespace emofuse::data;
using ::testing::HasSubstr;
using ::testing::Not;
namespace fs = std::filesystem;

namespace {

// Runs `body`, expects exception type E and returns its message ("" when none was thrown).

void cut_end(const std::string& path, uintmax_t bytes) {
  fs::resize_file(path, fs::file_size(path) - bytes);
}

// One DMER subject: 4 rows, clip ids 1 1 2 40 into 40 clips of 10 ratings. The ratings are
// random so that even compressed they fill more than the last 100 bytes of the file.
void write_subject(const std::string& path, bool compress) {
  auto feas = torch::linspace(-1, 1, 4 * 913, torch::kFloat64).reshape({4, 913});
  auto vids = torch::tensor({1.0, 1.0, 2.0, 40.0}, torch::kFloat64).reshape({4, 1});
  auto ratings = torch::rand({40, 10}, torch::kFloat64) + 0.1;
  write_mat_matrices(path, {{"feas", feas}, {"vids", vids}, {"dis_label", ratings}}, compress);
}

torch::Tensor ldl_features() {
  return torch::arange(12, torch::kFloat64).reshape({4, 3});
}
torch::Tensor ldl_labels() {
  return torch::full({4, 3}, 1.0 / 3, torch::kFloat64);
}

}  // namespace

// A file cut short at its end used to load, with matio filling the missing values from
// uninitialised memory. Both the plain and the zlib-compressed layout are checked.
TEST(MatTruncation, DmerSubjectCutAtTheEndIsRejected) {
  for (bool compress : {false, true}) {
    for (uintmax_t cut : {8u, 100u}) {
      testutil::TempDir dir;
      const auto path = dir.file("S01.mat");
      write_subject(path, compress);
      ASSERT_EQ(load_dmer(dir.path()).size(), 4) << "the complete file must load";
      cut_end(path, cut);
      const auto msg = testutil::error_message<DataError>([&] { load_dmer(dir.path()); });
      EXPECT_THAT(msg, HasSubstr("S01.mat: field 'dis_label': truncated")) << "compress " << compress << " cut " << cut;
    }
  }
}

TEST(MatTruncation, SyntheticDmerCohortCutAtTheEndIsRejected) {
  testutil::TempDir dir;
  SyntheticOptions o;
  o.subjects = 2;
  o.clips = 3;
  o.seconds = 2;
  write_synthetic_dmer(make_synthetic_cohort(o), dir.path());
  ASSERT_EQ(load_dmer(dir.path()).size(), 2 * 3 * 2);
  cut_end(dir.file("S02.mat"), 8);
  EXPECT_THAT(testutil::error_message<DataError>([&] { load_dmer(dir.path()); }),
              HasSubstr("S02.mat: field 'dis_label': truncated"));
}

TEST(MatTruncation, LdlFileCutAtTheEndIsRejected) {
  for (bool compress : {false, true}) {
    for (uintmax_t cut : {8u, 100u}) {
      testutil::TempDir dir;
      const auto path = dir.file("cut.mat");
      // Enough rows that cutting 100 bytes stays inside the last variable.
      write_mat_matrices(path,
                         {{"features", torch::rand({50, 3}, torch::kFloat64)},
                          {"labels", torch::softmax(torch::randn({50, 4}, torch::kFloat64), 1)}},
                         compress);
      ASSERT_EQ(load_ldl_mat(path).size(), 50);
      cut_end(path, cut);
      EXPECT_THAT(testutil::error_message<DataError>([&] { load_ldl_mat(path); }),
                  HasSubstr("cut.mat: field 'labels': truncated"))
          << "compress " << compress << " cut " << cut;
      // Reading the intact first variable of a truncated file fails as well.
      EXPECT_THAT(testutil::error_message<DataError>([&] { read_mat_matrix(path, "features"); }),
                  HasSubstr("truncated"));
    }
  }
}

TEST(MatTruncation, CompressedFileRoundTripsAndNamesItsVariables) {
  testutil::TempDir dir;
  const auto path = dir.file("z.mat");
  auto x = torch::rand({7, 5}, torch::kFloat64);
  write_mat_matrices(path, {{"x", x}, {"labels", ldl_labels()}}, /*compress=*/true);
  EXPECT_TRUE(torch::equal(read_mat_matrix(path, "x"), x));
  EXPECT_EQ(mat_variable_names(path), (std::vector<std::string>{"x", "labels"}));
}

// "variable missing (or the file is truncated)" for a complete file misled; the message now lists
// what the file holds and mentions truncation only for a truncated file.
TEST(MatMissingVariable, ListsTheVariablesTheFileHolds) {
  testutil::TempDir dir;
  const auto path = dir.file("no_labels.mat");
  write_mat_matrices(path, {{"features", ldl_features()}, {"targets", ldl_labels()}});
  const auto msg = testutil::error_message<DataError>([&] { load_ldl_mat(path); });
  EXPECT_THAT(msg, HasSubstr("no_labels.mat: field 'labels': variable missing; the file holds 'features', 'targets'"));
  EXPECT_THAT(msg, Not(HasSubstr("truncated")));
}

TEST(MatMissingVariable, FolderNamedLikeAMatFileIsNotAFile) {
  testutil::TempDir dir;
  fs::create_directories(dir.file("folder.mat"));
  EXPECT_THAT(testutil::error_message<DataError>([&] { load_ldl_mat(dir.file("folder.mat")); }),
              HasSubstr("folder.mat: not a regular file"));
}

TEST(DmerValues, SingleClassDisLabelIsRejected) {
  testutil::TempDir dir;
  write_mat_matrices(
      dir.file("S01.mat"),
      {{"feas", torch::zeros({2, 913})}, {"vids", torch::ones({2, 1})}, {"dis_label", torch::ones({1, 1})}});
  EXPECT_THAT(testutil::error_message<DataError>([&] { load_dmer(dir.path()); }),
              HasSubstr("S01.mat: field 'dis_label': expected at least 2 emotion columns, got 1"));
}

TEST(DmerValues, FractionalClipIdIsRejectedNotRounded) {
  testutil::TempDir dir;
  write_mat_matrices(
      dir.file("S01.mat"),
      {{"feas", torch::zeros({2, 913})}, {"vids", torch::tensor({{1.0}, {1.5}})}, {"dis_label", torch::ones({2, 10})}});
  EXPECT_THAT(testutil::error_message<DataError>([&] { load_dmer(dir.path()); }),
              HasSubstr("S01.mat: field 'vids' row 2: clip index 1.5 is not an integer"));
}

TEST(DmerValues, EmptySubjectAndFolderNamedLikeASubjectAreRejected) {
  testutil::TempDir dir;
  write_subject(dir.file("S01.mat"), false);
  write_mat_matrices(
      dir.file("S02.mat"),
      {{"feas", torch::zeros({0, 913})}, {"vids", torch::zeros({0, 1})}, {"dis_label", torch::ones({2, 10})}});
  EXPECT_THAT(testutil::error_message<DataError>([&] { load_dmer(dir.path()); }),
              HasSubstr("S02.mat: field 'feas': no rows: the subject has no samples"));
  fs::remove(dir.file("S02.mat"));
  fs::create_directories(dir.file("S03.mat"));
  EXPECT_THAT(testutil::error_message<DataError>([&] { load_dmer(dir.path()); }),
              HasSubstr("S03.mat: not a regular file"));
}

TEST(DmerValues, FeatureTooLargeForFloat32IsNamed) {
  testutil::TempDir dir;
  auto feas = torch::zeros({2, 913}, torch::kFloat64);
  feas[1][4] = 1e300;
  write_mat_matrices(dir.file("S01.mat"),
                     {{"feas", feas}, {"vids", torch::ones({2, 1})}, {"dis_label", torch::ones({1, 10})}});
  EXPECT_THAT(testutil::error_message<DataError>([&] { load_dmer(dir.path()); }),
              HasSubstr("S01.mat: field 'feas' row 2 column 5: value 1e+300 does not fit a 32-bit float"));
}

// A finite 1e300 was reported as "not finite (NaN or Inf)" after the float32 cast.
TEST(CsvValues, HugeFiniteValueDoesNotFitFloat32) {
  testutil::TempDir dir;
  testutil::write_file(dir.file("f.csv"), "subject,label,EDA_a\ns1,a,1\ns2,b,1e300\n");
  YAML::Node data = YAML::Load(
      "{format: csv, path: f.csv, subject_column: subject, label_column: label, "
      "modalities: [{name: eda, prefix: EDA_}]}");
  data["path"] = dir.file("f.csv");
  const auto msg = testutil::error_message<DataError>([&] { load_data(data, 0); });
  EXPECT_THAT(msg, HasSubstr("f.csv: line 3, column 'EDA_a': value '1e300' does not fit a 32-bit float"));
  EXPECT_THAT(msg, Not(HasSubstr("not finite")));
}

TEST(CsvValues, FractionalTrialAndEmptySubjectAreRejected) {
  testutil::TempDir dir;
  YAML::Node data = YAML::Load(
      "{format: csv, subject_column: subject, trial_column: trial, label_column: label, "
      "modalities: [{name: eda, prefix: EDA_}]}");
  data["path"] = dir.file("f.csv");
  testutil::write_file(dir.file("f.csv"), "subject,trial,label,EDA_a\ns1,1,a,1\ns1,2.0,b,2\ns1,2,a,3\ns2,clip_x,b,4\n");
  auto d = load_data(data, 0).dataset;  // integer-valued and named ids are fine
  EXPECT_EQ(d.trials()[1].item<int64_t>(), d.trials()[2].item<int64_t>()) << "2.0 and 2 are one trial";
  EXPECT_EQ(d.trials()[3].item<int64_t>(), 2);
  testutil::write_file(dir.file("f.csv"), "subject,trial,label,EDA_a\ns1,1,a,1\ns1,1.5,b,2\n");
  EXPECT_THAT(testutil::error_message<DataError>([&] { load_data(data, 0); }),
              HasSubstr("f.csv: line 3, column 'trial': id '1.5' is a number but not an integer"));
  testutil::write_file(dir.file("f.csv"), "subject,trial,label,EDA_a\ns1,1,a,1\n,2,b,2\n");
  EXPECT_THAT(testutil::error_message<DataError>([&] { load_data(data, 0); }),
              HasSubstr("f.csv: line 3, column 'subject': empty id"));
}

TEST(CsvValues, SingleClassIsRejected) {
  testutil::TempDir dir;
  testutil::write_file(dir.file("f.csv"), "subject,label,p,EDA_a\ns1,a,1,1\ns2,a,1,2\n");
  YAML::Node data = YAML::Load(
      "{format: csv, subject_column: subject, label_column: label, "
      "modalities: [{name: eda, prefix: EDA_}]}");
  data["path"] = dir.file("f.csv");
  EXPECT_THAT(testutil::error_message<DataError>([&] { load_data(data, 0); }),
              HasSubstr("f.csv: column 'label': holds a single label ('a')"));
  data.remove("label_column");
  data["distribution_columns"] = std::vector<std::string>{"p"};
  EXPECT_THAT(testutil::error_message<OptionError>([&] { load_data(data, 0); }),
              HasSubstr("data.distribution_columns': lists 1 column"));
}

// DEAP writes: 2 trials of 160 features, with the given subject_video and label rows.
void write_deap(const std::string& dir, const std::string& subject_video, const std::string& labels) {
  std::ostringstream features;
  for (int r = 0; r < 2; ++r) {
    for (int j = 0; j < 160; ++j) features << (j ? "\t" : "") << 0.5 * j + r;
    features << "\r\n";
  }
  testutil::write_file(dir + "/EEG_feature.txt", features.str());
  testutil::write_file(dir + "/subject_video.txt", subject_video);
  testutil::write_file(dir + "/valence_arousal_label.txt", labels);
}

TEST(DeapValues, SubjectIdsOutsideOneToThirtyTwoAreRejected) {
  testutil::TempDir dir;
  write_deap(dir.path(), "1\t1\r\n2\t1\r\n", "1\t2\r\n2\t1\r\n");
  ASSERT_EQ(load_deap(dir.path(), "valence").size(), 2);
  for (const std::string id : {"0", "99", "-5"}) {
    write_deap(dir.path(), "1\t1\r\n" + id + "\t1\r\n", "1\t2\r\n2\t1\r\n");
    EXPECT_THAT(testutil::error_message<DataError>([&] { load_deap(dir.path(), "valence"); }),
                HasSubstr("subject_video.txt: line 2, column 1 (subject): subject id " + id +
                          " outside the valid range 1..32"));
  }
  write_deap(dir.path(), "1\t1\r\n1.5\t1\r\n", "1\t2\r\n2\t1\r\n");
  EXPECT_THAT(testutil::error_message<DataError>([&] { load_deap(dir.path(), "valence"); }),
              HasSubstr("subject_video.txt: line 2, column 1 (subject): expected an integer subject id, got '1.5'"));
  write_deap(dir.path(), "1\t1\r\n2\t1\r\n", "1\t2\r\n1.5\t1\r\n");
  EXPECT_THAT(testutil::error_message<DataError>([&] { load_deap(dir.path(), "valence"); }),
              HasSubstr("valence_arousal_label.txt: line 2, column 1 (valence): expected an integer label, got '1.5'"));
}

TEST(WesadFeatureValues, FractionalLabelIsRejectedNotTruncated) {
  testutil::TempDir dir;
  const std::string header = "i,EDA_std,BVP_std,TEMP_std,Resp_std,ACC_x_std,net_acc_std,subject,label\n";
  testutil::write_file(dir.file("w.csv"), header + "0,1,1,1,1,1,1,2,0\n1,1,1,1,1,1,1,2,1.5\n");
  EXPECT_THAT(testutil::error_message<DataError>([&] { load_wesad_features(dir.file("w.csv"), "informative"); }),
              HasSubstr("w.csv: line 3, column 'label': expected 0, 1 or 2, got '1.5'"));
  testutil::write_file(dir.file("w.csv"), header + "0,1,1,1,1,1,1,2,0\n1,1,1,1,1,1,1,2.5,1\n");
  EXPECT_THAT(testutil::error_message<DataError>([&] { load_wesad_features(dir.file("w.csv"), "informative"); }),
              HasSubstr("w.csv: line 3, column 'subject': expected an integer subject id, got '2.5'"));
}

// Label rows that do not sum to one are an error by default; `renormalise: true` divides them by
// their sum and says so (stderr and the dataset's source).
TEST(Renormalise, LdlRowsAreDividedOnlyWhenAsked) {
  testutil::TempDir dir;
  const auto path = dir.file("fgnet.mat");
  auto labels = torch::tensor({{2.0, 1.0, 1.0}, {0.2, 0.3, 0.5}, {1.0, 1.0, 0.0}, {0.5, 0.5, 0.5}}, torch::kFloat64);
  write_mat_matrices(path, {{"features", ldl_features()}, {"labels", labels}});
  YAML::Node data = YAML::Load("{format: ldl}");
  data["path"] = path;
  EXPECT_THAT(testutil::error_message<DataError>([&] { load_data(data, 0); }),
              HasSubstr("fgnet.mat: field 'labels' row 0: sums to 4"));
  data["renormalise"] = true;
  validate_data_options(data);
  ::testing::internal::CaptureStderr();
  auto d = load_data(data, 0).dataset;
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_THAT(err,
              HasSubstr("fgnet.mat: renormalise: every label row divided by its sum; 3 of 4 rows did not sum to 1"));
  EXPECT_THAT(d.source(), HasSubstr("renormalised: 3 of 4 label rows"));
  EXPECT_NEAR(d.targets()[0][0].item<float>(), 0.5f, 1e-6);
  EXPECT_LT((d.targets().sum(1) - 1).abs().max().item<float>(), 1e-6);
  // A row summing to zero cannot be renormalised.
  labels[2] = torch::zeros({3}, torch::kFloat64);
  write_mat_matrices(path, {{"features", ldl_features()}, {"labels", labels}});
  EXPECT_THAT(testutil::error_message<DataError>([&] { load_data(data, 0); }),
              HasSubstr("fgnet.mat: field 'labels' row 2: sums to 0"));
}

TEST(Renormalise, CsvDistributionColumns) {
  testutil::TempDir dir;
  testutil::write_file(dir.file("f.csv"), "subject,p,q,EDA_a\ns1,2,2,1\ns2,0.25,0.75,2\n");
  YAML::Node data = YAML::Load(
      "{format: csv, subject_column: subject, distribution_columns: [p, q], "
      "modalities: [{name: eda, prefix: EDA_}]}");
  data["path"] = dir.file("f.csv");
  EXPECT_THAT(testutil::error_message<DataError>([&] { load_data(data, 0); }), HasSubstr("targets row 0: sums to 4"));
  data["renormalise"] = true;
  ::testing::internal::CaptureStderr();
  auto d = load_data(data, 0).dataset;
  EXPECT_THAT(::testing::internal::GetCapturedStderr(), HasSubstr("1 of 2 rows did not sum to 1"));
  EXPECT_NEAR(d.targets()[0][0].item<float>(), 0.5f, 1e-6);
  data.remove("distribution_columns");
  data["label_column"] = "subject";
  EXPECT_THAT(testutil::error_message<OptionError>([&] { load_data(data, 0); }),
              HasSubstr("renormalise': applies to distribution_columns only"));
}

TEST(Renormalise, OptionIsValidatedBeforeLoading) {
  YAML::Node dmer = YAML::Load("{format: dmer, path: /nonexistent, renormalise: true}");
  EXPECT_THAT(testutil::error_message<OptionError>([&] { validate_data_options(dmer); }),
              HasSubstr("option 'data.renormalise': does not apply to format dmer"));
  YAML::Node wesad = YAML::Load("{format: wesad_features, renormalise: true}");
  EXPECT_THAT(testutil::error_message<OptionError>([&] { validate_data_options(wesad); }),
              HasSubstr("option 'data.renormalise': applies to formats ldl and csv"));
  YAML::Node ldl = YAML::Load("{format: ldl, path: x.mat, renormalise: maybe}");
  EXPECT_THAT(testutil::error_message<OptionError>([&] { validate_data_options(ldl); }), HasSubstr("data.renormalise"));
}

// The structure checks must not reject valid files: both shared LDL sets (MATLAB-written,
// zlib-compressed) load with their documented sizes.
TEST(MatTruncation, SharedLdlFilesPassTheChecks) {
  const std::vector<std::pair<std::string, int64_t>> files{{"ldl/SJAFFE.mat", 213}, {"ldl/SBU_3DFE.mat", 2500}};
  int found = 0;
  for (const auto& [relative, rows] : files) {
    const auto path = testutil::real_data_path(relative);
    if (path.empty()) continue;
    ++found;
    EXPECT_EQ(mat_variable_names(path), (std::vector<std::string>{"labels", "features"})) << path;  // as stored
    const auto d = load_ldl_mat(path);
    EXPECT_EQ(d.size(), rows) << path;  // sizes from shared/data/README.md
    EXPECT_EQ(d.modality(0).numel(), 243) << path;
  }
  if (found == 0) GTEST_SKIP() << "no LDL files under EMOFUSE_DATA_DIR (../shared/data)";
}

// A complete file whose dimensions promise more values than its data element holds: matio would
// read past the element. Offsets of the first variable of a level 5 file written by matio:
// 128-byte header, matrix tag (8), array flags (16), dimensions tag (8) then rows, cols (int32).
TEST(MatTruncation, DimensionsLargerThanTheDataAreRejected) {
  testutil::TempDir dir;
  const auto path = dir.file("dims.mat");
  write_mat_matrices(path, {{"x", torch::ones({2, 2})}, {"y", torch::ones({2, 2})}});
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    const int32_t cols = 3;
    f.seekp(128 + 8 + 16 + 8 + 4);
    f.write(reinterpret_cast<const char*>(&cols), 4);
  }
  EXPECT_THAT(
      testutil::error_message<DataError>([&] { read_mat_matrix(path, "x"); }),
      HasSubstr("dims.mat: field 'x': truncated or corrupt: the real part holds 4 values, a 2 x 3 matrix needs 6"));
}

// Version 4 files have no element tags; their matrix headers give the sizes to check instead.
TEST(MatTruncation, Version4FileCutAtTheEndIsRejected) {
  testutil::TempDir dir;
  const auto path = dir.file("v4.mat");
  {
    mat_t* mat = Mat_CreateVer(path.c_str(), nullptr, MAT_FT_MAT4);
    ASSERT_NE(mat, nullptr);
    auto x = torch::arange(12, torch::kFloat64);  // column-major 3 x 4
    size_t dims[2] = {3, 4};
    matvar_t* var = Mat_VarCreate("x", MAT_C_DOUBLE, MAT_T_DOUBLE, 2, dims, x.data_ptr<double>(), MAT_F_DONT_COPY_DATA);
    ASSERT_EQ(Mat_VarWrite(mat, var, MAT_COMPRESSION_NONE), 0);
    Mat_VarFree(var);
    Mat_Close(mat);
  }
  EXPECT_EQ(read_mat_matrix(path, "x").sum().item<double>(), 66.0);
  EXPECT_THAT(testutil::error_message<DataError>([&] { read_mat_matrix(path, "y"); }),
              HasSubstr("v4.mat: field 'y': variable missing; the file holds 'x'"));
  cut_end(path, 8);
  EXPECT_THAT(testutil::error_message<DataError>([&] { read_mat_matrix(path, "x"); }),
              HasSubstr("v4.mat: field 'x': truncated: the variable needs 118 bytes, the file ends 8 byte(s) short"));
}

TEST(MatTruncation, EmptyAndHeaderOnlyFilesAreNamed) {
  testutil::TempDir dir;
  const auto path = dir.file("e.mat");
  testutil::write_file(path, "");
  EXPECT_THAT(testutil::error_message<DataError>([&] { read_mat_matrix(path, "x"); }), HasSubstr("e.mat: empty file"));
  write_mat_matrices(path, {{"x", torch::ones({2, 2})}});
  fs::resize_file(path, 100);
  EXPECT_THAT(testutil::error_message<DataError>([&] { read_mat_matrix(path, "x"); }),
              HasSubstr("e.mat: truncated: 100 bytes, shorter than the 128-byte header"));
}

// A file with neither a level 5 header, a version 4 matrix header nor an HDF5 signature used to
// go to matio, whose version 4 reader allocated what the first bytes spelled: these 28 bytes
// (found by fuzz_ldl_mat) made it allocate 1.8 GB before failing. It is refused before matio.
TEST(MatFormat, FileOfNoMatVersionIsRefusedBeforeMatio) {
  testutil::TempDir dir;
  const auto path = dir.file("junk.mat");
  const unsigned char bytes[] = {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x32, 0x2e, 0x30, 0x20, 0x4d, 0x41,
                                 0x69, 0x6c, 0x65, 0x8f, 0x2c, 0x65, 0x8f, 0x2c, 0x20, 0xf0, 0xd0, 0xa2, 0x25, 0x69};
  testutil::write_file(path, std::string(reinterpret_cast<const char*>(bytes), sizeof(bytes)));
  for (auto read : std::vector<std::function<void()>>{[&] { read_mat_matrix(path, "labels"); },
                                                      [&] { mat_variable_names(path); }}) {
    EXPECT_THAT(testutil::error_message<DataError>(read),
                HasSubstr("junk.mat: not a MATLAB .mat file (no level 5 header, version 4 matrix header or 7.3 HDF5 "
                          "signature)"));
  }
}
