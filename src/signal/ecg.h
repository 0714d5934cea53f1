// Electrocardiogram: cleaning, R peaks (Pan & Tompkins 1985), rate, HRV, 18 window features.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace emofuse::signal {

/// Zero-phase 3rd-order Butterworth band-pass 0.5-40 Hz (baseline wander and EMG/mains removal).
std::vector<double> ecg_clean(const std::vector<double>& ecg, double sampling_rate);

/// R peaks, method "pantompkins1985" (Pan & Tompkins 1985, IEEE TBME 32(3)): band-pass 5-15 Hz
/// (zero-phase Butterworth instead of the paper's integer filters), five-point derivative,
/// squaring, 150 ms moving-window integration; adaptive thresholds on the integrated signal
/// (SPKI/NPKI running estimates, THRESHOLD = NPKI + 0.25 (SPKI - NPKI), learning phase on the
/// first 2 s), 200 ms refractory period, T-wave test (a candidate within 360 ms of the last beat
/// whose maximal slope is below half of that beat's is noise), search-back at half threshold
/// when no beat was found for 1.66 x the mean RR. Each detection is placed on the maximum of
/// `ecg_cleaned` within +-100 ms (upright R waves assumed).
std::vector<std::size_t> ecg_peaks(const std::vector<double>& ecg_cleaned, double sampling_rate);

/// Everything the window features need, computed once per recording.
struct EcgProcessed {
  double sampling_rate = 0;
  std::vector<double> clean;
  std::vector<std::size_t> peaks;
  std::vector<double> rate;  // bpm at every sample
};

/// ecg_clean -> ecg_peaks -> signal_rate.
EcgProcessed ecg_process(const std::vector<double>& ecg, double sampling_rate);

/// The 18 names: `<prefix>Rate_Mean/Std/Min/Max` and the 14 HRV names.
std::vector<std::string> ecg_feature_names(const std::string& prefix = "ECG_");

/// The 18 features; rate over [begin, end), HRV over the beats in [hrv_begin, hrv_end).
std::vector<double> ecg_window_features(const EcgProcessed& ecg, std::size_t begin, std::size_t end,
                                        std::size_t hrv_begin, std::size_t hrv_end);

}  // namespace emofuse::signal
