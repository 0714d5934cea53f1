#include "signal/eeg.h"

#include <cmath>

#include "core/error.h"
#include "signal/filter.h"
#include "signal/spectrum.h"

namespace emofuse::signal {
namespace {

constexpr double kPi = 3.14159265358979323846;

void validate(const std::vector<std::vector<double>>& channels, const std::vector<std::string>& channel_names,
              double sampling_rate, const EegFeatureOptions& options) {
  require_option(sampling_rate > 0, "sampling_rate", "must be > 0");
  require_option(!channels.empty(), "channels", "needs at least one channel");
  require_option(
      channels.size() == channel_names.size(), "channel_names",
      "has " + std::to_string(channel_names.size()) + " names for " + std::to_string(channels.size()) + " channels");
  for (const auto& c : channels) {
    require_option(c.size() == channels.front().size(), "channels", "all channels must have the same length");
  }
  require_option(options.window_s > 0, "window_s", "must be > 0");
  require_option(options.step_s > 0, "step_s", "must be > 0");
  require_option(!options.bands.empty(), "bands", "must not be empty");
  for (const auto& b : options.bands) {
    require_option(b.low_hz > 0 && b.low_hz < b.high_hz && b.high_hz < sampling_rate / 2, "bands",
                   "band " + b.name + " must satisfy 0 < low < high < sampling_rate/2");
  }
}

}  // namespace

std::vector<EegBand> eeg_dmer_bands() {
  return {{"Delta", 1, 4}, {"Theta", 4, 8}, {"Alpha", 8, 14}, {"Beta", 14, 31}, {"Gamma", 31, 49}};
}

EegBandSignals eeg_band_signals(const std::vector<std::vector<double>>& channels,
                                const std::vector<std::string>& channel_names, double sampling_rate,
                                const EegFeatureOptions& options) {
  validate(channels, channel_names, sampling_rate, options);
  EegBandSignals out;
  for (const auto& c : channel_names) {
    for (const auto& b : options.bands) out.names.push_back("EEG_" + c + "_" + b.name + "_DE");
  }
  out.band.assign(channels.size(), std::vector<std::vector<double>>(options.bands.size()));
  for (std::size_t b = 0; b < options.bands.size(); ++b) {
    const Sos sos = butterworth_design(FilterBand::kBandPass, options.filter_order, options.bands[b].low_hz,
                                       options.bands[b].high_hz, sampling_rate);
    for (std::size_t c = 0; c < channels.size(); ++c) out.band[c][b] = sos_filtfilt(sos, channels[c]);
  }
  return out;
}

std::vector<double> eeg_window_differential_entropy(const EegBandSignals& bands, std::size_t begin, std::size_t end) {
  require_option(!bands.band.empty() && begin < end && end <= bands.band[0][0].size(), "window",
                 "needs begin < end <= signal length");
  std::vector<double> out;
  const double len = static_cast<double>(end - begin);
  for (const auto& channel : bands.band) {
    for (const auto& x : channel) {
      double mean = 0, sq = 0;
      for (std::size_t i = begin; i < end; ++i) mean += x[i];
      mean /= len;
      for (std::size_t i = begin; i < end; ++i) sq += (x[i] - mean) * (x[i] - mean);
      // DE of a Gaussian N(mu, sigma^2): 0.5 ln(2 pi e sigma^2) (Duan et al. 2013, Eq. 2),
      // sigma^2 the population variance of the band signal in the window.
      out.push_back(0.5 * std::log(2.0 * kPi * std::exp(1.0) * sq / len));
    }
  }
  return out;
}

WindowedFeatures eeg_differential_entropy(const std::vector<std::vector<double>>& channels,
                                          const std::vector<std::string>& channel_names, double sampling_rate,
                                          const EegFeatureOptions& options) {
  const EegBandSignals bands = eeg_band_signals(channels, channel_names, sampling_rate, options);
  WindowedFeatures out;
  out.names = bands.names;
  for (const auto& w : signal_windows(channels.front().size(), sampling_rate, options.window_s, options.step_s)) {
    out.time.push_back(w.time_s);
    out.rows.push_back(eeg_window_differential_entropy(bands, w.begin, w.end));
  }
  return out;
}

WindowedFeatures eeg_band_power(const std::vector<std::vector<double>>& channels,
                                const std::vector<std::string>& channel_names, double sampling_rate,
                                const EegFeatureOptions& options) {
  validate(channels, channel_names, sampling_rate, options);
  const auto windows = signal_windows(channels.front().size(), sampling_rate, options.window_s, options.step_s);
  WindowedFeatures out;
  for (const auto& c : channel_names) {
    for (const auto& b : options.bands) out.names.push_back("EEG_" + c + "_" + b.name + "_Power");
  }
  for (const auto& w : windows) {
    out.time.push_back(w.time_s);
    std::vector<double> row;
    for (const auto& channel : channels) {
      const std::vector<double> segment(channel.begin() + w.begin, channel.begin() + w.end);
      const Psd psd = signal_psd_welch(segment, sampling_rate, segment.size());
      for (const auto& b : options.bands) row.push_back(psd_band_power(psd, b.low_hz, b.high_hz));
    }
    out.rows.push_back(std::move(row));
  }
  return out;
}

}  // namespace emofuse::signal
