// EEG differential entropy and band power (src/signal/eeg.h).
#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"
#include "signal/eeg.h"
#include "signal/simulate.h"

namespace es = emofuse::signal;

namespace {
constexpr double kPi = 3.14159265358979323846;
}

// A 10 Hz sine of amplitude A passes the Alpha band (8-14 Hz) unchanged, so its band variance
// is A^2 / 2 and DE = 0.5 ln(2 pi e A^2 / 2) (computed by hand: A = 4 -> 0.5 ln(136.64) = 2.4587).
TEST(SignalEeg, DifferentialEntropyOfASineMatchesTheGaussianFormula) {
  const double fs = 200, amplitude = 4.0;
  std::vector<double> x(static_cast<std::size_t>(10 * fs));
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = amplitude * std::sin(2 * kPi * 10 * i / fs);
  const auto de = es::eeg_differential_entropy({x}, {"Fz"}, fs);
  ASSERT_EQ(de.names.size(), 5u);
  EXPECT_EQ(de.names[2], "EEG_Fz_Alpha_DE");
  ASSERT_EQ(de.rows.size(), 10u);
  const double expected = 0.5 * std::log(2 * kPi * std::exp(1.0) * amplitude * amplitude / 2);
  EXPECT_NEAR(expected, 2.4587, 1e-4);
  for (std::size_t w = 2; w < 8; ++w) EXPECT_NEAR(de.rows[w][2], expected, 0.02) << "window " << w;
}

// Each simulated channel carries band-limited noise in one band: its DE and power peak there.
TEST(SignalEeg, PowerConcentratedInTheSimulatedBand) {
  const double fs = 200, seconds = 20;
  const auto bands = es::eeg_dmer_bands();
  std::vector<std::vector<double>> channels;
  std::vector<std::string> names;
  for (std::size_t b = 0; b < bands.size(); ++b) {
    channels.push_back(es::eeg_simulate(seconds, fs, bands[b].low_hz, bands[b].high_hz, 10.0, 0.5, 100 + b));
    names.push_back("C" + std::to_string(b));
  }
  const auto de = es::eeg_differential_entropy(channels, names, fs);
  const auto power = es::eeg_band_power(channels, names, fs);
  ASSERT_EQ(de.rows.size(), 20u);
  ASSERT_EQ(power.rows.size(), 20u);
  for (std::size_t c = 0; c < bands.size(); ++c) {
    double de_in = 0, de_best_other = -1e9, p_in = 0, p_total = 0;
    for (std::size_t w = 0; w < de.rows.size(); ++w) {
      for (std::size_t b = 0; b < bands.size(); ++b) {
        const double d = de.rows[w][c * bands.size() + b], p = power.rows[w][c * bands.size() + b];
        p_total += p;
        if (b == c) {
          de_in += d;
          p_in += p;
        } else {
          de_best_other = std::max(de_best_other, d);
        }
      }
    }
    de_in /= de.rows.size();
    EXPECT_GT(de_in, de_best_other + 1.0) << "channel " << c;  // > 1 nat above every other band
    EXPECT_GT(p_in / p_total, 0.8) << "channel " << c;
  }
}

TEST(SignalEeg, DmerLayoutHas90FeaturesAndValidates) {
  std::vector<std::vector<double>> channels(18, std::vector<double>(400, 0.0));
  std::vector<std::string> names;
  for (int c = 0; c < 18; ++c) {
    channels[c] = es::eeg_simulate(2, 200, 8, 14, 5, 1, c);
    names.push_back("Ch" + std::to_string(c));
  }
  const auto de = es::eeg_differential_entropy(channels, names, 200);
  EXPECT_EQ(de.names.size(), 90u);
  EXPECT_EQ(de.rows.size(), 2u);
  names.pop_back();
  EXPECT_THROW(es::eeg_differential_entropy(channels, names, 200), emofuse::OptionError);
  names.push_back("x");
  EXPECT_THROW(es::eeg_differential_entropy(channels, names, 90), emofuse::OptionError);  // 49 Hz > Nyquist
}
