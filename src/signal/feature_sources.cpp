#include "signal/feature_sources.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <memory>

#include "core/error.h"
#include "signal/ecg.h"
#include "signal/eda.h"
#include "signal/eeg.h"
#include "signal/ppg.h"
#include "signal/rsp_temp_acc.h"

namespace emofuse::signal {

std::pair<std::size_t, std::size_t> window_samples(std::size_t n, double fs, double t0, double window) {
  if (t0 < -1e-9) return {0, 0};
  const std::size_t begin = static_cast<std::size_t>(std::llround(t0 * fs));
  const std::size_t end = begin + static_cast<std::size_t>(std::llround(window * fs));
  if (end > n || end <= begin) return {0, 0};
  return {begin, end};
}

FeatureSource eda_source(std::vector<double> eda, double fs, const std::string& prefix) {
  auto processed = std::make_shared<EdaProcessed>(eda_process(eda, fs));
  return {eda_feature_names(prefix), [processed, fs](double t0, double w, double, double) {
            const auto [b, e] = window_samples(processed->clean.size(), fs, t0, w);
            return e ? eda_window_features(*processed, b, e) : std::vector<double>{};
          }};
}

FeatureSource ppg_source(const std::vector<double>& ppg, double fs, const std::string& prefix) {
  auto processed = std::make_shared<PpgProcessed>(ppg_process(ppg, fs));
  return {ppg_feature_names(prefix), [processed, fs](double t0, double w, double c0, double c1) {
            const std::size_t n = processed->clean.size();
            const auto [b, e] = window_samples(n, fs, t0, w);
            if (!e) return std::vector<double>{};
            const Window ctx = time_range(n, fs, c0, c1);
            return ppg_window_features(*processed, b, e, ctx.begin, ctx.end);
          }};
}

FeatureSource ecg_source(const std::vector<double>& ecg, double fs, const std::string& prefix) {
  auto processed = std::make_shared<EcgProcessed>(ecg_process(ecg, fs));
  return {ecg_feature_names(prefix), [processed, fs](double t0, double w, double c0, double c1) {
            const std::size_t n = processed->clean.size();
            const auto [b, e] = window_samples(n, fs, t0, w);
            if (!e) return std::vector<double>{};
            const Window ctx = time_range(n, fs, c0, c1);
            return ecg_window_features(*processed, b, e, ctx.begin, ctx.end);
          }};
}

FeatureSource rsp_source(const std::vector<double>& rsp, double fs, const std::string& prefix) {
  auto processed = std::make_shared<RspProcessed>(rsp_process(rsp, fs));
  return {rsp_feature_names(prefix), [processed, fs](double t0, double w, double, double) {
            const auto [b, e] = window_samples(processed->clean.size(), fs, t0, w);
            return e ? rsp_window_features(*processed, b, e) : std::vector<double>{};
          }};
}

FeatureSource temp_source(std::vector<double> temp, double fs, const std::string& prefix) {
  auto data = std::make_shared<std::vector<double>>(std::move(temp));
  return {temp_feature_names(prefix), [data, fs](double t0, double w, double, double) {
            const auto [b, e] = window_samples(data->size(), fs, t0, w);
            return e ? temp_window_features(*data, fs, b, e) : std::vector<double>{};
          }};
}

FeatureSource acc_source(std::vector<double> x, std::vector<double> y, std::vector<double> z, double fs,
                         const std::string& prefix) {
  auto data = std::make_shared<std::array<std::vector<double>, 3>>(
      std::array<std::vector<double>, 3>{std::move(x), std::move(y), std::move(z)});
  return {acc_feature_names(prefix), [data, fs](double t0, double w, double, double) {
            const auto [b, e] = window_samples((*data)[0].size(), fs, t0, w);
            return e ? acc_window_features((*data)[0], (*data)[1], (*data)[2], b, e) : std::vector<double>{};
          }};
}

FeatureSource eeg_source(const std::vector<std::vector<double>>& channels, const std::vector<std::string>& names,
                         double fs) {
  auto bands = std::make_shared<EegBandSignals>(eeg_band_signals(channels, names, fs));
  return {bands->names, [bands, fs](double t0, double w, double, double) {
            const auto [b, e] = window_samples(bands->band[0][0].size(), fs, t0, w);
            return e ? eeg_window_differential_entropy(*bands, b, e) : std::vector<double>{};
          }};
}

std::vector<std::string> all_names(const std::vector<PlacedSource>& sources) {
  std::vector<std::string> names;
  for (const auto& s : sources) names.insert(names.end(), s.source.names.begin(), s.source.names.end());
  return names;
}

std::size_t add_interval_windows(FeatureTable& table, const std::vector<PlacedSource>& sources,
                                 const std::string& subject, int trial, const std::string& label, double start_s,
                                 double end_s, double window_s, double step_s, double context_s, bool drop_incomplete) {
  std::size_t dropped = 0;
  for (std::size_t k = 0;; ++k) {
    const double t0 = start_s + static_cast<double>(k) * step_s;
    if (t0 + window_s > end_s + 1e-9) break;
    const double center = t0 + window_s / 2;
    const double c0 = std::max(start_s, center - context_s / 2);
    const double c1 = std::min(end_s, center + context_s / 2);
    std::vector<double> row;
    bool covered = true;
    for (const auto& s : sources) {
      const auto values = s.source.features(t0 - s.offset_s, window_s, c0 - s.offset_s, c1 - s.offset_s);
      if (values.empty()) {
        covered = false;
        break;
      }
      row.insert(row.end(), values.begin(), values.end());
    }
    const bool finite = covered && std::all_of(row.begin(), row.end(), [](double v) { return std::isfinite(v); });
    if (!covered || (drop_incomplete && !finite)) {
      ++dropped;
      continue;
    }
    table.append(subject, trial, t0, label, std::move(row));
  }
  return dropped;
}

void validate_window_options(double window_s, double step_s, double context_s, double fastest_rate_hz) {
  require_option(window_s > 0, "window_s", "must be > 0");
  require_option(step_s > 0, "step_s", "must be > 0");
  require_option(context_s >= window_s, "hrv_context_s", "must be >= window_s");
  if (fastest_rate_hz > 0) {
    require_option(step_s * fastest_rate_hz >= 1.0, "step_s",
                   "must be at least one sample (" + std::to_string(1.0 / fastest_rate_hz) + " s at " +
                       std::to_string(fastest_rate_hz) + " Hz), got " + std::to_string(step_s) + " s");
  }
}

}  // namespace emofuse::signal
