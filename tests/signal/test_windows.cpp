// Windowing and the feature dataset writer (src/signal/windows.h).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <unistd.h>

#include "core/error.h"
#include "signal/windows.h"

namespace es = emofuse::signal;
namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

fs::path fresh_dir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("emofuse_signal_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  return dir;
}

es::FeatureTable small_table() {
  es::FeatureTable t;
  t.feature_names = {"EDA_Mean", "PPG_Rate_Mean", "ACC_Activity_ENMO"};
  t.classes = {"baseline", "stress", "amusement", "meditation"};
  t.modalities = {{"eda", "physiological", "EDA_"}, {"bvp", "physiological", "PPG_"}, {"acc", "behavioural", "ACC_"}};
  t.append("S2", 1, 0.0, "baseline", {2.5, 70.25, 0.01});
  t.append("S2", 2, 61.0, "stress", {4.0, 91.0, 0.125});
  return t;
}

}  // namespace

TEST(SignalWindows, FullWindowsOnly) {
  // 12 s at 4 Hz, 5 s windows every 1 s -> starts 0..7 (8 windows), each 20 samples.
  const auto w = es::signal_windows(48, 4.0, 5.0, 1.0);
  ASSERT_EQ(w.size(), 8u);
  EXPECT_EQ(w[7].begin, 28u);
  EXPECT_EQ(w[7].end, 48u);
  EXPECT_DOUBLE_EQ(w[7].time_s, 7.0);
  EXPECT_EQ(es::signal_windows(48, 4.0, 5.0, 1.0, 2.0, 8.0).size(), 2u);  // starts 2, 3
  EXPECT_THROW(es::signal_windows(48, 4.0, 0.0, 1.0), emofuse::OptionError);
}

TEST(SignalWindows, WritesCsvAndYaml) {
  const fs::path dir = fresh_dir("write");
  es::write_feature_dataset(small_table(), dir.string());
  EXPECT_EQ(slurp(dir / "features.csv"),
            "subject,trial,time,label,EDA_Mean,PPG_Rate_Mean,ACC_Activity_ENMO\n"
            "S2,1,0,baseline,2.5,70.25,0.01\n"
            "S2,2,61,stress,4,91,0.125\n");
  EXPECT_EQ(slurp(dir / "dataset.yaml"),
            "format: csv\n"
            "path: features.csv            # relative to this yaml\n"
            "subject_column: subject\n"
            "trial_column: trial\n"
            "label_column: label           # class names -> one-hot targets\n"
            "classes: [baseline, stress, amusement, meditation]   # order of the target columns\n"
            "modalities:\n"
            "  - {name: eda, role: physiological, prefix: \"EDA_\"}\n"
            "  - {name: bvp, role: physiological, prefix: \"PPG_\"}\n"
            "  - {name: acc, role: behavioural, prefix: \"ACC_\"}\n");
  EXPECT_FALSE(fs::exists(dir / ".features.csv.tmp"));
  // A class name with YAML syntax in it is quoted; a second write replaces the files.
  auto t = small_table();
  t.classes[3] = "calm: eyes closed";
  es::write_feature_dataset(t, dir.string());
  EXPECT_NE(slurp(dir / "dataset.yaml").find("classes: [baseline, stress, amusement, \"calm: eyes closed\"]"),
            std::string::npos);
  fs::remove_all(dir);
}

TEST(SignalWindows, InvalidTableLeavesNoOutput) {
  const fs::path dir = fresh_dir("invalid");
  auto t = small_table();
  t.label[1] = "anger";  // not a class
  EXPECT_THROW(es::write_feature_dataset(t, dir.string()), emofuse::Error);
  EXPECT_FALSE(fs::exists(dir / "features.csv"));
  EXPECT_FALSE(fs::exists(dir / "dataset.yaml"));
  t = small_table();
  t.modalities.push_back({"ecg", "physiological", "ECG_"});  // no ECG_ column
  EXPECT_THROW(es::write_feature_dataset(t, dir.string()), emofuse::Error);
  EXPECT_THROW(t.append("S3", 1, 0, "baseline", {1.0}), emofuse::Error);
  t = small_table();
  t.subject[0] = "S2,S3";  // would shift every CSV column
  EXPECT_THROW(es::write_feature_dataset(t, dir.string()), emofuse::Error);
  EXPECT_FALSE(fs::exists(dir / "features.csv"));
  // Unwritable target: a regular file where the folder should be.
  const fs::path file = fresh_dir("file");
  std::ofstream(file.string()) << "x";
  EXPECT_THROW(es::write_feature_dataset(small_table(), (file / "sub").string()), emofuse::Error);
  fs::remove_all(dir);
  fs::remove(file);
}

TEST(SignalWindows, ExtendMergesRecordings) {
  es::FeatureTable all;
  all.extend(small_table());
  auto second = small_table();
  second.subject = {"S3", "S3"};
  second.classes = {"baseline", "stress", "amusement", "meditation", "neutral"};
  all.extend(second);
  EXPECT_EQ(all.size(), 4u);
  EXPECT_EQ(all.subject[2], "S3");
  EXPECT_EQ(all.classes.back(), "neutral");
  EXPECT_EQ(all.modalities.size(), 3u);
  auto other = small_table();
  other.feature_names[0] = "EDA_Median";
  EXPECT_THROW(all.extend(other), emofuse::Error);
}
