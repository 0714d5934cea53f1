// Photoplethysmography (PPG / BVP): cleaning, systolic peaks (Elgendi et al. 2013), rate, HRV
// and the 27 window features.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace emofuse::signal {

/// Method "elgendi2013": zero-phase 3rd-order Butterworth band-pass 0.5-8 Hz.
std::vector<double> ppg_clean(const std::vector<double>& ppg, double sampling_rate);

/// Systolic peaks of a cleaned PPG, method "elgendi2013" (Elgendi et al. 2013, PLoS ONE 8(10)
/// e76585): negative values clipped to 0 and squared; MA_peak = moving average over W1 = 111 ms,
/// MA_beat over W2 = 667 ms; blocks of interest where MA_peak > MA_beat + beta * mean(squared)
/// (beta = 0.02) and at least W1 long; the peak is the block's maximum; a peak closer than
/// 0.3 s to the previous one is skipped; finally, of two peaks closer than half the median
/// interval the lower is dropped (our addition against diastolic waves at the signal edges).
/// Returns sample indices.
std::vector<std::size_t> ppg_peaks(const std::vector<double>& ppg_cleaned, double sampling_rate);

/// Everything the window features need, computed once per recording.
struct PpgProcessed {
  double sampling_rate = 0;
  std::vector<double> clean;
  std::vector<std::size_t> peaks;
  std::vector<double> rate;        // bpm at every sample (signal_rate)
  std::vector<double> amplitudes;  // per peak: clean[peak] - minimum since the previous peak
};

/// ppg_clean -> ppg_peaks -> signal_rate and peak amplitudes.
PpgProcessed ppg_process(const std::vector<double>& ppg, double sampling_rate);

/// The 27 feature names with `prefix` ("PPG_Clean_Mean", ..., "PPG_HRV_HFn").
std::vector<std::string> ppg_feature_names(const std::string& prefix = "PPG_");

/// The 27 features of window [begin, end). Signal, peak and rate statistics use the window;
/// HRV uses the beats inside [hrv_begin, hrv_end) (a longer context: LF needs >= 25 s).
std::vector<double> ppg_window_features(const PpgProcessed& ppg, std::size_t begin, std::size_t end,
                                        std::size_t hrv_begin, std::size_t hrv_end);

}  // namespace emofuse::signal
