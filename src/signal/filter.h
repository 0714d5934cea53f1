// Zero-phase Butterworth filtering and resampling on std::vector<double>.
// Design: analog Butterworth prototype poles from liquid-dsp (butter_azpkf), bilinear transform
// with frequency pre-warping and the band transform done here in double precision, realised as
// second-order sections (liquid_iirdes returns float sections, too coarse for 0.05 Hz at 700 Hz;
// tests/signal/test_filter.cpp checks both designs agree). Application: forward-backward
// (filtfilt) with odd-reflection edge padding and steady-state initial conditions, as in
// scipy.signal.sosfiltfilt's default (padtype "odd"), with a longer pad for slow poles.
#pragma once

#include <array>
#include <complex>
#include <cstddef>
#include <vector>

namespace emofuse::signal {

/// Band type of a Butterworth design.
enum class FilterBand { kLowPass, kHighPass, kBandPass };

/// Cascade of second-order sections; each row is {b0, b1, b2, a0, a1, a2} with a0 == 1.
struct Sos {
  std::vector<std::array<double, 6>> sections;
};

/// Butterworth design of `order` (1..20). Cut-offs in Hz: low-pass uses `high_hz`, high-pass
/// `low_hz`, band-pass both (the band-pass has 2*order poles, like scipy.signal.butter).
/// The single-pass magnitude is -3.0103 dB at each cut-off (to ~1e-6 dB: liquid's prototype
/// poles are single precision). Throws OptionError on an order outside 1..20, cut-offs outside
/// (0, sampling_rate/2) or low >= high.
Sos butterworth_design(FilterBand band, int order, double low_hz, double high_hz, double sampling_rate);

/// Complex frequency response of `sos` at `frequency_hz`.
std::complex<double> sos_response(const Sos& sos, double frequency_hz, double sampling_rate);

/// Single forward pass (causal), zero initial state. Direct form II transposed.
std::vector<double> sos_filter(const Sos& sos, const std::vector<double>& x);

/// Zero-phase forward-backward filtering: magnitude |H|^2 (so -6.02 dB at a Butterworth
/// cut-off), no phase shift. Edges: odd reflection of max(3 * (2 * sections + 1), 8 / (1 - r))
/// samples, r the largest pole radius (at most n - 1), and steady-state initial conditions
/// scaled to the first padded sample.
std::vector<double> sos_filtfilt(const Sos& sos, const std::vector<double>& x);

/// NeuroKit2-style `signal_filter`: zero-phase Butterworth. `low_hz` <= 0 -> low-pass at
/// `high_hz`; `high_hz` <= 0 -> high-pass at `low_hz`; both > 0 -> band-pass.
std::vector<double> signal_filter(const std::vector<double>& x, double sampling_rate, double low_hz, double high_hz,
                                  int order = 4);

/// Resampling from `sampling_rate` to `target_rate`. Method: when down-sampling, a zero-phase
/// 8th-order Butterworth anti-alias low-pass at 0.45 * target_rate, then linear interpolation
/// at the new sample times t_k = k / target_rate (k = 0 .. floor((n-1) * target/rate)).
std::vector<double> signal_resample(const std::vector<double>& x, double sampling_rate, double target_rate);

/// Linear interpolation of (x_points, y_points) (x strictly increasing) at `x_new`; values
/// outside the range take the nearest end value.
std::vector<double> signal_interpolate(const std::vector<double>& x_points, const std::vector<double>& y_points,
                                       const std::vector<double>& x_new);

}  // namespace emofuse::signal
