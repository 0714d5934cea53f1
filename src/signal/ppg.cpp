#include "signal/ppg.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "signal/filter.h"
#include "signal/hrv.h"
#include "signal/stats.h"

namespace emofuse::signal {

std::vector<double> ppg_clean(const std::vector<double>& ppg, double sampling_rate) {
  require_option(sampling_rate > 16, "sampling_rate", "PPG needs > 16 Hz for the 8 Hz band edge");
  return signal_filter(ppg, sampling_rate, 0.5, 8.0, 3);
}

std::vector<std::size_t> ppg_peaks(const std::vector<double>& clean, double sampling_rate) {
  require_option(sampling_rate > 0, "sampling_rate", "must be > 0");
  const std::size_t n = clean.size();
  std::vector<double> squared(n);
  double mean_squared = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double c = std::max(0.0, clean[i]);  // Elgendi: clip the diastolic (negative) part
    squared[i] = c * c;
    mean_squared += squared[i];
  }
  if (n == 0) return {};
  mean_squared /= static_cast<double>(n);
  const std::size_t w1 = std::max<std::size_t>(1, std::lround(0.111 * sampling_rate));
  const std::size_t w2 = std::max<std::size_t>(1, std::lround(0.667 * sampling_rate));
  const std::vector<double> ma_peak = moving_average(squared, w1);
  const std::vector<double> ma_beat = moving_average(squared, w2);
  const double alpha = 0.02 * mean_squared;  // beta = 0.02 (Elgendi et al. 2013, Table 3)
  const std::size_t min_delay = static_cast<std::size_t>(std::lround(0.3 * sampling_rate));
  std::vector<std::size_t> peaks;
  std::size_t i = 0;
  while (i < n) {
    if (ma_peak[i] <= ma_beat[i] + alpha) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < n && ma_peak[j] > ma_beat[j] + alpha) ++j;  // block of interest [i, j)
    if (j - i >= w1) {
      const std::size_t p =
          static_cast<std::size_t>(std::max_element(clean.begin() + i, clean.begin() + j) - clean.begin());
      if (peaks.empty() || p - peaks.back() > min_delay) peaks.push_back(p);
    }
    i = j;
  }
  // Our addition: a peak less than half the median interval after the previous one is a
  // diastolic wave that passed the threshold (seen at signal edges); keep the higher of the two.
  if (peaks.size() >= 3) {
    std::vector<double> intervals;
    for (std::size_t k = 1; k < peaks.size(); ++k) intervals.push_back(static_cast<double>(peaks[k] - peaks[k - 1]));
    const double limit = 0.5 * vector_quantile(intervals, 0.5);
    std::vector<std::size_t> kept = {peaks.front()};
    for (std::size_t k = 1; k < peaks.size(); ++k) {
      if (static_cast<double>(peaks[k] - kept.back()) >= limit) {
        kept.push_back(peaks[k]);
      } else if (clean[peaks[k]] > clean[kept.back()]) {
        kept.back() = peaks[k];
      }
    }
    peaks = std::move(kept);
  }
  return peaks;
}

PpgProcessed ppg_process(const std::vector<double>& ppg, double sampling_rate) {
  PpgProcessed out;
  out.sampling_rate = sampling_rate;
  out.clean = ppg_clean(ppg, sampling_rate);
  out.peaks = ppg_peaks(out.clean, sampling_rate);
  out.rate = signal_rate(out.peaks, sampling_rate, out.clean.size());
  const std::size_t foot_span = static_cast<std::size_t>(std::lround(0.5 * sampling_rate));
  for (std::size_t k = 0; k < out.peaks.size(); ++k) {
    const std::size_t p = out.peaks[k];
    const std::size_t a = k > 0 ? out.peaks[k - 1] : (p > foot_span ? p - foot_span : 0);
    const double foot = *std::min_element(out.clean.begin() + a, out.clean.begin() + p + 1);
    out.amplitudes.push_back(out.clean[p] - foot);
  }
  return out;
}

std::vector<std::string> ppg_feature_names(const std::string& p) {
  std::vector<std::string> names = {p + "Clean_Mean",     p + "Clean_Std",      p + "Clean_Min", p + "Clean_Max",
                                    p + "Clean_Skewness", p + "Clean_Kurtosis", p + "Peaks_N",   p + "Amplitude_Mean",
                                    p + "Amplitude_Std",  p + "Rate_Mean",      p + "Rate_Std",  p + "Rate_Min",
                                    p + "Rate_Max"};
  for (auto& h : hrv_feature_names(p)) names.push_back(h);
  return names;
}

std::vector<double> ppg_window_features(const PpgProcessed& ppg, std::size_t begin, std::size_t end,
                                        std::size_t hrv_begin, std::size_t hrv_end) {
  require_option(begin < end && end <= ppg.clean.size(), "window", "needs begin < end <= signal length");
  std::vector<double> amps;
  for (std::size_t k = 0; k < ppg.peaks.size(); ++k) {
    if (ppg.peaks[k] >= begin && ppg.peaks[k] < end) amps.push_back(ppg.amplitudes[k]);
  }
  const auto& c = ppg.clean;
  std::vector<double> values = {range_mean(c, begin, end),
                                range_std(c, begin, end),
                                range_min(c, begin, end),
                                range_max(c, begin, end),
                                range_skewness(c, begin, end),
                                range_kurtosis(c, begin, end),
                                static_cast<double>(amps.size()),
                                amps.empty() ? kNaN : range_mean(amps, 0, amps.size()),
                                amps.empty() ? kNaN : range_std(amps, 0, amps.size()),
                                range_mean(ppg.rate, begin, end),
                                range_std(ppg.rate, begin, end),
                                range_min(ppg.rate, begin, end),
                                range_max(ppg.rate, begin, end)};
  const HrvIndices hrv = hrv_indices(peak_times_in(ppg.peaks, hrv_begin, hrv_end, ppg.sampling_rate));
  for (double v : hrv_feature_values(hrv)) values.push_back(v);
  return values;
}

}  // namespace emofuse::signal
