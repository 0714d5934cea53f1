// Electrodermal activity (EDA / GSR): cleaning, tonic/phasic decomposition, SCR detection and
// the 28 window features (docs/signals.md lists them with units).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace emofuse::signal {

/// Low-pass cleaning (NeuroKit2 "neurokit"): zero-phase 4th-order Butterworth at 3 Hz. At
/// sampling rates <= 7 Hz (e.g. Empatica E4, 4 Hz) the cut-off is at or above 0.43 fs and the
/// signal is returned unchanged, as NeuroKit2 does.
std::vector<double> eda_clean(const std::vector<double>& eda, double sampling_rate);

/// Tonic (skin conductance level) and phasic (responses) components, both in uS.
struct EdaPhasic {
  std::vector<double> tonic;
  std::vector<double> phasic;
};

/// Decomposition method "smoothmedian" (NeuroKit2 `eda_phasic(method="smoothmedian")`): tonic =
/// running median over a centred window of `window_s` seconds (shrunk at the edges), phasic =
/// signal - tonic. Cost O(n * window samples).
EdaPhasic eda_phasic(const std::vector<double>& eda_cleaned, double sampling_rate, double window_s = 4.0);

/// Skin conductance responses: onset, peak (sample indices), amplitude (uS, peak minus onset
/// value) and rise time (s, peak minus onset).
struct EdaPeaks {
  std::vector<std::size_t> onsets;
  std::vector<std::size_t> peaks;
  std::vector<double> amplitudes;
  std::vector<double> rise_times;
};

/// SCR detection, method "kim2004" (after Kim, Bang & Kim 2004): the first difference of the
/// cleaned signal is smoothed with a centred 0.25 s moving average; a peak is a downward zero
/// crossing of it (refined to the signal maximum within 0.125 s); its onset is found walking back
/// from the steepest point of the rise to where the slope falls below 10 % of that maximum
/// (Kim et al. take the upward zero crossing, which a rising tonic level never produces);
/// amplitude = signal[peak] - signal[onset]. Responses below max(`absolute_min`,
/// `relative_min` * largest amplitude) are dropped (NeuroKit2 uses relative 0.1).
EdaPeaks eda_peaks(const std::vector<double>& eda_cleaned, double sampling_rate, double relative_min = 0.1,
                   double absolute_min = 0.01);

/// Everything the window features need, computed once per recording.
struct EdaProcessed {
  double sampling_rate = 0;
  std::vector<double> clean;
  std::vector<double> tonic;
  std::vector<double> phasic;
  EdaPeaks peaks;
};

/// eda_clean -> eda_phasic -> eda_peaks on the cleaned signal.
EdaProcessed eda_process(const std::vector<double>& eda, double sampling_rate);

/// The 28 feature names, each starting with `prefix` ("EDA_Mean", ..., "EDA_SCR_Peaks_N").
std::vector<std::string> eda_feature_names(const std::string& prefix = "EDA_");

/// The 28 features of samples [begin, end), in eda_feature_names order. SCRs count when their
/// peak lies in the window; SCR statistics are 0 in a window without SCR.
std::vector<double> eda_window_features(const EdaProcessed& eda, std::size_t begin, std::size_t end);

}  // namespace emofuse::signal
