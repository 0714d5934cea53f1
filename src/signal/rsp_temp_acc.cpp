#include "signal/rsp_temp_acc.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "signal/filter.h"
#include "signal/hrv.h"
#include "signal/stats.h"

namespace emofuse::signal {

std::vector<double> rsp_clean(const std::vector<double>& rsp, double sampling_rate) {
  require_option(sampling_rate > 6, "sampling_rate", "RSP needs > 6 Hz for the 3 Hz band edge");
  const std::size_t n = rsp.size();
  if (n < 2) return rsp;
  // Linear detrend (least squares), then band-pass.
  const double slope = range_slope(rsp, 0, n, 1.0), mean = range_mean(rsp, 0, n);
  const double mid = (static_cast<double>(n) - 1.0) / 2.0;
  std::vector<double> detrended(n);
  for (std::size_t i = 0; i < n; ++i) detrended[i] = rsp[i] - mean - slope * (static_cast<double>(i) - mid);
  return signal_filter(detrended, sampling_rate, 0.05, 3.0, 2);
}

RspExtrema rsp_peaks(const std::vector<double>& x, double sampling_rate) {
  require_option(sampling_rate > 0, "sampling_rate", "must be > 0");
  const std::size_t n = x.size();
  const std::size_t min_half = static_cast<std::size_t>(std::lround(0.5 * sampling_rate));
  // Zero crossings with the sign of the half-cycle that starts there; short half-cycles are
  // absorbed into their neighbours.
  std::vector<std::size_t> up, down;
  std::size_t last_crossing = 0;
  for (std::size_t i = 1; i < n; ++i) {
    const bool rising = x[i - 1] < 0 && x[i] >= 0, falling = x[i - 1] >= 0 && x[i] < 0;
    if (!rising && !falling) continue;
    if (i - last_crossing < min_half && (!up.empty() || !down.empty())) continue;
    (rising ? up : down).push_back(i);
    last_crossing = i;
  }
  RspExtrema raw;
  std::size_t d = 0;
  for (std::size_t k = 0; k < up.size(); ++k) {
    while (d < down.size() && down[d] <= up[k]) ++d;
    if (d >= down.size()) break;
    const std::size_t next_up = k + 1 < up.size() ? up[k + 1] : n;
    if (next_up <= down[d]) continue;
    const std::size_t peak =
        static_cast<std::size_t>(std::max_element(x.begin() + up[k], x.begin() + down[d]) - x.begin());
    if (next_up == n) break;  // trough incomplete
    const std::size_t trough =
        static_cast<std::size_t>(std::min_element(x.begin() + down[d], x.begin() + next_up) - x.begin());
    raw.peaks.push_back(peak);
    raw.troughs.push_back(trough);
  }
  if (raw.peaks.empty()) return raw;
  std::vector<double> amps;
  for (std::size_t k = 0; k < raw.peaks.size(); ++k) amps.push_back(x[raw.peaks[k]] - x[raw.troughs[k]]);
  const double threshold = 0.3 * vector_quantile(amps, 0.5);
  RspExtrema out;
  for (std::size_t k = 0; k < raw.peaks.size(); ++k) {
    if (amps[k] < threshold) continue;
    out.peaks.push_back(raw.peaks[k]);
    out.troughs.push_back(raw.troughs[k]);
  }
  return out;
}

RspProcessed rsp_process(const std::vector<double>& rsp, double sampling_rate) {
  RspProcessed out;
  out.sampling_rate = sampling_rate;
  out.clean = rsp_clean(rsp, sampling_rate);
  out.extrema = rsp_peaks(out.clean, sampling_rate);
  out.rate = signal_rate(out.extrema.peaks, sampling_rate, out.clean.size());
  if (out.extrema.peaks.empty()) {
    out.amplitude.assign(out.clean.size(), kNaN);
  } else {
    std::vector<double> t, a, samples(out.clean.size());
    for (std::size_t k = 0; k < out.extrema.peaks.size(); ++k) {
      t.push_back(static_cast<double>(out.extrema.peaks[k]));
      a.push_back(out.clean[out.extrema.peaks[k]] - out.clean[out.extrema.troughs[k]]);
    }
    for (std::size_t i = 0; i < samples.size(); ++i) samples[i] = static_cast<double>(i);
    out.amplitude = signal_interpolate(t, a, samples);
  }
  return out;
}

std::vector<std::string> rsp_feature_names(const std::string& p) {
  return {p + "Rate_Mean",      p + "Rate_Std",      p + "Rate_Min",  p + "Rate_Max",
          p + "Amplitude_Mean", p + "Amplitude_Std", p + "Clean_Std", p + "Clean_Range"};
}

std::vector<double> rsp_window_features(const RspProcessed& rsp, std::size_t begin, std::size_t end) {
  require_option(begin < end && end <= rsp.clean.size(), "window", "needs begin < end <= signal length");
  return {range_mean(rsp.rate, begin, end),      range_std(rsp.rate, begin, end),
          range_min(rsp.rate, begin, end),       range_max(rsp.rate, begin, end),
          range_mean(rsp.amplitude, begin, end), range_std(rsp.amplitude, begin, end),
          range_std(rsp.clean, begin, end),      range_max(rsp.clean, begin, end) - range_min(rsp.clean, begin, end)};
}

std::vector<std::string> temp_feature_names(const std::string& p) {
  return {p + "Mean", p + "Std", p + "Min", p + "Max", p + "Range", p + "Slope"};
}

std::vector<double> temp_window_features(const std::vector<double>& temp, double sampling_rate, std::size_t begin,
                                         std::size_t end) {
  require_option(begin < end && end <= temp.size(), "window", "needs begin < end <= signal length");
  const double mn = range_min(temp, begin, end), mx = range_max(temp, begin, end);
  return {range_mean(temp, begin, end),
          range_std(temp, begin, end),
          mn,
          mx,
          mx - mn,
          range_slope(temp, begin, end, sampling_rate)};
}

std::vector<std::string> acc_feature_names(const std::string& p) {
  return {p + "X_Mean", p + "Y_Mean",         p + "Z_Mean",        p + "X_Std",         p + "Y_Std",
          p + "Z_Std",  p + "Magnitude_Mean", p + "Magnitude_Std", p + "Magnitude_Max", p + "Activity_ENMO"};
}

std::vector<double> acc_window_features(const std::vector<double>& x, const std::vector<double>& y,
                                        const std::vector<double>& z, std::size_t begin, std::size_t end) {
  require_option(x.size() == y.size() && y.size() == z.size(), "acc", "axes differ in length");
  require_option(begin < end && end <= x.size(), "window", "needs begin < end <= signal length");
  std::vector<double> magnitude(end - begin);
  double enmo = 0;
  for (std::size_t i = begin; i < end; ++i) {
    magnitude[i - begin] = std::sqrt(x[i] * x[i] + y[i] * y[i] + z[i] * z[i]);
    enmo += std::max(0.0, magnitude[i - begin] - 1.0);
  }
  const std::size_t m = magnitude.size();
  return {range_mean(x, begin, end),    range_mean(y, begin, end),  range_mean(z, begin, end),
          range_std(x, begin, end),     range_std(y, begin, end),   range_std(z, begin, end),
          range_mean(magnitude, 0, m),  range_std(magnitude, 0, m), range_max(magnitude, 0, m),
          enmo / static_cast<double>(m)};
}

}  // namespace emofuse::signal
