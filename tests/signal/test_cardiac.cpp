// PPG (Elgendi 2013), ECG (Pan & Tompkins 1985), ECGSYN simulator and HRV
// (src/signal/ppg.h, ecg.h, hrv.h, simulate.h).
#include <gtest/gtest.h>

#include <cmath>

#include "signal/ecg.h"
#include "signal/hrv.h"
#include "signal/ppg.h"
#include "signal/simulate.h"

namespace es = emofuse::signal;

namespace {

constexpr double kPi = 3.14159265358979323846;

double mean_rate_bpm(const std::vector<double>& times) {
  return 60.0 * static_cast<double>(times.size() - 1) / (times.back() - times.front());
}

// Every true event has exactly one detection within `tolerance_s`, and nothing else is detected.
void expect_matched(const std::vector<std::size_t>& detected, double fs, const std::vector<double>& truth,
                    double tolerance_s) {
  ASSERT_EQ(detected.size(), truth.size());
  for (std::size_t k = 0; k < truth.size(); ++k) {
    EXPECT_NEAR(detected[k] / fs, truth[k], tolerance_s) << "event " << k;
  }
}

}  // namespace

TEST(SignalPpg, HeartRateWithinOneBpmOnSimulatedPpg) {
  struct Case {
    double fs, hr;
    std::uint64_t seed;
  };
  for (const Case& c : {Case{64, 72, 1}, Case{64, 110, 2}, Case{100, 55, 3}}) {
    const auto sim = es::ppg_simulate(60, c.fs, c.hr, 0.02, c.seed);
    const auto ppg = es::ppg_process(sim.signal, c.fs);
    expect_matched(ppg.peaks, c.fs, sim.peak_times, 0.05);
    std::vector<double> times;
    for (auto p : ppg.peaks) times.push_back(p / c.fs);
    EXPECT_NEAR(mean_rate_bpm(times), mean_rate_bpm(sim.peak_times), 1.0) << "HR " << c.hr;
    EXPECT_NEAR(mean_rate_bpm(times), c.hr, 3.0) << "HR " << c.hr;  // RR jitter of 1 bpm std
  }
}

TEST(SignalPpg, TwentySevenWindowFeatures) {
  const auto sim = es::ppg_simulate(60, 64, 75, 0.02, 9);
  const auto ppg = es::ppg_process(sim.signal, 64);
  const auto names = es::ppg_feature_names();
  ASSERT_EQ(names.size(), 27u);
  const auto values = es::ppg_window_features(ppg, 20 * 64, 25 * 64, 0, 60 * 64);
  ASSERT_EQ(values.size(), 27u);
  for (std::size_t k = 0; k < values.size(); ++k) EXPECT_TRUE(std::isfinite(values[k])) << names[k];
  EXPECT_NEAR(values[9], mean_rate_bpm(sim.peak_times), 5.0);  // PPG_Rate_Mean
  EXPECT_EQ(names[9], "PPG_Rate_Mean");
}

// ECGSYN (McSharry et al. 2003) -> Pan-Tompkins: every R peak within 20 ms, HR within 1 bpm.
TEST(SignalEcg, PanTompkinsFindsEcgsynRPeaks) {
  struct Case {
    double fs, hr;
    std::uint64_t seed;
  };
  for (const Case& c : {Case{500, 65, 11}, Case{700, 90, 12}, Case{256, 120, 13}}) {
    es::EcgSimulationOptions o;
    o.duration_s = 60;
    o.sampling_rate = c.fs;
    o.heart_rate = c.hr;
    o.noise_mv = 0.02;
    const auto sim = es::ecg_simulate(o, c.seed);
    ASSERT_GT(sim.peak_times.size(), 50u);
    EXPECT_NEAR(mean_rate_bpm(sim.peak_times), c.hr, 3.0);  // the simulator honours its HR
    const auto ecg = es::ecg_process(sim.signal, c.fs);
    expect_matched(ecg.peaks, c.fs, sim.peak_times, 0.02);
    std::vector<double> times;
    for (auto p : ecg.peaks) times.push_back(p / c.fs);
    EXPECT_NEAR(mean_rate_bpm(times), mean_rate_bpm(sim.peak_times), 1.0) << "HR " << c.hr;
    const auto f = es::ecg_window_features(ecg, 10 * c.fs, 15 * c.fs, 0, 60 * c.fs);
    ASSERT_EQ(f.size(), es::ecg_feature_names().size());
    for (double v : f) EXPECT_TRUE(std::isfinite(v));
  }
}

