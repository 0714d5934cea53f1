// Filters, resampling and Welch PSD (src/signal/filter.h, spectrum.h).
#include <gtest/gtest.h>
#include <liquid/liquid.h>

#include <cmath>
#include <random>

#include "core/error.h"
#include "signal/filter.h"
#include "signal/spectrum.h"

namespace es = emofuse::signal;

namespace {

constexpr double kPi = 3.14159265358979323846;
const double kHalfPowerDb = 10.0 * std::log10(0.5);  // -3.0103 dB

double db(std::complex<double> h) {
  return 20.0 * std::log10(std::abs(h));
}

std::vector<double> sine(double f, double fs, double seconds, double amplitude = 1.0) {
  std::vector<double> x(static_cast<std::size_t>(seconds * fs));
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = amplitude * std::sin(2 * kPi * f * i / fs);
  return x;
}

// RMS amplitude ratio of y to x over the middle half (edges excluded), in dB.
double gain_db_middle(const std::vector<double>& x, const std::vector<double>& y) {
  double sx = 0, sy = 0;
  for (std::size_t i = x.size() / 4; i < 3 * x.size() / 4; ++i) {
    sx += x[i] * x[i];
    sy += y[i] * y[i];
  }
  return 10.0 * std::log10(sy / sx);
}

}  // namespace

// Butterworth: |H(fc)|^2 = 1/2 exactly, so the single pass is -3.0103 dB at the cut-off.
TEST(SignalFilter, SinglePassIsMinus3dBAtCutoff) {
  for (int order : {2, 3, 4, 5}) {
    const auto lp = es::butterworth_design(es::FilterBand::kLowPass, order, 0, 40, 700);
    EXPECT_NEAR(db(es::sos_response(lp, 40, 700)), kHalfPowerDb, 0.5) << "order " << order;
    EXPECT_NEAR(db(es::sos_response(lp, 40, 700)), kHalfPowerDb, 1e-5) << "order " << order;
    EXPECT_NEAR(db(es::sos_response(lp, 0, 700)), 0.0, 1e-9);
    const auto hp = es::butterworth_design(es::FilterBand::kHighPass, order, 0.5, 0, 64);
    EXPECT_NEAR(db(es::sos_response(hp, 0.5, 64)), kHalfPowerDb, 1e-5);
    EXPECT_NEAR(db(es::sos_response(hp, 32, 64)), 0.0, 1e-9);
  }
  const auto bp = es::butterworth_design(es::FilterBand::kBandPass, 4, 8, 14, 200);
  EXPECT_NEAR(db(es::sos_response(bp, 8, 200)), kHalfPowerDb, 1e-5);
  EXPECT_NEAR(db(es::sos_response(bp, 14, 200)), kHalfPowerDb, 1e-5);
  const double center = 2 * std::atan(std::sqrt(std::tan(kPi * 8 / 200) * std::tan(kPi * 14 / 200))) / (2 * kPi) * 200;
  EXPECT_NEAR(db(es::sos_response(bp, center, 200)), 0.0, 1e-9);
}

// Stop band of an analog-matched Butterworth: |H(f)|^2 = 1 / (1 + (f/fc)^(2n)) in warped
// frequency; at f = 2 fc (well below Nyquist) the attenuation is >= 10 log10(1 + 4^n) dB.
TEST(SignalFilter, StopBandAttenuation) {
  const auto lp = es::butterworth_design(es::FilterBand::kLowPass, 4, 0, 10, 1000);
  EXPECT_LT(db(es::sos_response(lp, 20, 1000)), -24.0);  // 10 log10(1 + 2^8) = 24.1 dB
  EXPECT_LT(db(es::sos_response(lp, 40, 1000)), -48.0);  // 10 log10(1 + 4^8) = 48.2 dB
  const auto bp = es::butterworth_design(es::FilterBand::kBandPass, 4, 1, 4, 128);
  EXPECT_LT(db(es::sos_response(bp, 16, 128)), -45.0);
  EXPECT_LT(db(es::sos_response(bp, 0.25, 128)), -45.0);
}

// Our double-precision design equals liquid-dsp's own (single-precision) Butterworth SOS,
// compared where liquid's response is above -60 dB. Which of the five frequencies those are was
// worked out by hand from the bilinear-warped Butterworth magnitude
// |H|^2 = 1 / (1 + r^10), r = tan(pi f / 100) / tan(pi 5 / 100) (low pass; high pass 1 / r):
// low pass: 1, 3, 5, 8 Hz (20 Hz: r = 4.59, |H| = 4.9e-4, below); high pass: 3, 5, 8, 20 Hz
// (1 Hz: r = 0.198, |H| = 3.1e-4, below). Four points per band, so the check cannot pass on none.
TEST(SignalFilter, MatchesLiquidDesign) {
  for (auto band : {LIQUID_IIRDES_LOWPASS, LIQUID_IIRDES_HIGHPASS}) {
    int compared = 0;
    const unsigned order = 5, sections = 3;
    std::vector<float> b(3 * sections), a(3 * sections);
    liquid_iirdes(LIQUID_IIRDES_BUTTER, band, LIQUID_IIRDES_SOS, order, 0.05f, 0.0f, 1.0f, 60.0f, b.data(), a.data());
    const auto ours = es::butterworth_design(
        band == LIQUID_IIRDES_LOWPASS ? es::FilterBand::kLowPass : es::FilterBand::kHighPass, order, 5.0, 5.0, 100.0);
    for (double f : {1.0, 3.0, 5.0, 8.0, 20.0}) {
      std::complex<double> h = 1.0;
      const std::complex<double> zi = std::exp(std::complex<double>(0, -2 * kPi * f / 100));
      for (unsigned s = 0; s < sections; ++s) {
        h *= (double(b[3 * s]) + zi * (double(b[3 * s + 1]) + zi * double(b[3 * s + 2]))) /
             (double(a[3 * s]) + zi * (double(a[3 * s + 1]) + zi * double(a[3 * s + 2])));
      }
      if (std::abs(h) > 1e-3) {  // compare where the response is above -60 dB
        EXPECT_NEAR(db(es::sos_response(ours, f, 100)), db(h), 0.01) << f;
        ++compared;
      }
    }
    EXPECT_EQ(compared, 4) << (band == LIQUID_IIRDES_LOWPASS ? "low pass" : "high pass");
  }
}

