// Readers of the raw WESAD files (Schmidt et al. 2018): the wrist device's Empatica E4 CSVs, the
// chest device's RespiBAN text recording, and the protocol conditions of S<k>_quest.csv.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

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
  std::string name;               // as in the file: "Base", "TSST", "Fun", "Medi 1", "Medi 2"
  std::string label;              // baseline | stress | amusement | meditation
  int trial = 0;                  // 1-based position among the labelled conditions
  double start_s = 0, end_s = 0;  // from the start of the RespiBAN recording
};

/// Reads the `# ORDER`, `# START`, `# END` rows (semicolon separated, times in minutes.seconds,
/// e.g. 7.08 = 7 min 8 s). Base -> baseline, TSST -> stress, Fun -> amusement, Medi 1/Medi 2 ->
/// meditation; sRead, fRead, bRead are skipped. Throws DataError on a missing row, a bad time
/// ("line 3, field 4: ..."), end <= start, or an unknown condition name.
std::vector<WesadCondition> read_wesad_quest(const std::string& path);

}  // namespace emofuse::signal
