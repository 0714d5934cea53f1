#include "signal/wesad_features.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <system_error>

#include "core/error.h"
#include "signal/feature_sources.h"
#include "signal/filter.h"
#include "signal/wesad_readers.h"

namespace emofuse::signal {
namespace {

namespace fs = std::filesystem;

constexpr double kFastestWesadRateHz = 700.0;  // the chest device; the wrist's E4 is slower

// The modalities of the table: the wrist's, then the chest's feature groups.
std::vector<FeatureModality> wesad_modalities(const WesadFeatureOptions& options) {
  std::vector<FeatureModality> modalities;
  if (options.wrist) modalities = wesad_wrist_modalities();
  if (options.chest) {
    modalities.push_back({"ecg", "physiological", "ECG_"});
    modalities.push_back({"resp", "physiological", "RSP_"});
    modalities.push_back({"chest_eda", "physiological", "CHEST_EDA_"});
    modalities.push_back({"chest_temp", "physiological", "CHEST_TEMP_"});
    modalities.push_back({"chest_acc", "behavioural", "CHEST_ACC_"});
  }
  return modalities;
}

// The wrist streams of one subject (<dir>/<id>_E4_Data/*.csv), on the E4's clock.
void add_wrist_sources(std::vector<PlacedSource>& sources, const fs::path& dir, const std::string& id,
                       double e4_offset_s) {
  std::vector<E4Channel> files = read_wesad_wrist_files(dir.string(), id);
  const E4Channel &eda = files[0], &bvp = files[1], &temp = files[3];
  E4Channel& acc = files[2];
  for (auto& axis : acc.columns)
    for (double& v : axis) v /= 64.0;  // 1/64 g -> g
  const double off = e4_offset_s;
  sources.push_back({eda_source(eda.columns[0], 4.0, "EDA_"), off});
  sources.push_back({ppg_source(bvp.columns[0], 64.0, "PPG_"), off});
  sources.push_back({acc_source(acc.columns[0], acc.columns[1], acc.columns[2], 32.0, "ACC_"), off});
  sources.push_back({temp_source(temp.columns[0], 4.0, "TEMP_"), off});
}

// The chest streams of one subject (<dir>/<id>_respiban.txt), on the recording's clock.
void add_chest_sources(std::vector<PlacedSource>& sources, const fs::path& dir, const std::string& id) {
  RespibanRecording r = read_respiban((dir / (id + "_respiban.txt")).string());
  sources.push_back({ecg_source(r.ecg, 700.0, "ECG_"), 0.0});
  sources.push_back({rsp_source(r.resp, 700.0, "RSP_"), 0.0});
  // Chest EDA is brought to 32 Hz first (anti-aliased); its content lies below 3 Hz.
  sources.push_back({eda_source(signal_resample(r.eda, 700.0, 32.0), 32.0, "CHEST_EDA_"), 0.0});
  sources.push_back({temp_source(signal_resample(r.temp, 700.0, 32.0), 32.0, "CHEST_TEMP_"), 0.0});
  sources.push_back({acc_source(std::move(r.acc_x), std::move(r.acc_y), std::move(r.acc_z), 700.0, "CHEST_ACC_"), 0.0});
}

}  // namespace

const std::vector<std::string>& wesad_classes() {
  static const std::vector<std::string> classes = {"baseline", "stress", "amusement", "meditation"};
  return classes;
}

std::vector<FeatureModality> wesad_wrist_modalities() {
  return {{"eda", "physiological", "EDA_"},
          {"bvp", "physiological", "PPG_"},
          {"acc", "behavioural", "ACC_"},
          {"temp", "physiological", "TEMP_"}};
}

std::vector<E4Channel> read_wesad_wrist_files(const std::string& subject_dir, const std::string& id) {
  const fs::path e4 = fs::path(subject_dir) / (id + "_E4_Data");
  struct File {
    const char* name;
    std::size_t columns;
    double rate;
  };
  std::vector<E4Channel> files;
  for (const File& f :
       {File{"EDA.csv", 1, 4.0}, File{"BVP.csv", 1, 64.0}, File{"ACC.csv", 3, 32.0}, File{"TEMP.csv", 1, 4.0}}) {
    const std::string path = (e4 / f.name).string();
    E4Channel c = read_e4_csv(path, f.columns);
    if (c.sampling_rate != f.rate) {
      throw DataError(
          path, "line 2",
          "expected sampling rate " + std::to_string(f.rate) + " Hz, got " + std::to_string(c.sampling_rate));
    }
    files.push_back(std::move(c));
  }
  return files;
}

std::vector<std::string> wesad_subject_folders(const std::string& wesad_root,
                                               const std::vector<std::string>& requested) {
  std::vector<std::string> subjects = requested;
  if (!subjects.empty()) return subjects;
  std::error_code ec;
  if (!fs::is_directory(wesad_root, ec)) throw DataError(wesad_root, "", "not a directory");
  for (const auto& entry : fs::directory_iterator(wesad_root)) {
    const std::string name = entry.path().filename().string();
    if (entry.is_directory() && name.size() > 1 && name[0] == 'S' &&
        std::all_of(name.begin() + 1, name.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
      subjects.push_back(name);
    }
  }
  std::sort(subjects.begin(), subjects.end(),
            [](const std::string& a, const std::string& b) { return std::stoi(a.substr(1)) < std::stoi(b.substr(1)); });
  if (subjects.empty()) throw DataError(wesad_root, "", "no S<k> subject folders found");
  return subjects;
}

FeatureTable extract_wesad_features(const std::string& wesad_root, const WesadFeatureOptions& options) {
  validate_window_options(options.window_s, options.step_s, options.hrv_context_s, kFastestWesadRateHz);
  require_option(options.wrist || options.chest, "wrist/chest", "at least one must be true");
  const std::vector<std::string> subjects = wesad_subject_folders(wesad_root, options.subjects);

  FeatureTable table;
  table.classes = wesad_classes();
  table.modalities = wesad_modalities(options);
  for (const std::string& id : subjects) {
    const fs::path dir = fs::path(wesad_root) / id;
    const auto conditions = read_wesad_quest((dir / (id + "_quest.csv")).string());
    std::vector<PlacedSource> sources;
    if (options.wrist) add_wrist_sources(sources, dir, id, options.e4_offset_s);
    if (options.chest) add_chest_sources(sources, dir, id);
    if (table.feature_names.empty()) table.feature_names = all_names(sources);
    for (const auto& c : conditions) {
      add_interval_windows(table, sources, id, c.trial, c.label, c.start_s, c.end_s, options.window_s, options.step_s,
                           options.hrv_context_s, options.drop_incomplete);
    }
  }
  return table;
}

}  // namespace emofuse::signal
