#include "signal/ecg.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "signal/filter.h"
#include "signal/hrv.h"
#include "signal/stats.h"

namespace emofuse::signal {

std::vector<double> ecg_clean(const std::vector<double>& ecg, double sampling_rate) {
  require_option(sampling_rate > 80, "sampling_rate", "ECG needs > 80 Hz for the 40 Hz band edge");
  return signal_filter(ecg, sampling_rate, 0.5, 40.0, 3);
}

std::vector<std::size_t> ecg_peaks(const std::vector<double>& clean, double sampling_rate) {
  require_option(sampling_rate > 30, "sampling_rate", "must be > 30 Hz");
  const std::size_t n = clean.size();
  if (n < 5) return {};
  const double fs = sampling_rate;
  // 1. Band-pass 5-15 Hz (QRS energy).
  const std::vector<double> band = signal_filter(clean, fs, 5.0, 15.0, 2);
  // 2. Five-point derivative (Pan & Tompkins Eq. 9, centred) and 3. squaring.
  std::vector<double> squared(n, 0.0);
  for (std::size_t i = 2; i + 2 < n; ++i) {
    const double d = (-band[i - 2] - 2.0 * band[i - 1] + 2.0 * band[i + 1] + band[i + 2]) * fs / 8.0;
    squared[i] = d * d;
  }
  // 4. Moving-window integration over 150 ms (centred).
  const std::vector<double> mwi = moving_average(squared, std::max<std::size_t>(1, std::lround(0.150 * fs)));
  // Candidate peaks: local maxima of the integrated signal at least 200 ms apart (the larger
  // one wins inside the refractory period).
  const std::size_t refractory = static_cast<std::size_t>(std::lround(0.200 * fs));
  std::vector<std::size_t> candidates;
  for (std::size_t i = 1; i + 1 < n; ++i) {
    if (!(mwi[i] > mwi[i - 1] && mwi[i] >= mwi[i + 1])) continue;
    if (!candidates.empty() && i - candidates.back() < refractory) {
      if (mwi[i] > mwi[candidates.back()]) candidates.back() = i;
      continue;
    }
    candidates.push_back(i);
  }
  if (candidates.empty()) return {};
  // 5. Adaptive thresholds; learning phase over the first 2 s.
  const std::size_t learn = std::min(n, static_cast<std::size_t>(2 * fs));
  double spki = 0.25 * *std::max_element(mwi.begin(), mwi.begin() + learn);
  double npki = 0.5 * range_mean(mwi, 0, learn);
  std::vector<std::size_t> beats;
  std::vector<double> rr_recent;   // last 8 RR intervals in samples
  std::size_t last_candidate = 0;  // index into candidates after the last accepted beat
  // Maximal squared slope of the QRS-energy window ending at a candidate (for the T-wave test).
  const std::size_t slope_span = static_cast<std::size_t>(std::lround(0.150 * fs));
  auto max_slope_sq = [&](std::size_t i) {
    const std::size_t a = i > slope_span ? i - slope_span : 0, b = std::min(n, i + slope_span / 2 + 1);
    return *std::max_element(squared.begin() + a, squared.begin() + b);
  };
  const std::size_t t_wave_window = static_cast<std::size_t>(std::lround(0.360 * fs));
  for (std::size_t c = 0; c < candidates.size(); ++c) {
    const std::size_t i = candidates[c];
    const double threshold = npki + 0.25 * (spki - npki);
    // T-wave test: within 360 ms of the last beat, a slope below half the last QRS's slope
    // (a quarter in squared units) marks a T wave, treated as noise.
    const bool t_wave =
        !beats.empty() && i - beats.back() < t_wave_window && max_slope_sq(i) < 0.25 * max_slope_sq(beats.back());
    if (mwi[i] > threshold && !t_wave) {
      spki = 0.125 * mwi[i] + 0.875 * spki;
      beats.push_back(i);
      last_candidate = c + 1;
    } else {
      npki = 0.125 * mwi[i] + 0.875 * npki;
    }
    if (beats.size() >= 2 && beats.back() == i) {
      rr_recent.push_back(static_cast<double>(beats.back() - beats[beats.size() - 2]));
      if (rr_recent.size() > 8) rr_recent.erase(rr_recent.begin());
    }
    // Search-back: no beat for 1.66 x mean RR -> best candidate above half the threshold.
    if (!beats.empty() && !rr_recent.empty() && c + 1 < candidates.size()) {
      const double rr_mean = range_mean(rr_recent, 0, rr_recent.size());
      if (static_cast<double>(candidates[c + 1] - beats.back()) > 1.66 * rr_mean) {
        std::size_t best = candidates.size();
        for (std::size_t k = last_candidate; k <= c; ++k) {
          if (candidates[k] <= beats.back() + refractory) continue;
          if (mwi[candidates[k]] > 0.5 * threshold &&
              (best == candidates.size() || mwi[candidates[k]] > mwi[candidates[best]])) {
            best = k;
          }
        }
        if (best != candidates.size()) {
          spki = 0.25 * mwi[candidates[best]] + 0.75 * spki;
          beats.push_back(candidates[best]);
          last_candidate = best + 1;
          std::sort(beats.begin(), beats.end());
        }
      }
    }
  }
  // 6. Place each beat on the R wave: maximum of the cleaned ECG within +-100 ms.
  const std::size_t half = static_cast<std::size_t>(std::lround(0.1 * fs));
  std::vector<std::size_t> r_peaks;
  for (std::size_t b : beats) {
    const std::size_t a = b > half ? b - half : 0, e = std::min(n, b + half + 1);
    const std::size_t r =
        static_cast<std::size_t>(std::max_element(clean.begin() + a, clean.begin() + e) - clean.begin());
    if (r_peaks.empty() || r > r_peaks.back() + refractory) r_peaks.push_back(r);
  }
  return r_peaks;
}

EcgProcessed ecg_process(const std::vector<double>& ecg, double sampling_rate) {
  EcgProcessed out;
  out.sampling_rate = sampling_rate;
  out.clean = ecg_clean(ecg, sampling_rate);
  out.peaks = ecg_peaks(out.clean, sampling_rate);
  out.rate = signal_rate(out.peaks, sampling_rate, out.clean.size());
  return out;
}

std::vector<std::string> ecg_feature_names(const std::string& p) {
  std::vector<std::string> names = {p + "Rate_Mean", p + "Rate_Std", p + "Rate_Min", p + "Rate_Max"};
  for (auto& h : hrv_feature_names(p)) names.push_back(h);
  return names;
}

std::vector<double> ecg_window_features(const EcgProcessed& ecg, std::size_t begin, std::size_t end,
                                        std::size_t hrv_begin, std::size_t hrv_end) {
  require_option(begin < end && end <= ecg.clean.size(), "window", "needs begin < end <= signal length");
  std::vector<double> values = {range_mean(ecg.rate, begin, end), range_std(ecg.rate, begin, end),
                                range_min(ecg.rate, begin, end), range_max(ecg.rate, begin, end)};
  const HrvIndices hrv = hrv_indices(peak_times_in(ecg.peaks, hrv_begin, hrv_end, ecg.sampling_rate));
  for (double v : hrv_feature_values(hrv)) values.push_back(v);
  return values;
}

}  // namespace emofuse::signal
