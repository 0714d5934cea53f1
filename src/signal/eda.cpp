#include "signal/eda.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "signal/filter.h"
#include "signal/stats.h"

namespace emofuse::signal {

std::vector<double> eda_clean(const std::vector<double>& eda, double sampling_rate) {
  require_option(sampling_rate > 0, "sampling_rate", "must be > 0");
  if (sampling_rate <= 7.0 || eda.size() < 2) return eda;
  return signal_filter(eda, sampling_rate, 0, 3.0, 4);
}

EdaPhasic eda_phasic(const std::vector<double>& eda_cleaned, double sampling_rate, double window_s) {
  require_option(sampling_rate > 0, "sampling_rate", "must be > 0");
  require_option(window_s > 0, "window_s", "must be > 0");
  const std::size_t n = eda_cleaned.size();
  const std::size_t half = static_cast<std::size_t>(std::llround(window_s * sampling_rate / 2));
  EdaPhasic out;
  out.tonic.resize(n);
  out.phasic.resize(n);
  // Running median: a sorted copy of the current window, updated by one insertion and one
  // removal per step (binary search + shift).
  std::vector<double> sorted;
  std::size_t lo = 0, hi = 0;  // current window [lo, hi)
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t want_lo = i > half ? i - half : 0;
    const std::size_t want_hi = std::min(n, i + half + 1);
    while (hi < want_hi) {
      sorted.insert(std::upper_bound(sorted.begin(), sorted.end(), eda_cleaned[hi]), eda_cleaned[hi]);
      ++hi;
    }
    while (lo < want_lo) {
      sorted.erase(std::lower_bound(sorted.begin(), sorted.end(), eda_cleaned[lo]));
      ++lo;
    }
    const std::size_t m = sorted.size();
    out.tonic[i] = m % 2 ? sorted[m / 2] : 0.5 * (sorted[m / 2 - 1] + sorted[m / 2]);
    out.phasic[i] = eda_cleaned[i] - out.tonic[i];
  }
  return out;
}

EdaPeaks eda_peaks(const std::vector<double>& x, double sampling_rate, double relative_min, double absolute_min) {
  require_option(sampling_rate > 0, "sampling_rate", "must be > 0");
  require_option(relative_min >= 0 && relative_min <= 1, "relative_min", "must be in [0, 1]");
  EdaPeaks out;
  const std::size_t n = x.size();
  if (n < 3) return out;
  // d[i] = x[i+1] - x[i], smoothed by a centred moving average of ~0.25 s.
  const std::size_t half = static_cast<std::size_t>(std::floor(0.125 * sampling_rate));
  std::vector<double> diff(n - 1);
  for (std::size_t i = 0; i + 1 < n; ++i) diff[i] = x[i + 1] - x[i];
  const std::vector<double> d = moving_average(diff, 2 * half + 1);
  // Peaks: downward zero crossings of d. Onset: walking back from the steepest point of the
  // rise, the first sample where d falls below 10 % of that steepest slope (the derivative's
  // upward zero crossing of Kim et al. is not reached when the tonic level itself rises).
  std::vector<std::size_t> onsets, peaks;
  std::vector<double> amplitudes;
  std::size_t previous_peak = 0;
  for (std::size_t j = 1; j < d.size(); ++j) {
    if (!(d[j - 1] > 0 && d[j] <= 0)) continue;
    std::size_t rise_start = j - 1;  // first sample of the positive-slope run ending at j
    while (rise_start > previous_peak && d[rise_start - 1] > 0) --rise_start;
    const std::size_t steepest =
        static_cast<std::size_t>(std::max_element(d.begin() + rise_start, d.begin() + j) - d.begin());
    std::size_t onset = steepest;
    while (onset > rise_start && d[onset - 1] > 0.1 * d[steepest]) --onset;
    const std::size_t pa = std::max(j > half ? j - half : 0, onset + 1);
    const std::size_t pb = std::min(n, j + half + 1);
    const std::size_t peak = static_cast<std::size_t>(std::max_element(x.begin() + pa, x.begin() + pb) - x.begin());
    onsets.push_back(onset);
    peaks.push_back(peak);
    amplitudes.push_back(x[peak] - x[onset]);
    previous_peak = j;
  }
  double largest = 0;
  for (double a : amplitudes) largest = std::max(largest, a);
  const double threshold = std::max(absolute_min, relative_min * largest);
  for (std::size_t k = 0; k < amplitudes.size(); ++k) {
    if (amplitudes[k] < threshold) continue;
    out.onsets.push_back(onsets[k]);
    out.peaks.push_back(peaks[k]);
    out.amplitudes.push_back(amplitudes[k]);
    out.rise_times.push_back(static_cast<double>(peaks[k] - onsets[k]) / sampling_rate);
  }
  return out;
}

