// WESAD (Schmidt et al. 2018) raw layout -> windowed feature table: every labelled condition of
// every subject, wrist (E4) and chest (RespiBAN) streams. Entry point of `emofuse features --dataset wesad`.
#pragma once

#include <string>
#include <vector>

#include "signal/wesad_readers.h"
#include "signal/windows.h"

namespace emofuse::signal {

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

/// The labelled conditions' classes in target order: baseline, stress, amusement, meditation.
const std::vector<std::string>& wesad_classes();

/// The wrist (E4) feature modalities: eda (EDA_), bvp (PPG_), acc (ACC_, behavioural), temp (TEMP_).
std::vector<FeatureModality> wesad_wrist_modalities();

/// The E4 files of one subject, <subject_dir>/<id>_E4_Data/{EDA,BVP,ACC,TEMP}.csv in this order, as
/// read_e4_csv reads them (ACC in counts of 1/64 g). Throws DataError naming the file, also for a
/// sampling rate other than EDA 4, BVP 64, ACC 32, TEMP 4 Hz.
std::vector<E4Channel> read_wesad_wrist_files(const std::string& subject_dir, const std::string& id);

/// The subject folders to read: `requested`, or every `S<k>` folder under `wesad_root` in order
/// of k. Throws DataError when the root is not a folder or holds none.
std::vector<std::string> wesad_subject_folders(const std::string& wesad_root,
                                               const std::vector<std::string>& requested);

/// Features of every labelled window of every subject: one row per window with subject "S<k>",
/// trial = WesadCondition::trial, time = window start (s from the recording start), label.
/// classes = [baseline, stress, amusement, meditation]; modalities as in docs/signals.md.
/// Validates the options first (OptionError); file problems throw DataError.
FeatureTable extract_wesad_features(const std::string& wesad_root, const WesadFeatureOptions& options);

}  // namespace emofuse::signal
