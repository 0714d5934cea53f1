// Respiration, temperature and accelerometer features (src/signal/rsp_temp_acc.h).
#include <gtest/gtest.h>

#include <cmath>

#include "signal/rsp_temp_acc.h"
#include "signal/simulate.h"

namespace es = emofuse::signal;

TEST(SignalRsp, RateAndAmplitudeOfSimulatedBreathing) {
  for (double bpm : {8.0, 15.0, 24.0}) {
    const double fs = 50;
    const auto sim = es::rsp_simulate(120, fs, bpm, 2.0, 0.05, 5);
    const auto rsp = es::rsp_process(sim.signal, fs);
    EXPECT_NEAR(static_cast<double>(rsp.extrema.peaks.size()), static_cast<double>(sim.peak_times.size()), 1.0);
    const double truth = 60.0 * (sim.peak_times.size() - 1) / (sim.peak_times.back() - sim.peak_times.front());
    const auto f = es::rsp_window_features(rsp, 0, rsp.clean.size());
    EXPECT_NEAR(f[0], truth, 0.1 * truth) << bpm;  // RSP_Rate_Mean, rate wanders +-10 %
    EXPECT_NEAR(f[4], 4.0, 0.5) << bpm;            // peak-trough = 2 x amplitude
  }
  EXPECT_EQ(es::rsp_feature_names().size(), 8u);
}

TEST(SignalTemp, SlopeOfARampIsExact) {
  std::vector<double> t(40);
  for (std::size_t i = 0; i < t.size(); ++i) t[i] = 33.0 + 0.01 * i;  // 0.04 deg C/s at 4 Hz
  const auto f = es::temp_window_features(t, 4.0, 0, 20);
  EXPECT_NEAR(f[0], 33.095, 1e-12);  // mean of 33.00 .. 33.19
  EXPECT_NEAR(f[4], 0.19, 1e-12);    // range
  EXPECT_NEAR(f[5], 0.04, 1e-12);    // slope
}

TEST(SignalAcc, MagnitudeAndEnmo) {
  std::vector<double> x(32, 0.0), y(32, 0.0), z(32, 1.0);
  auto f = es::acc_window_features(x, y, z, 0, 32);
  EXPECT_NEAR(f[6], 1.0, 1e-12);  // magnitude mean
  EXPECT_NEAR(f[9], 0.0, 1e-12);  // ENMO at rest
  for (std::size_t i = 0; i < 16; ++i) {
    x[i] = 0.6;
    z[i] = 0.8;
  }  // still 1 g
  for (std::size_t i = 16; i < 32; ++i) {
    x[i] = 1.2;
    z[i] = 1.6;
  }  // 2 g
  f = es::acc_window_features(x, y, z, 0, 32);
  EXPECT_NEAR(f[6], 1.5, 1e-12);
  EXPECT_NEAR(f[9], 0.5, 1e-12);  // mean(max(|a| - 1, 0)) = (0 + 1) / 2
  EXPECT_EQ(es::acc_feature_names()[9], "ACC_Activity_ENMO");
}
