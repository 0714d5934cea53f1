// Respiration (rate, amplitude), skin temperature (level, slope) and accelerometer (magnitude
// statistics, activity) features.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace emofuse::signal {

/// Method "khodadad2018" cleaning (as NeuroKit2): linear detrend, then zero-phase 2nd-order
/// Butterworth band-pass 0.05-3 Hz.
std::vector<double> rsp_clean(const std::vector<double>& rsp, double sampling_rate);

/// Breath extrema after Khodadad et al. (2018): zero crossings of the cleaned signal split it
/// into inhalation (above zero) and exhalation (below) half-cycles; each peak is the maximum
/// between an upward and the next downward crossing, each trough the minimum before the next
/// upward crossing; cycles whose peak-trough amplitude is below 0.3 x the median are merged
/// away. Half-cycles shorter than 0.5 s are ignored.
struct RspExtrema {
  std::vector<std::size_t> peaks;
  std::vector<std::size_t> troughs;  // troughs[k] follows peaks[k]
};
RspExtrema rsp_peaks(const std::vector<double>& rsp_cleaned, double sampling_rate);

/// Everything the window features need.
struct RspProcessed {
  double sampling_rate = 0;
  std::vector<double> clean;
  RspExtrema extrema;
  std::vector<double> rate;       // breaths per minute at every sample
  std::vector<double> amplitude;  // peak-trough amplitude at every sample (interpolated)
};

/// rsp_clean -> rsp_peaks -> signal_rate and interpolated amplitude.
RspProcessed rsp_process(const std::vector<double>& rsp, double sampling_rate);

/// 8 names: Rate_Mean/Std/Min/Max (breaths/min), Amplitude_Mean/Std, Clean_Std, Clean_Range.
std::vector<std::string> rsp_feature_names(const std::string& prefix = "RSP_");
std::vector<double> rsp_window_features(const RspProcessed& rsp, std::size_t begin, std::size_t end);

/// 6 names: Mean, Std, Min, Max, Range (deg C) and Slope (deg C / s, least squares).
std::vector<std::string> temp_feature_names(const std::string& prefix = "TEMP_");
std::vector<double> temp_window_features(const std::vector<double>& temp, double sampling_rate, std::size_t begin,
                                         std::size_t end);

/// 10 names: X/Y/Z_Mean, X/Y/Z_Std (g), Magnitude_Mean/Std/Max (g) and Activity_ENMO: the mean
/// of max(|a| - 1 g, 0) (Euclidean norm minus one, van Hees et al. 2013), in g, our activity
/// level. Axes in g (Empatica E4 raw counts / 64).
std::vector<std::string> acc_feature_names(const std::string& prefix = "ACC_");
std::vector<double> acc_window_features(const std::vector<double>& x, const std::vector<double>& y,
                                        const std::vector<double>& z, std::size_t begin, std::size_t end);

}  // namespace emofuse::signal
