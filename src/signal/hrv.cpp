#include "signal/hrv.h"

#include <cmath>

#include "core/error.h"
#include "signal/filter.h"
#include "signal/spectrum.h"
#include "signal/stats.h"

namespace emofuse::signal {

std::vector<double> signal_rate(const std::vector<std::size_t>& peaks, double sampling_rate, std::size_t n_samples) {
  require_option(sampling_rate > 0, "sampling_rate", "must be > 0");
  if (peaks.size() < 2) return std::vector<double>(n_samples, kNaN);
  std::vector<double> t, rate;
  for (std::size_t k = 1; k < peaks.size(); ++k) {
    t.push_back(static_cast<double>(peaks[k]));
    rate.push_back(60.0 * sampling_rate / static_cast<double>(peaks[k] - peaks[k - 1]));
  }
  t.insert(t.begin(), static_cast<double>(peaks.front()));
  rate.insert(rate.begin(), rate.front());
  std::vector<double> samples(n_samples);
  for (std::size_t i = 0; i < n_samples; ++i) samples[i] = static_cast<double>(i);
  return signal_interpolate(t, rate, samples);
}

HrvIndices hrv_indices(const std::vector<double>& peak_times_s, double interpolation_rate) {
  require_option(interpolation_rate > 0, "interpolation_rate", "must be > 0");
  HrvIndices h{kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN};
  if (peak_times_s.size() < 4) return h;
  std::vector<double> nn, nn_time;  // ms, at the closing beat
  for (std::size_t k = 1; k < peak_times_s.size(); ++k) {
    nn.push_back(1000.0 * (peak_times_s[k] - peak_times_s[k - 1]));
    nn_time.push_back(peak_times_s[k]);
  }
  std::vector<double> diff;
  double over50 = 0, over20 = 0;
  for (std::size_t k = 1; k < nn.size(); ++k) {
    diff.push_back(nn[k] - nn[k - 1]);
    over50 += std::abs(diff.back()) > 50.0 ? 1.0 : 0.0;
    over20 += std::abs(diff.back()) > 20.0 ? 1.0 : 0.0;
  }
  double sq = 0;
  for (double d : diff) sq += d * d;
  h.mean_nn = range_mean(nn, 0, nn.size());
  h.sdnn = range_std(nn, 0, nn.size());
  h.rmssd = std::sqrt(sq / static_cast<double>(diff.size()));
  h.sdsd = range_std(diff, 0, diff.size());
  h.pnn50 = 100.0 * over50 / static_cast<double>(diff.size());
  h.pnn20 = 100.0 * over20 / static_cast<double>(diff.size());
  h.median_nn = vector_quantile(nn, 0.5);
  h.iqr_nn = vector_quantile(nn, 0.75) - vector_quantile(nn, 0.25);
  h.cvnn = h.sdnn / h.mean_nn;

  const double duration = nn_time.back() - nn_time.front();
  if (duration < 25.0) return h;
  std::vector<double> grid;
  for (double t = nn_time.front(); t <= nn_time.back(); t += 1.0 / interpolation_rate) grid.push_back(t);
  if (grid.size() < 8) return h;
  const std::vector<double> rr = signal_interpolate(nn_time, nn, grid);
  const Psd psd = signal_psd_welch(rr, interpolation_rate, std::min<std::size_t>(grid.size(), 256));
  h.lf = psd_band_power(psd, 0.04, 0.15);
  h.hf = psd_band_power(psd, 0.15, 0.4);
  h.lf_hf = h.hf > 0 ? h.lf / h.hf : kNaN;
  h.lfn = (h.lf + h.hf) > 0 ? h.lf / (h.lf + h.hf) : kNaN;
  h.hfn = (h.lf + h.hf) > 0 ? h.hf / (h.lf + h.hf) : kNaN;
  return h;
}

std::vector<std::string> hrv_feature_names(const std::string& p) {
  return {p + "HRV_MeanNN", p + "HRV_SDNN",     p + "HRV_RMSSD", p + "HRV_SDSD", p + "HRV_pNN50",
          p + "HRV_pNN20",  p + "HRV_MedianNN", p + "HRV_IQRNN", p + "HRV_CVNN", p + "HRV_LF",
          p + "HRV_HF",     p + "HRV_LFHF",     p + "HRV_LFn",   p + "HRV_HFn"};
}

std::vector<double> hrv_feature_values(const HrvIndices& h) {
  return {h.mean_nn, h.sdnn, h.rmssd, h.sdsd, h.pnn50, h.pnn20, h.median_nn,
          h.iqr_nn,  h.cvnn, h.lf,    h.hf,   h.lf_hf, h.lfn,   h.hfn};
}

}  // namespace emofuse::signal
