// Generic raw layout -> windowed feature table: one CSV per recording (a column per signal) and
// an annotation CSV of labelled intervals. Entry point of `emofuse features --dataset csv`.
#pragma once

#include <string>
#include <vector>

#include "signal/windows.h"

namespace emofuse::signal {

/// Options of extract_csv_features.
struct CsvRecordingOptions {
  /// Sampling rate in Hz; 0 = derive it from the recording's `time` column (seconds) as
  /// (n - 1) / (last - first). Every time step must lie within 50 % of the median step (no gaps);
  /// a given rate must agree with the time column within 1 %.
  double sampling_rate = 0.0;
  double window_s = 5.0;
  double step_s = 1.0;
  double hrv_context_s = 60.0;
  /// Subject id written to the table; empty = the recording file name without extension.
  std::string subject;
  /// Class order of the targets; empty = labels in order of first appearance in the annotations.
  std::vector<std::string> classes;
  bool drop_incomplete = true;
};

/// Generic recording: `recording_csv` has a header row; columns (case-insensitive) `time`
/// (optional), `eda`/`gsr` (uS), `bvp`/`ppg`, `ecg` (mV), `resp`/`rsp`, `temp` (deg C),
/// `acc_x`, `acc_y`, `acc_z` (g, all three or none), and any number of `eeg_<name>` (uV; features
/// `EEG_<name>_<band>_DE` over each window, DMER bands). `annotation_csv` has the header
/// `start,end,label` (seconds); annotation row k (1-based) is trial k. Windows lie fully inside
/// an annotated interval. Feature prefixes: EDA_, PPG_, ECG_, RSP_, TEMP_, ACC_, EEG_. Throws
/// DataError(file, "line N", ...) on malformed input (a NaN or Inf sample is named with its column
/// and sample index) and OptionError on bad options.
FeatureTable extract_csv_features(const std::string& recording_csv, const std::string& annotation_csv,
                                  const CsvRecordingOptions& options);

}  // namespace emofuse::signal
