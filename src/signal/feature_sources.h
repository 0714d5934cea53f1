// Windowed features of processed signal streams, shared by the WESAD and the generic CSV layouts:
// each stream (EDA, PPG, ECG, RSP, TEMP, ACC, EEG) is processed once, then asked for the
// features of every window of a labelled interval; add_interval_windows appends the rows.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "signal/windows.h"

namespace emofuse::signal {

/// A processed stream that yields its features for a window [t0, t0 + window) with a context
/// [c0, c1) (seconds on the stream's own clock); returns {} when the stream does not cover it.
struct FeatureSource {
  std::vector<std::string> names;
  std::function<std::vector<double>(double t0, double window, double c0, double c1)> features;
};

/// Sample range of [t0, t0 + window) or {0, 0} when it is not fully inside n samples.
std::pair<std::size_t, std::size_t> window_samples(std::size_t n, double fs, double t0, double window);

/// Sources of one signal sampled at `fs` Hz, its feature names starting with `prefix` ("EDA_").
FeatureSource eda_source(std::vector<double> eda, double fs, const std::string& prefix);
FeatureSource ppg_source(const std::vector<double>& ppg, double fs, const std::string& prefix);
FeatureSource ecg_source(const std::vector<double>& ecg, double fs, const std::string& prefix);
FeatureSource rsp_source(const std::vector<double>& rsp, double fs, const std::string& prefix);
FeatureSource temp_source(std::vector<double> temp, double fs, const std::string& prefix);
FeatureSource acc_source(std::vector<double> x, std::vector<double> y, std::vector<double> z, double fs,
                         const std::string& prefix);
/// EEG channels (uV) named `names`: the differential entropy of each DMER band per channel.
FeatureSource eeg_source(const std::vector<std::vector<double>>& channels, const std::vector<std::string>& names,
                         double fs);

/// A source living on a clock shifted by `offset_s` (stream time = recording time - offset).
struct PlacedSource {
  FeatureSource source;
  double offset_s = 0;
};

/// The feature names of every source, in order: the columns of the rows add_interval_windows appends.
std::vector<std::string> all_names(const std::vector<PlacedSource>& sources);

/// Appends the windows of the labelled interval [start_s, end_s) to `table`. Returns the
/// number of windows dropped (not covered by every stream, or non-finite with drop_incomplete).
std::size_t add_interval_windows(FeatureTable& table, const std::vector<PlacedSource>& sources,
                                 const std::string& subject, int trial, const std::string& label, double start_s,
                                 double end_s, double window_s, double step_s, double context_s, bool drop_incomplete);

/// Window options checked against the fastest stream's sampling rate (0 = not known yet): a step
/// below one sample only repeats windows, and a tiny one (1e-9 s) would make the window loop run
/// for days. Throws OptionError (window_s, step_s, hrv_context_s).
void validate_window_options(double window_s, double step_s, double context_s, double fastest_rate_hz);

}  // namespace emofuse::signal
