#include "signal/filter.h"

#include <liquid/liquid.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "core/error.h"

namespace emofuse::signal {
namespace {

using cd = std::complex<double>;
constexpr double kPi = 3.14159265358979323846;

// Analog Butterworth low-pass prototype poles (cut-off 1 rad/s) from liquid-dsp. liquid computes
// them in single precision; they lie on the unit circle, so we re-project them onto it.
std::vector<cd> butterworth_prototype_poles(int order) {
  std::vector<liquid_float_complex> za(order), pa(order);
  liquid_float_complex ka;
  butter_azpkf(static_cast<unsigned>(order), za.data(), pa.data(), &ka);
  std::vector<cd> poles(order);
  for (int k = 0; k < order; ++k) {
    cd p(pa[k].real(), pa[k].imag());
    poles[k] = p / std::abs(p);
  }
  return poles;
}

// Bilinear transform s -> 2 fs (z - 1) / (z + 1) of one analog pole.
cd bilinear(cd s, double fs) {
  return (1.0 + s / (2.0 * fs)) / (1.0 - s / (2.0 * fs));
}

// Group digital poles into conjugate pairs (or pairs of real poles); a lone real pole is
// returned as a pair with its second member NaN (first-order section).
std::vector<std::pair<cd, cd>> pair_poles(const std::vector<cd>& poles) {
  std::vector<cd> complex_upper, real;
  for (const cd& p : poles) {
    if (std::abs(p.imag()) < 1e-12 * std::max(1.0, std::abs(p))) {
      real.push_back(cd(p.real(), 0.0));
    } else if (p.imag() > 0) {
      complex_upper.push_back(p);
    }
  }
  std::vector<std::pair<cd, cd>> pairs;
  for (const cd& p : complex_upper) pairs.emplace_back(p, std::conj(p));
  std::sort(real.begin(), real.end(), [](cd a, cd b) { return a.real() < b.real(); });
  for (std::size_t i = 0; i + 1 < real.size(); i += 2) pairs.emplace_back(real[i], real[i + 1]);
  if (real.size() % 2 == 1) pairs.emplace_back(real.back(), cd(NAN, 0.0));
  return pairs;
}

cd section_response(const std::array<double, 6>& s, cd z_inv) {
  cd num = s[0] + z_inv * (s[1] + z_inv * s[2]);
  cd den = s[3] + z_inv * (s[4] + z_inv * s[5]);
  return num / den;
}

}  // namespace

Sos butterworth_design(FilterBand band, int order, double low_hz, double high_hz, double sampling_rate) {
  require_option(order >= 1 && order <= 20, "order", "must be in [1, 20], got " + std::to_string(order));
  require_option(sampling_rate > 0, "sampling_rate", "must be > 0");
  const double nyquist = sampling_rate / 2.0;
  auto check_cut = [&](double f, const char* name) {
    require_option(f > 0 && f < nyquist, name,
                   "must be in (0, " + std::to_string(nyquist) + ") Hz, got " + std::to_string(f));
  };
  if (band != FilterBand::kLowPass) check_cut(low_hz, "low_hz");
  if (band != FilterBand::kHighPass) check_cut(high_hz, "high_hz");
  if (band == FilterBand::kBandPass) {
    require_option(low_hz < high_hz, "low_hz", "must be < high_hz");
  }
  const double fs = sampling_rate;
  // Pre-warped analog frequencies (rad/s) so the digital cut-offs land exactly on low/high.
  auto warp = [&](double f) { return 2.0 * fs * std::tan(kPi * f / fs); };
  const std::vector<cd> proto = butterworth_prototype_poles(order);

  std::vector<cd> digital_poles;
  double zero_a = 0, zero_b = 0;  // each section's zeros: roots z = zero_a, z = zero_b
  cd reference_z_inv;             // where each section is normalised to unit magnitude
  if (band == FilterBand::kLowPass) {
    const double wc = warp(high_hz);
    for (const cd& p : proto) digital_poles.push_back(bilinear(p * wc, fs));
    zero_a = zero_b = -1.0;  // analog zeros at infinity map to z = -1
    reference_z_inv = 1.0;   // DC
  } else if (band == FilterBand::kHighPass) {
    const double wc = warp(low_hz);
    for (const cd& p : proto) digital_poles.push_back(bilinear(wc / p, fs));  // s -> wc / s
    zero_a = zero_b = 1.0;                                                    // analog zeros at s = 0 map to z = +1
    reference_z_inv = -1.0;                                                   // Nyquist
  } else {
    const double w1 = warp(low_hz), w2 = warp(high_hz);
    const double w0_sq = w1 * w2, bw = w2 - w1;
    // s -> (s^2 + w0^2) / (s bw): each prototype pole p gives the roots of s^2 - p bw s + w0^2.
    for (const cd& p : proto) {
      cd disc = std::sqrt(p * p * bw * bw - 4.0 * w0_sq);
      digital_poles.push_back(bilinear((p * bw + disc) / 2.0, fs));
      digital_poles.push_back(bilinear((p * bw - disc) / 2.0, fs));
    }
    zero_a = 1.0;
    zero_b = -1.0;
    const double w_center = 2.0 * std::atan(std::sqrt(w0_sq) / (2.0 * fs));
    reference_z_inv = std::exp(cd(0.0, -w_center));
  }

  Sos sos;
  for (const auto& [p1, p2] : pair_poles(digital_poles)) {
    std::array<double, 6> s{};
    if (std::isnan(p2.real())) {  // first-order section
      s = {1.0, -zero_a, 0.0, 1.0, -p1.real(), 0.0};
    } else {
      s = {1.0, -(zero_a + zero_b), zero_a * zero_b, 1.0, -(p1 + p2).real(), (p1 * p2).real()};
    }
    const double gain = std::abs(section_response(s, reference_z_inv));
    for (int i = 0; i < 3; ++i) s[i] /= gain;
    sos.sections.push_back(s);
  }
  return sos;
}

std::complex<double> sos_response(const Sos& sos, double frequency_hz, double sampling_rate) {
  const cd z_inv = std::exp(cd(0.0, -2.0 * kPi * frequency_hz / sampling_rate));
  cd h = 1.0;
  for (const auto& s : sos.sections) h *= section_response(s, z_inv);
  return h;
}

namespace {

// One DF2T pass of every section over `x` in place, starting from the states `zi` (2 per
// section, already scaled) or zero when `zi` is empty.
template <typename Iterator>
void sos_filter_inplace(const Sos& sos, Iterator first, Iterator last, const std::vector<double>& zi) {
  // Sample-major loop: section k of sample i only waits for section k-1 of sample i and its own
  // state, so the sections' dependency chains overlap in the CPU pipeline.
  const std::size_t m = sos.sections.size();
  std::vector<double> z1(m), z2(m);
  for (std::size_t k = 0; k < m; ++k) {
    z1[k] = zi.empty() ? 0.0 : zi[2 * k];
    z2[k] = zi.empty() ? 0.0 : zi[2 * k + 1];
  }
  for (Iterator it = first; it != last; ++it) {
    double& v = *it;
    double in = v;
    for (std::size_t k = 0; k < m; ++k) {
      const auto& s = sos.sections[k];
      const double out = s[0] * in + z1[k];
      z1[k] = s[1] * in - s[4] * out + z2[k];
      z2[k] = s[2] * in - s[5] * out;
      in = out;
    }
    v = in;
  }
}

// Steady-state states of every section for a unit step input (scipy.signal.sosfilt_zi).
std::vector<double> sos_steady_state(const Sos& sos) {
  std::vector<double> zi;
  double scale = 1.0;  // the step level reaching this section
  for (const auto& s : sos.sections) {
    const double b0 = s[0], b1 = s[1], b2 = s[2], a1 = s[4], a2 = s[5];
    const double y = (b0 + b1 + b2) / (1.0 + a1 + a2);
    zi.push_back(scale * (b1 + b2 - (a1 + a2) * y));
    zi.push_back(scale * (b2 - a2 * y));
    scale *= y;
  }
  return zi;
}

}  // namespace

std::vector<double> sos_filter(const Sos& sos, const std::vector<double>& x) {
  std::vector<double> y = x;
  sos_filter_inplace(sos, y.begin(), y.end(), {});
  return y;
}

std::vector<double> sos_filtfilt(const Sos& sos, const std::vector<double>& x) {
  const std::size_t n = x.size();
  if (n == 0) return {};
  if (n == 1) return x;
  // scipy's default pad of 3 * (2 * sections + 1) samples, lengthened to 8 time constants of
  // the slowest pole (1 / (1 - |p|) samples) so the start-up transient of low cut-offs has
  // decayed (e^-8) before the signal starts; never longer than the signal allows.
  double slowest = 0;
  for (const auto& s : sos.sections) {
    const cd disc = std::sqrt(cd(s[4] * s[4] - 4.0 * s[5], 0.0));
    slowest = std::max({slowest, std::abs((-s[4] + disc) / 2.0), std::abs((-s[4] - disc) / 2.0)});
  }
  std::size_t pad = 3 * (2 * sos.sections.size() + 1);
  if (slowest < 1.0) pad = std::max(pad, static_cast<std::size_t>(std::ceil(8.0 / (1.0 - slowest))));
  pad = std::min(pad, n - 1);
  // Odd reflection about the end points keeps value and slope continuous.
  std::vector<double> ext(n + 2 * pad);
  for (std::size_t i = 0; i < pad; ++i) ext[i] = 2.0 * x[0] - x[pad - i];
  std::copy(x.begin(), x.end(), ext.begin() + pad);
  for (std::size_t i = 0; i < pad; ++i) ext[pad + n + i] = 2.0 * x[n - 1] - x[n - 2 - i];

  const std::vector<double> zi_unit = sos_steady_state(sos);
  std::vector<double> zi(zi_unit.size());
  for (std::size_t i = 0; i < zi.size(); ++i) zi[i] = zi_unit[i] * ext.front();
  sos_filter_inplace(sos, ext.begin(), ext.end(), zi);
  for (std::size_t i = 0; i < zi.size(); ++i) zi[i] = zi_unit[i] * ext.back();
  sos_filter_inplace(sos, ext.rbegin(), ext.rend(), zi);  // backward pass
  return std::vector<double>(ext.begin() + pad, ext.begin() + pad + n);
}

std::vector<double> signal_filter(const std::vector<double>& x, double sampling_rate, double low_hz, double high_hz,
                                  int order) {
  require_option(low_hz > 0 || high_hz > 0, "low_hz/high_hz", "at least one cut-off must be > 0");
  Sos sos;
  if (low_hz <= 0) {
    sos = butterworth_design(FilterBand::kLowPass, order, 0, high_hz, sampling_rate);
  } else if (high_hz <= 0) {
    sos = butterworth_design(FilterBand::kHighPass, order, low_hz, 0, sampling_rate);
  } else {
    sos = butterworth_design(FilterBand::kBandPass, order, low_hz, high_hz, sampling_rate);
  }
  return sos_filtfilt(sos, x);
}

std::vector<double> signal_resample(const std::vector<double>& x, double sampling_rate, double target_rate) {
  require_option(sampling_rate > 0, "sampling_rate", "must be > 0");
  require_option(target_rate > 0, "target_rate", "must be > 0");
  if (x.empty() || target_rate == sampling_rate) return x;
  std::vector<double> source = x;
  if (target_rate < sampling_rate && x.size() > 1) {
    source = signal_filter(x, sampling_rate, 0, 0.45 * target_rate, 8);
  }
  const double duration = static_cast<double>(x.size() - 1) / sampling_rate;
  const std::size_t m = static_cast<std::size_t>(std::floor(duration * target_rate + 1e-9)) + 1;
  std::vector<double> y(m);
  for (std::size_t k = 0; k < m; ++k) {
    const double pos = static_cast<double>(k) * sampling_rate / target_rate;
    const std::size_t i = std::min(static_cast<std::size_t>(pos), x.size() - 1);
    const double frac = pos - static_cast<double>(i);
    y[k] = (i + 1 < x.size()) ? source[i] + frac * (source[i + 1] - source[i]) : source[i];
  }
  return y;
}

std::vector<double> signal_interpolate(const std::vector<double>& x_points, const std::vector<double>& y_points,
                                       const std::vector<double>& x_new) {
  require_option(x_points.size() == y_points.size() && !x_points.empty(), "x_points",
                 "must be non-empty and as long as y_points");
  std::vector<double> out(x_new.size());
  std::size_t j = 0;
  for (std::size_t k = 0; k < x_new.size(); ++k) {
    const double t = x_new[k];
    if (t <= x_points.front()) {
      out[k] = y_points.front();
      continue;
    }
    if (t >= x_points.back()) {
      out[k] = y_points.back();
      continue;
    }
    if (j > 0 && x_points[j] > t) j = 0;  // x_new not sorted: restart the scan
    while (j + 1 < x_points.size() && x_points[j + 1] < t) ++j;
    const double w = (t - x_points[j]) / (x_points[j + 1] - x_points[j]);
    out[k] = y_points[j] + w * (y_points[j + 1] - y_points[j]);
  }
  return out;
}

}  // namespace emofuse::signal