EdaProcessed eda_process(const std::vector<double>& eda, double sampling_rate) {
  EdaProcessed out;
  out.sampling_rate = sampling_rate;
  out.clean = eda_clean(eda, sampling_rate);
  EdaPhasic parts = eda_phasic(out.clean, sampling_rate);
  out.tonic = std::move(parts.tonic);
  out.phasic = std::move(parts.phasic);
  out.peaks = eda_peaks(out.clean, sampling_rate);
  return out;
}

std::vector<std::string> eda_feature_names(const std::string& p) {
  return {p + "Mean",
          p + "Std",
          p + "Min",
          p + "Max",
          p + "Range",
          p + "Median",
          p + "Slope",
          p + "Skewness",
          p + "Kurtosis",
          p + "Derivative_Mean",
          p + "Derivative_Std",
          p + "Derivative_NegativeRatio",
          p + "Tonic_Mean",
          p + "Tonic_Std",
          p + "Tonic_Slope",
          p + "Phasic_Mean",
          p + "Phasic_Std",
          p + "Phasic_Min",
          p + "Phasic_Max",
          p + "Phasic_Energy",
          p + "Phasic_AUC",
          p + "SCR_Peaks_N",
          p + "SCR_Peaks_Rate",
          p + "SCR_Amplitude_Mean",
          p + "SCR_Amplitude_Max",
          p + "SCR_Amplitude_Sum",
          p + "SCR_RiseTime_Mean",
          p + "SCR_RiseTime_Max"};
}

std::vector<double> eda_window_features(const EdaProcessed& eda, std::size_t begin, std::size_t end) {
  require_option(begin < end && end <= eda.clean.size(), "window", "needs begin < end <= signal length");
  const double fs = eda.sampling_rate;
  const auto& x = eda.clean;
  const double duration = static_cast<double>(end - begin) / fs;
  // Derivative in uS/s over the window (first differences).
  std::vector<double> deriv;
  for (std::size_t i = begin + 1; i < end; ++i) deriv.push_back((x[i] - x[i - 1]) * fs);
  double negative = 0;
  for (double v : deriv) negative += v < 0 ? 1.0 : 0.0;
  const double n_deriv = static_cast<double>(deriv.size());

  double energy = 0, auc = 0;
  for (std::size_t i = begin; i < end; ++i) {
    energy += eda.phasic[i] * eda.phasic[i];
    auc += std::max(0.0, eda.phasic[i]) / fs;
  }
  energy /= static_cast<double>(end - begin);

  double scr_n = 0, amp_sum = 0, amp_max = 0, rise_sum = 0, rise_max = 0;
  for (std::size_t k = 0; k < eda.peaks.peaks.size(); ++k) {
    const std::size_t p = eda.peaks.peaks[k];
    if (p < begin || p >= end) continue;
    scr_n += 1;
    amp_sum += eda.peaks.amplitudes[k];
    amp_max = std::max(amp_max, eda.peaks.amplitudes[k]);
    rise_sum += eda.peaks.rise_times[k];
    rise_max = std::max(rise_max, eda.peaks.rise_times[k]);
  }
  const double mn = range_min(x, begin, end), mx = range_max(x, begin, end);
  return {range_mean(x, begin, end),
          range_std(x, begin, end),
          mn,
          mx,
          mx - mn,
          vector_quantile(std::vector<double>(x.begin() + begin, x.begin() + end), 0.5),
          range_slope(x, begin, end, fs),
          range_skewness(x, begin, end),
          range_kurtosis(x, begin, end),
          deriv.empty() ? kNaN : range_mean(deriv, 0, deriv.size()),
          deriv.empty() ? kNaN : range_std(deriv, 0, deriv.size()),
          deriv.empty() ? kNaN : negative / n_deriv,
          range_mean(eda.tonic, begin, end),
          range_std(eda.tonic, begin, end),
          range_slope(eda.tonic, begin, end, fs),
          range_mean(eda.phasic, begin, end),
          range_std(eda.phasic, begin, end),
          range_min(eda.phasic, begin, end),
          range_max(eda.phasic, begin, end),
          energy,
          auc,
          scr_n,
          scr_n / duration * 60.0,
          scr_n > 0 ? amp_sum / scr_n : 0.0,
          amp_max,
          amp_sum,
          scr_n > 0 ? rise_sum / scr_n : 0.0,
          rise_max};
}

}  // namespace emofuse::signal