// Constructed ECG with tall T waves (1.5 x the R height, 300 ms after R, slow slopes): only
// the R waves are beats (threshold and T-wave slope test of Pan & Tompkins).
TEST(SignalEcg, TallTWavesAreNotBeats) {
  const double fs = 500;
  std::vector<double> ecg(static_cast<std::size_t>(30 * fs), 0.0);
  std::vector<double> r_times;
  for (double r = 0.7; r < 29.5; r += 0.8) {
    r_times.push_back(r);
    for (std::size_t i = 0; i < ecg.size(); ++i) {
      const double t = i / fs;
      ecg[i] +=
          std::exp(-0.5 * std::pow((t - r) / 0.012, 2)) + 1.5 * std::exp(-0.5 * std::pow((t - r - 0.3) / 0.045, 2));
    }
  }
  const auto processed = es::ecg_process(ecg, fs);
  expect_matched(processed.peaks, fs, r_times, 0.01);
}

// Hand-computed HRV: constant RR 800 ms -> SDNN = RMSSD = 0; alternating 800/900 ms -> every
// successive difference is 100 ms: RMSSD = 100, pNN50 = pNN20 = 100 %, MeanNN = 850.
TEST(SignalHrv, TimeDomainOnConstructedBeats) {
  std::vector<double> constant, alternating;
  double t = 0;
  for (int k = 0; k < 41; ++k) {
    constant.push_back(0.8 * k);
    alternating.push_back(t);
    t += k % 2 ? 0.9 : 0.8;
  }
  const auto a = es::hrv_indices(constant);
  EXPECT_NEAR(a.mean_nn, 800.0, 1e-9);
  EXPECT_NEAR(a.sdnn, 0.0, 1e-9);
  EXPECT_NEAR(a.rmssd, 0.0, 1e-9);
  EXPECT_NEAR(a.pnn50, 0.0, 1e-9);
  const auto b = es::hrv_indices(alternating);
  EXPECT_NEAR(b.mean_nn, 850.0, 1e-9);
  EXPECT_NEAR(b.rmssd, 100.0, 1e-9);
  EXPECT_NEAR(b.pnn50, 100.0, 1e-9);
  EXPECT_NEAR(b.pnn20, 100.0, 1e-9);
  EXPECT_NEAR(b.sdnn, 50.0 * std::sqrt(40.0 / 39.0), 1e-9);        // 40 values +-50, ddof = 1
  EXPECT_TRUE(std::isnan(es::hrv_indices({0.0, 0.8, 1.6}).sdnn));  // < 3 intervals
}

// RR modulated at 0.1 Hz (Mayer waves) puts the power in LF; at 0.3 Hz (respiration) in HF.
TEST(SignalHrv, FrequencyDomainSeparatesLfAndHf) {
  for (double f : {0.1, 0.3}) {
    std::vector<double> beats = {0.0};
    while (beats.back() < 180) beats.push_back(beats.back() + 0.8 + 0.05 * std::sin(2 * kPi * f * beats.back()));
    const auto h = es::hrv_indices(beats);
    if (f < 0.15) {
      EXPECT_GT(h.lf_hf, 10.0);
    } else {
      EXPECT_LT(h.lf_hf, 0.1);
    }
    EXPECT_NEAR(h.lfn + h.hfn, 1.0, 1e-12);
  }
  std::vector<double> short_series;
  for (int k = 0; k < 20; ++k) short_series.push_back(0.8 * k);  // 15 s < 25 s
  EXPECT_TRUE(std::isnan(es::hrv_indices(short_series).lf));
}

TEST(SignalHrv, RateInterpolatesBetweenPeaks) {
  const auto rate = es::signal_rate({10, 20, 40}, 10.0, 50);  // intervals 1 s, 2 s
  EXPECT_DOUBLE_EQ(rate[0], 60.0);
  EXPECT_DOUBLE_EQ(rate[20], 60.0);
  EXPECT_DOUBLE_EQ(rate[30], 45.0);  // halfway between 60 and 30
  EXPECT_DOUBLE_EQ(rate[49], 30.0);
}
