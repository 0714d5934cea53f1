// Windowing of processed signals and the feature table written for the generic CSV loader.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace emofuse::signal {

/// Sample range [begin, end) of one window and its start time in seconds.
struct Window {
  std::size_t begin = 0;
  std::size_t end = 0;
  double time_s = 0;
};

/// Full windows of `window_s` seconds every `step_s` seconds covering [start_s, end_s) of a
/// signal sampled at `sampling_rate` with `n_samples` samples (a window never crosses end_s or
/// the signal end). DMER uses 5 s / 1 s for GSR and PPG, 1 s / 1 s for EEG.
std::vector<Window> signal_windows(std::size_t n_samples, double sampling_rate, double window_s, double step_s,
                                   double start_s = 0.0, double end_s = -1.0);

/// Sample range of the time interval [start_s, end_s) clipped to [0, n_samples).
Window time_range(std::size_t n_samples, double sampling_rate, double start_s, double end_s);

/// Feature rows of one recording before tagging: `rows[w]` belongs to the window starting at
/// `time[w]` seconds and has one value per name.
struct WindowedFeatures {
  std::vector<std::string> names;
  std::vector<double> time;
  std::vector<std::vector<double>> rows;
};

/// One modality entry of dataset.yaml: the feature columns whose name starts with `prefix`.
struct FeatureModality {
  std::string name;    // "eda"
  std::string role;    // "physiological" | "behavioural"
  std::string prefix;  // "EDA_"
};

/// Windowed features of many recordings, one row per window, tagged with subject, trial,
/// window start time (seconds from the recording start) and label.
struct FeatureTable {
  std::vector<std::string> feature_names;
  std::vector<std::vector<double>> rows;  // [n_rows][feature_names.size()]
  std::vector<std::string> subject;
  std::vector<int> trial;
  std::vector<double> time;
  std::vector<std::string> label;
  std::vector<std::string> classes;  // order of the one-hot target columns
  std::vector<FeatureModality> modalities;

  std::size_t size() const { return rows.size(); }
  /// Appends one row; throws emofuse::Error when `values` has the wrong length.
  void append(const std::string& subject_id, int trial_id, double time_s, const std::string& label_name,
              std::vector<double> values);
  /// Appends every row of `other` (e.g. the next recording of extract_csv_features). An empty
  /// table takes over other's feature names; otherwise they must be identical (emofuse::Error).
  /// Classes and modalities not yet present are added in other's order.
  void extend(const FeatureTable& other);
};

/// Writes `out_dir/features.csv` (header `subject,trial,time,label,<feature names>`, values
/// with 10 significant digits, non-finite values as `nan`) and `out_dir/dataset.yaml` (format
/// in docs/signals.md). Both files are first written under temporary names in `out_dir` and
/// renamed only when complete, so an error leaves no half-written output. Creates `out_dir`.
/// Throws emofuse::Error on an inconsistent table (row length, a label not in `classes`, a
/// modality prefix matching no column) or an I/O failure.
void write_feature_dataset(const FeatureTable& table, const std::string& out_dir);

}  // namespace emofuse::signal
