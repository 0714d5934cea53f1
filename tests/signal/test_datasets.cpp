// WESAD raw and generic CSV readers, end to end on simulated fixtures (src/signal/datasets.h).
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "core/error.h"
#include "signal/datasets.h"
#include "signal/eeg.h"
#include "signal/simulate.h"

namespace es = emofuse::signal;
namespace fs = std::filesystem;

namespace {

fs::path fresh_dir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("emofuse_signal_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

void write(const fs::path& p, const std::string& text) {
  std::ofstream(p.string()) << text;
}

std::string read(const fs::path& p) {
  std::ifstream in(p.string());
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Expects a DataError whose message contains `fragment`.
template <typename F>
void expect_data_error(F&& f, const std::string& fragment) {
  try {
    f();
    ADD_FAILURE() << "no DataError, expected one containing: " << fragment;
  } catch (const emofuse::DataError& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

double column_mean(const es::FeatureTable& t, const std::string& feature, const std::string& label) {
  const std::size_t c = std::find(t.feature_names.begin(), t.feature_names.end(), feature) - t.feature_names.begin();
  EXPECT_LT(c, t.feature_names.size()) << feature;
  double sum = 0;
  int n = 0;
  for (std::size_t r = 0; r < t.size(); ++r) {
    if (t.label[r] == label) {
      sum += t.rows[r][c];
      ++n;
    }
  }
  return n ? sum / n : NAN;
}

class WesadFixture : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = new fs::path(fresh_dir("wesad"));
    es::wesad_write_fixture(root_->string(), 2, 40.0, 2024);
  }
  static void TearDownTestSuite() {
    fs::remove_all(*root_);
    delete root_;
  }
  static fs::path* root_;
};
fs::path* WesadFixture::root_ = nullptr;

}  // namespace

TEST_F(WesadFixture, ReadsQuestAndTransferFunctions) {
  const auto conditions = es::read_wesad_quest((*root_ / "S2" / "S2_quest.csv").string());
  ASSERT_EQ(conditions.size(), 4u);  // sRead is skipped
  EXPECT_EQ(conditions[1].name, "TSST");
  EXPECT_EQ(conditions[1].label, "stress");
  EXPECT_EQ(conditions[1].trial, 2);
  EXPECT_DOUBLE_EQ(conditions[0].start_s, 10.0);  // "0.10"
  EXPECT_DOUBLE_EQ(conditions[1].start_s, 60.0);  // "1.00": 10 + 40 + 10
  EXPECT_DOUBLE_EQ(conditions[3].end_s, 200.0);   // "3.20"
  const auto chest = es::read_respiban((*root_ / "S2" / "S2_respiban.txt").string());
  ASSERT_EQ(chest.ecg.size(), 700u * 230);  // 4 x 40 s conditions, 10 s sRead, 6 gaps of 10 s
  double az = 0, temp = 0;
  for (std::size_t i = 0; i < 7000; ++i) {
    az += chest.acc_z[i];
    temp += chest.temp[i];
  }
  EXPECT_NEAR(az / 7000, 1.0, 0.01);     // gravity, through (signal - Cmin)/(Cmax - Cmin)*2 - 1
  EXPECT_NEAR(temp / 7000, 34.0, 0.05);  // simulated 33 + 1 deg C through the NTC formula
  const auto bvp = es::read_e4_csv((*root_ / "S2" / "S2_E4_Data" / "BVP.csv").string(), 1);
  EXPECT_DOUBLE_EQ(bvp.sampling_rate, 64.0);
  EXPECT_DOUBLE_EQ(bvp.start_time_unix, 1495437325.0);
  EXPECT_EQ(bvp.columns[0].size(), 64u * 230);
}

TEST_F(WesadFixture, ExtractsLabelledWindowsEndToEnd) {
  es::WesadFeatureOptions o;
  const auto table = es::extract_wesad_features(root_->string(), o);
  EXPECT_EQ(table.feature_names.size(), 28u + 27 + 10 + 6 + 18 + 8 + 28 + 6 + 10);
  // 40 s conditions, 5 s windows every 1 s -> 36 windows x 4 conditions x 2 subjects.
  ASSERT_EQ(table.size(), 36u * 4 * 2);
  std::map<std::string, std::set<int>> trials;
  for (std::size_t r = 0; r < table.size(); ++r) trials[table.subject[r]].insert(table.trial[r]);
  EXPECT_EQ(trials["S2"], (std::set<int>{1, 2, 3, 4}));
  EXPECT_EQ(trials["S3"], (std::set<int>{1, 2, 3, 4}));
  // Simulated heart rate: 70 baseline, 92 stress, 62 meditation (wrist PPG and chest ECG).
  EXPECT_NEAR(column_mean(table, "ECG_Rate_Mean", "baseline"), 70.0, 2.0);
  EXPECT_NEAR(column_mean(table, "ECG_Rate_Mean", "stress"), 92.0, 2.0);
  EXPECT_NEAR(column_mean(table, "PPG_Rate_Mean", "meditation"), 62.0, 2.0);
  EXPECT_GT(column_mean(table, "EDA_Tonic_Mean", "stress"), column_mean(table, "EDA_Tonic_Mean", "baseline") + 1.0);
  EXPECT_NEAR(column_mean(table, "RSP_Rate_Mean", "meditation"), 8.0, 1.5);
  EXPECT_GT(column_mean(table, "ACC_Activity_ENMO", "stress"), column_mean(table, "ACC_Activity_ENMO", "meditation"));

  const fs::path out = *root_ / "out";
  es::write_feature_dataset(table, out.string());
  const std::string csv = read(out / "features.csv");
  EXPECT_EQ(csv.rfind("subject,trial,time,label,EDA_Mean,", 0), 0u);
  EXPECT_NE(read(out / "dataset.yaml").find("prefix: \"CHEST_EDA_\""), std::string::npos);
}

TEST_F(WesadFixture, MalformedFilesNameFileAndLine) {
  const fs::path bad = fresh_dir("wesad_bad");
  fs::copy(*root_ / "S2", bad / "S2", fs::copy_options::recursive);
  const fs::path acc = bad / "S2" / "S2_E4_Data" / "ACC.csv";
  write(acc, "1495437325.0, 1495437325.0, 1495437325.0\n32.0, 32.0, 32.0\n1,2,64\n1,2,64\n3,60\n");
  expect_data_error([&] { es::extract_wesad_features(bad.string(), {}); },
                    "ACC.csv: line 5: expected 3 columns, got 2");
  write(acc, "1495437325.0, 1495437325.0, 1495437325.0\n");
  expect_data_error([&] { es::read_e4_csv(acc.string(), 3); }, "ACC.csv: line 1: truncated");
  const fs::path bvp = bad / "S2" / "S2_E4_Data" / "BVP.csv";
  write(bvp, "1495437325.0\n32.0\n1.5\n2.5\n");
  fs::copy(*root_ / "S2" / "S2_E4_Data" / "ACC.csv", acc, fs::copy_options::overwrite_existing);
  expect_data_error([&] { es::extract_wesad_features(bad.string(), {}); },
                    "BVP.csv: line 2: expected sampling rate 64");
  write(bvp, "1495437325.0\n64.0\n1.5\nabc\n");
  expect_data_error([&] { es::read_e4_csv(bvp.string(), 1); },
                    "BVP.csv: line 4, field 1: expected a number, got 'abc'");
  const fs::path quest = bad / "S2" / "S2_quest.csv";
  write(quest, "# ORDER;Base;TSST\n# START;0.10;1.75\n# END;1.00;2.00\n");
  expect_data_error([&] { es::read_wesad_quest(quest.string()); },
                    "S2_quest.csv: line 2, field 3: seconds must be < 60");
  write(quest, "# ORDER;Base;Lunch\n# START;0.10;1.15\n# END;1.00;2.00\n");
  expect_data_error([&] { es::read_wesad_quest(quest.string()); }, "unknown condition 'Lunch'");
  write(quest, "# ORDER;Base\n# END;1.00\n");
  expect_data_error([&] { es::read_wesad_quest(quest.string()); }, "missing '# START' row");
  const fs::path resp = bad / "S2" / "S2_respiban.txt";
  write(resp, "# EndOfHeader\n0\t0\t1\t2\t3\t4\t5\t6\t7\t8\n1\t0\t1\t2\t3\t4\t5\t6\t7\n");
  expect_data_error([&] { es::read_respiban(resp.string()); }, "S2_respiban.txt: line 3: expected 10 columns");
  write(resp, "# EndOfHeader\n0\t0\t1\t2\t3\t4\t5\t6\t70000\t8\n");
  expect_data_error([&] { es::read_respiban(resp.string()); }, "line 2, field 9: ADC value 70000 outside [0, 65535]");
  write(resp, "# {\"sampling rate\": 1000, \"label\": [\"ECG\"]}\n");
  EXPECT_THROW(es::read_respiban(resp.string()), emofuse::DataError);
  fs::remove_all(bad);
}

TEST(SignalDatasets, GenericCsvRecording) {
  const fs::path dir = fresh_dir("csv");
  const double fs_hz = 64;
  const auto ppg = es::ppg_simulate(120, fs_hz, 80, 0.02, 4).signal;
  const auto eda = es::eda_simulate(120, fs_hz, 5.0, {10, 40, 70, 100}, {0.5, 0.5, 0.5, 0.5}, 0.002, 5).signal;
  std::ostringstream rec;
  rec << "time,EDA,bvp,temp\n";
  for (std::size_t i = 0; i < ppg.size(); ++i) rec << 100.0 + i / fs_hz << ',' << eda[i] << ',' << ppg[i] << ",33.5\n";
  write(dir / "P7.csv", rec.str());
  write(dir / "ann.csv", "start,end,label\n100,160,calm\n160,220,excited\n");
  const auto table = es::extract_csv_features((dir / "P7.csv").string(), (dir / "ann.csv").string(), {});
  EXPECT_EQ(table.feature_names.size(), 28u + 27 + 6);
  ASSERT_EQ(table.size(), 2u * 56);  // 60 s intervals: 56 windows each
  EXPECT_EQ(table.subject[0], "P7");
  EXPECT_EQ(table.classes, (std::vector<std::string>{"calm", "excited"}));
  EXPECT_EQ(table.trial.back(), 2);
  EXPECT_DOUBLE_EQ(table.time.back(), 215.0);
  EXPECT_NEAR(column_mean(table, "PPG_Rate_Mean", "calm"), 80.0, 2.0);

  write(dir / "gap.csv", "time,eda\n0,1\n0.25,1\n0.5,1\n1.5,1\n1.75,1\n");
  expect_data_error([&] { es::extract_csv_features((dir / "gap.csv").string(), (dir / "ann.csv").string(), {}); },
                    "gap.csv: line 5: time step 1.0");
  write(dir / "short.csv", "time,eda\n0,1\n0.25\n");
  expect_data_error([&] { es::extract_csv_features((dir / "short.csv").string(), (dir / "ann.csv").string(), {}); },
                    "short.csv: line 3: expected 2 columns, got 1");
  es::CsvRecordingOptions wrong_rate;
  wrong_rate.sampling_rate = 32;
  expect_data_error(
      [&] { es::extract_csv_features((dir / "P7.csv").string(), (dir / "ann.csv").string(), wrong_rate); },
      "time column gives 64");
  write(dir / "bad_ann.csv", "start,end\n0,10\n");
  expect_data_error([&] { es::extract_csv_features((dir / "P7.csv").string(), (dir / "bad_ann.csv").string(), {}); },
                    "bad_ann.csv: line 1: expected the header 'start,end,label'");
  es::CsvRecordingOptions bad_window;
  bad_window.window_s = 0;
  EXPECT_THROW(es::extract_csv_features((dir / "P7.csv").string(), (dir / "ann.csv").string(), bad_window),
               emofuse::OptionError);
  fs::remove_all(dir);
}

// DMER-style EEG in the generic layout: 1 s windows of differential entropy per channel and band.
TEST(SignalDatasets, GenericCsvEegChannels) {
  const fs::path dir = fresh_dir("csv_eeg");
  const double fs_hz = 128;
  const auto fz = es::eeg_simulate(20, fs_hz, 8, 14, 10, 1, 1);   // alpha
  const auto cz = es::eeg_simulate(20, fs_hz, 14, 31, 10, 1, 2);  // beta
  std::ostringstream rec;
  rec << "EEG_Fz,eeg_Cz\n";
  for (std::size_t i = 0; i < fz.size(); ++i) rec << fz[i] << ',' << cz[i] << '\n';
  write(dir / "s01.csv", rec.str());
  write(dir / "ann.csv", "start,end,label\n0,10,neutral\n10,20,happy\n");
  es::CsvRecordingOptions o;
  o.sampling_rate = fs_hz;
  o.window_s = 1;
  o.step_s = 1;
  const auto table = es::extract_csv_features((dir / "s01.csv").string(), (dir / "ann.csv").string(), o);
  ASSERT_EQ(table.feature_names.size(), 10u);
  EXPECT_EQ(table.feature_names[2], "EEG_Fz_Alpha_DE");
  EXPECT_EQ(table.feature_names[8], "EEG_Cz_Beta_DE");
  ASSERT_EQ(table.size(), 20u);
  EXPECT_GT(column_mean(table, "EEG_Fz_Alpha_DE", "neutral"), column_mean(table, "EEG_Fz_Beta_DE", "neutral") + 1.0);
  EXPECT_GT(column_mean(table, "EEG_Cz_Beta_DE", "happy"), column_mean(table, "EEG_Cz_Alpha_DE", "happy") + 1.0);
  fs::remove_all(dir);
}

// A NaN inside a raw recording used to surface as "no labelled window found" (every window
// failed); it is now reported where it is: file, line, signal and sample index.
TEST(SignalDatasets, NanInsideAWesadRecordingIsNamed) {
  const fs::path root = fresh_dir("wesad_nan");
  es::wesad_write_fixture(root.string(), 1, 40.0, 7);
  const fs::path bvp = root / "S2" / "S2_E4_Data" / "BVP.csv";
  std::istringstream in(read(bvp));
  std::ostringstream out;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) out << (number == 12 ? "nan" : line) << "\n";
  write(bvp, out.str());
  expect_data_error([&] { es::extract_wesad_features(root.string(), {}); },
                    "BVP.csv: line 12, field 1 (signal BVP, sample index 9): 'nan' is not a finite number");
  fs::remove_all(root);
}

TEST(SignalDatasets, NanInsideAGenericRecordingIsNamed) {
  const fs::path dir = fresh_dir("csv_nan");
  write(dir / "rec.csv", "time,eda\n0,1\n0.25,1\n0.5,inf\n0.75,1\n");
  write(dir / "ann.csv", "start,end,label\n0,1,calm\n");
  expect_data_error([&] { es::extract_csv_features((dir / "rec.csv").string(), (dir / "ann.csv").string(), {}); },
                    "rec.csv: line 4, field 2 (signal eda, sample index 2): 'inf' is not a finite number");
  write(dir / "ann.csv", "start,end,label\n0,nan,calm\n");
  expect_data_error([&] { es::extract_csv_features((dir / "rec.csv").string(), (dir / "ann.csv").string(), {}); },
                    "ann.csv: line 2, field 2 (annotation 1 end)");
  fs::remove_all(dir);
}
