// Raw physiological datasets -> windowed feature tables: WESAD (Schmidt et al. 2018) raw
// layout and a generic one-CSV-per-recording layout. Entry points for `emofuse features`.
#pragma once

#include <string>
#include <vector>

#include "signal/windows.h"

namespace emofuse::signal {

/// One Empatica E4 CSV: row 1 start time (unix s) per column, row 2 sampling rate, then samples.
struct E4Channel {
  double start_time_unix = 0;
  double sampling_rate = 0;
  std::vector<std::vector<double>> columns;  // [column][sample]
};

/// Reads an E4 CSV with `expected_columns` columns (ACC: 3, others: 1). Throws
/// emofuse::DataError(file, "line N", ...) on a wrong column count, an unparsable number, a NaN
/// or Inf (named with the signal and the sample index), a non-positive sampling rate, differing
/// rates across columns, or no samples.
E4Channel read_e4_csv(const std::string& path, std::size_t expected_columns);

/// RespiBAN chest recording in physical units (WESAD readme transfer functions, vcc = 3,
/// chan_bit = 2^16): ECG and EMG mV, EDA uS, TEMP deg C, ACC g, RESP %.
struct RespibanRecording {
  double sampling_rate = 700.0;
  std::vector<double> ecg, eda, emg, temp, acc_x, acc_y, acc_z, resp;
};

/// Reads `S<k>_respiban.txt`: '#' header lines (channel order from the header's "label" list,
/// default ECG, EDA, EMG, TEMP, XYZ, XYZ, XYZ, RESPIRATION; "sampling rate" must be 700 when
/// present), then whitespace-separated rows nSeq, DI, 8 channels. Throws DataError naming the
/// line on a wrong column count, a non-integer value or an unknown channel label.
RespibanRecording read_respiban(const std::string& path);

/// One labelled protocol condition of `S<k>_quest.csv`.
struct WesadCondition {
  std::string name;   // as in the file: "Base", "TSST", "Fun", "Medi 1", "Medi 2"
  std::string label;  // baseline | stress | amusement | meditation
  int trial = 0;      // 1-based position among the labelled conditions
  double start_s = 0, end_s = 0;  // from the start of the RespiBAN recording
};

/// Reads the `# ORDER`, `# START`, `# END` rows (semicolon separated, times in minutes.seconds,
/// e.g. 7.08 = 7 min 8 s). Base -> baseline, TSST -> stress, Fun -> amusement, Medi 1/Medi 2 ->
/// meditation; sRead, fRead, bRead are skipped. Throws DataError on a missing row, a bad time
/// ("line 3, field 4: ..."), end <= start, or an unknown condition name.
std::vector<WesadCondition> read_wesad_quest(const std::string& path);

/// Options of extract_wesad_features.
struct WesadFeatureOptions {
  /// Window length and step in seconds (DMER: 5 s windows every 1 s).
  double window_s = 5.0;
  double step_s = 1.0;
  /// Context of HRV features in seconds, centred on the window, clipped to the condition.
  double hrv_context_s = 60.0;
  /// Wrist (E4: EDA_, PPG_, ACC_, TEMP_) and chest (RespiBAN: ECG_, RSP_, CHEST_EDA_,
  /// CHEST_TEMP_, CHEST_ACC_) feature groups.
  bool wrist = true;
  bool chest = true;
  /// Subject folders to read ("S2", ...); empty = every `S<k>` folder under the root.
  std::vector<std::string> subjects;
  /// E4 start relative to the RespiBAN start in seconds (the raw streams are not synchronised;
  /// WESAD aligned them by a double tap). Condition times are shifted by -e4_offset_s for E4.
  double e4_offset_s = 0.0;
  /// Windows with a non-finite feature are dropped when true (kept as NaN otherwise).
  bool drop_incomplete = true;
};

/// Features of every labelled window of every subject: one row per window with subject "S<k>",
/// trial = WesadCondition::trial, time = window start (s from the recording start), label.
/// classes = [baseline, stress, amusement, meditation]; modalities as in docs/signals.md.
/// Validates the options first (OptionError); file problems throw DataError.
FeatureTable extract_wesad_features(const std::string& wesad_root, const WesadFeatureOptions& options);

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
FeatureTable extract_csv_features(const std::string& recording_csv,
                                  const std::string& annotation_csv,
                                  const CsvRecordingOptions& options);

}  // namespace emofuse::signal
