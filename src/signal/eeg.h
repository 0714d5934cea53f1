// EEG band features: differential entropy (Duan, Zhu & Lu 2013; the DMER recipe) and Welch
// band power.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "signal/windows.h"

namespace emofuse::signal {

/// A named frequency band [low_hz, high_hz).
struct EegBand {
  std::string name;
  double low_hz = 0;
  double high_hz = 0;
};

/// DMER bands: Delta 1-4, Theta 4-8, Alpha 8-14, Beta 14-31, Gamma 31-49 Hz.
std::vector<EegBand> eeg_dmer_bands();

/// Options of the EEG feature functions.
struct EegFeatureOptions {
  /// Window length in seconds (DMER: 1 s).
  double window_s = 1.0;
  /// Step between window starts in seconds.
  double step_s = 1.0;
  /// Butterworth prototype order of each band-pass (the band-pass has 2 * order poles).
  int filter_order = 4;
  /// Frequency bands; every high_hz must be below sampling_rate / 2.
  std::vector<EegBand> bands = eeg_dmer_bands();
};

/// Differential entropy per channel and band: each channel is band-passed once over the whole
/// recording (zero-phase Butterworth), then per window DE = 0.5 * ln(2 pi e sigma^2) with sigma^2
/// the population variance of the band signal in the window (Gaussian assumption, Duan et al.
/// 2013). `channels` is [C][T] in microvolts; names `EEG_<channel>_<band>_DE` in channel-major
/// order (18 channels x 5 bands = 90 features for DMER). Throws OptionError on ragged channels,
/// a name count mismatch or bands above Nyquist.
WindowedFeatures eeg_differential_entropy(const std::vector<std::vector<double>>& channels,
                                          const std::vector<std::string>& channel_names, double sampling_rate,
                                          const EegFeatureOptions& options = {});

/// Band-passed copies of every channel, computed once per recording: `band[c][b]` is channel c
/// filtered to options.bands[b] (zero-phase Butterworth of options.filter_order).
struct EegBandSignals {
  std::vector<std::string> names;  // EEG_<channel>_<band>_DE, channel-major
  std::vector<std::vector<std::vector<double>>> band;
};

/// Validates like eeg_differential_entropy and filters every channel into every band.
EegBandSignals eeg_band_signals(const std::vector<std::vector<double>>& channels,
                                const std::vector<std::string>& channel_names, double sampling_rate,
                                const EegFeatureOptions& options = {});

/// Differential entropy of samples [begin, end) of every band signal (names order).
std::vector<double> eeg_window_differential_entropy(const EegBandSignals& bands, std::size_t begin, std::size_t end);

/// Band power per channel and band: Welch PSD of each window (one Hann segment per window,
/// i.e. segment length = window length) integrated over the band, in uV^2. Names
/// `EEG_<channel>_<band>_Power`.
WindowedFeatures eeg_band_power(const std::vector<std::vector<double>>& channels,
                                const std::vector<std::string>& channel_names, double sampling_rate,
                                const EegFeatureOptions& options = {});

}  // namespace emofuse::signal
