// Heart rate and heart rate variability from beat times (shared by PPG and ECG). Conventions
// follow the Task Force of the ESC/NASPE (1996) and NeuroKit2 `hrv_time` / `hrv_frequency`.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace emofuse::signal {

/// Instantaneous rate in beats (or breaths) per minute at every sample: 60 / interval at each
/// peak from the previous one (the first peak takes the second's value), linearly interpolated
/// between peaks and held constant outside them. NaN everywhere with fewer than 2 peaks.
std::vector<double> signal_rate(const std::vector<std::size_t>& peaks, double sampling_rate, std::size_t n_samples);

/// HRV indices of one series of beat times. Time domain in ms (pNN in %); frequency domain in
/// ms^2 from the RR series linearly interpolated at `interpolation_rate` Hz and Welch's PSD
/// (Hann, 50 % overlap, segments of min(n, 256) samples). NaN where undefined: time domain
/// needs >= 3 intervals, frequency domain a series of >= 25 s (one LF cycle at 0.04 Hz).
struct HrvIndices {
  double mean_nn, sdnn, rmssd, sdsd, pnn50, pnn20, median_nn, iqr_nn, cvnn;
  double lf, hf, lf_hf, lfn, hfn;  // LF 0.04-0.15 Hz, HF 0.15-0.4 Hz
};

/// HRV of beats at `peak_times_s` (seconds, increasing).
HrvIndices hrv_indices(const std::vector<double>& peak_times_s, double interpolation_rate = 4.0);

/// Names `<prefix>HRV_MeanNN`, ..., `<prefix>HRV_HFn` (14 names, HrvIndices order).
std::vector<std::string> hrv_feature_names(const std::string& prefix);

/// The 14 values of `hrv` in hrv_feature_names order.
std::vector<double> hrv_feature_values(const HrvIndices& hrv);

}  // namespace emofuse::signal