// Forward-backward filtering squares the magnitude: -6.02 dB at the cut-off, no phase shift.
TEST(SignalFilter, FiltfiltDoublesAttenuationAndHasZeroPhase) {
  const double fs = 500;
  const auto lp = es::butterworth_design(es::FilterBand::kLowPass, 4, 0, 25, fs);
  const auto at_cut = sine(25, fs, 20);
  EXPECT_NEAR(gain_db_middle(at_cut, es::sos_filtfilt(lp, at_cut)), -6.0206, 0.05);
  EXPECT_NEAR(gain_db_middle(at_cut, es::sos_filter(lp, at_cut)), -3.0103, 0.05);
  // In the stop band too the zero-phase attenuation (dB) is twice the single-pass one.
  const auto stop = sine(50, fs, 20);
  const double single_db = db(es::sos_response(lp, 50, fs));
  EXPECT_LT(single_db, -24.0);
  EXPECT_NEAR(gain_db_middle(stop, es::sos_filtfilt(lp, stop)), 2 * single_db, 0.1);
  const auto pass = sine(5, fs, 10);
  const auto y = es::sos_filtfilt(lp, pass);
  double worst = 0;
  for (std::size_t i = 0; i < y.size(); ++i) worst = std::max(worst, std::abs(y[i] - pass[i]));
  EXPECT_LT(worst, 1e-3);  // |H(5 Hz)|^2 = 1 - 1e-6 and zero phase: output equals input
}

TEST(SignalFilter, EdgesOfAConstantAndARamp) {
  std::vector<double> c(1000, 3.5), ramp(1000);
  for (std::size_t i = 0; i < ramp.size(); ++i) ramp[i] = 0.01 * i;
  const auto lp = es::signal_filter(c, 100, 0, 5, 4);
  for (double v : lp) EXPECT_NEAR(v, 3.5, 1e-9);
  const auto hp = es::signal_filter(c, 100, 0.5, 0, 4);
  for (double v : hp) EXPECT_NEAR(v, 0.0, 1e-9);
  const auto r = es::signal_filter(ramp, 100, 0, 5, 4);
  for (std::size_t i = 0; i < r.size(); ++i) EXPECT_NEAR(r[i], ramp[i], 1e-4) << i;
}

TEST(SignalFilter, ValidatesOptions) {
  EXPECT_THROW(es::butterworth_design(es::FilterBand::kLowPass, 4, 0, 50, 100), emofuse::OptionError);
  EXPECT_THROW(es::butterworth_design(es::FilterBand::kBandPass, 4, 10, 5, 100), emofuse::OptionError);
  EXPECT_THROW(es::butterworth_design(es::FilterBand::kLowPass, 0, 0, 5, 100), emofuse::OptionError);
}

TEST(SignalResample, KeepsInBandSineAndRemovesAlias) {
  const auto x = sine(3, 700, 10);
  const auto y = es::signal_resample(x, 700, 64);
  ASSERT_EQ(y.size(), static_cast<std::size_t>(std::floor((x.size() - 1) * 64.0 / 700)) + 1);
  for (std::size_t k = y.size() / 4; k < 3 * y.size() / 4; ++k) {
    EXPECT_NEAR(y[k], std::sin(2 * kPi * 3 * k / 64.0), 2e-3);
  }
  const auto alias = es::signal_resample(sine(100, 700, 10), 700, 64);  // 100 Hz >> 32 Hz
  double peak = 0;
  for (std::size_t k = alias.size() / 4; k < 3 * alias.size() / 4; ++k) peak = std::max(peak, std::abs(alias[k]));
  EXPECT_LT(peak, 1e-3);
  const auto up = es::signal_resample(sine(1, 4, 20), 4, 32);  // linear interpolation
  EXPECT_NEAR(up[8], std::sin(2 * kPi * 1 * 1.0 / 4), 1e-12);  // sample 8 at 32 Hz == sample 1 at 4 Hz
}

TEST(SignalPsd, WelchPeakAtSineFrequencyAndParseval) {
  std::mt19937_64 rng(7);
  std::normal_distribution<double> noise(0.0, 0.2);
  auto x = sine(10, 256, 30, 2.0);
  for (double& v : x) v += noise(rng);
  const auto psd = es::signal_psd_welch(x, 256, 256);
  ASSERT_EQ(psd.frequency.size(), 129u);
  const std::size_t k = std::max_element(psd.power.begin(), psd.power.end()) - psd.power.begin();
  EXPECT_DOUBLE_EQ(psd.frequency[k], 10.0);
  // Sine power A^2/2 = 2 concentrated around 10 Hz; noise 0.04 spread over 0-128 Hz.
  EXPECT_NEAR(es::psd_band_power(psd, 8, 12), 2.0, 0.1);
  EXPECT_NEAR(es::psd_band_power(psd, 0, 128), 2.04, 0.1);
  EXPECT_THROW(es::signal_psd_welch({1.0}, 256), emofuse::OptionError);
}
