// Power spectral density by Welch's method (Welch 1967) with FFTW real-to-complex transforms.
#pragma once

#include <cstddef>
#include <vector>

namespace emofuse::signal {

/// One-sided power spectral density: `power[k]` in (signal unit)^2 / Hz at `frequency[k]` Hz.
struct Psd {
  std::vector<double> frequency;
  std::vector<double> power;
};

/// Welch PSD: Hann-windowed segments of `segment_length` samples (0 -> min(n, 256)) with 50 %
/// overlap, each segment mean-removed, one-sided density scaling 1 / (fs * sum(w^2)) with the
/// non-DC, non-Nyquist bins doubled (same conventions as scipy.signal.welch defaults). A
/// segment longer than the signal is shortened to the signal. Throws OptionError on
/// sampling_rate <= 0 or fewer than 2 samples.
Psd signal_psd_welch(const std::vector<double>& x, double sampling_rate, std::size_t segment_length = 0);

/// Power in [low_hz, high_hz) by trapezoidal integration of `psd` (unit^2).
double psd_band_power(const Psd& psd, double low_hz, double high_hz);

}  // namespace emofuse::signal
