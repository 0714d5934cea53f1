// EDA cleaning, decomposition, SCR detection and window features (src/signal/eda.h).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "signal/eda.h"
#include "signal/simulate.h"

namespace es = emofuse::signal;

namespace {

void expect_all_scrs_found(double fs) {
  const std::vector<double> onsets = {5, 25, 45, 65, 85, 105};
  const std::vector<double> amps = {0.2, 0.5, 0.9, 0.3, 0.7, 0.4};
  const auto sim = es::eda_simulate(120, fs, 2.0, onsets, amps, 0.002, 42);
  const auto eda = es::eda_process(sim.signal, fs);
  ASSERT_EQ(eda.peaks.peaks.size(), onsets.size()) << "fs " << fs;
  for (std::size_t k = 0; k < onsets.size(); ++k) {
    EXPECT_NEAR(eda.peaks.onsets[k] / fs, sim.onsets[k], 0.5) << "SCR " << k << " fs " << fs;
    EXPECT_NEAR(eda.peaks.peaks[k] / fs, sim.peak_times[k], 0.5) << "SCR " << k << " fs " << fs;
    EXPECT_NEAR(eda.peaks.amplitudes[k], sim.amplitudes[k], 0.1 * sim.amplitudes[k]) << "SCR " << k;
    EXPECT_NEAR(eda.peaks.rise_times[k], sim.peak_times[k] - sim.onsets[k], 0.5);
  }
}

}  // namespace

// Every SCR of a clean simulated EDA is found at the E4 rate (4 Hz, cleaning skipped) and at
// 32 Hz; onset/peak within 0.5 s, amplitude within 10 % of the simulated one.
TEST(SignalEda, FindsEverySimulatedScr) {
  expect_all_scrs_found(4.0);
  expect_all_scrs_found(32.0);
}

TEST(SignalEda, PhasicPlusTonicIsTheSignal) {
  const auto sim = es::eda_simulate(60, 8, 3.0, {10, 30}, {0.5, 0.5}, 0.001, 1);
  const auto parts = es::eda_phasic(sim.signal, 8);
  for (std::size_t i = 0; i < sim.signal.size(); ++i) {
    EXPECT_DOUBLE_EQ(parts.tonic[i] + parts.phasic[i], sim.signal[i]);
  }
  // Exact median on a constructed input: window 1 s at 4 Hz -> 5 samples centred.
  const auto m = es::eda_phasic({1, 9, 2, 8, 3, 7, 4}, 4.0, 1.0);
  EXPECT_DOUBLE_EQ(m.tonic[3], 7.0);  // median of samples 1..5 = {9, 2, 8, 3, 7}
  EXPECT_DOUBLE_EQ(m.tonic[0], 2.0);  // window shrunk at the edge: {1, 9, 2}
}

TEST(SignalEda, TwentyEightNamedWindowFeatures) {
  const auto sim = es::eda_simulate(30, 4, 2.0, {10}, {0.6}, 0.002, 3);
  const auto eda = es::eda_process(sim.signal, 4);
  const auto names = es::eda_feature_names();
  ASSERT_EQ(names.size(), 28u);
  EXPECT_EQ(std::set<std::string>(names.begin(), names.end()).size(), 28u);
  for (const auto& n : names) EXPECT_EQ(n.rfind("EDA_", 0), 0u) << n;
  // Window 8-13 s contains the SCR peak (~11.8 s), window 20-25 s none.
  const auto with = es::eda_window_features(eda, 32, 52);
  const auto without = es::eda_window_features(eda, 80, 100);
  ASSERT_EQ(with.size(), 28u);
  auto at = [&](const std::vector<double>& v, const std::string& name) {
    return v[std::find(names.begin(), names.end(), name) - names.begin()];
  };
  EXPECT_EQ(at(with, "EDA_SCR_Peaks_N"), 1.0);
  EXPECT_NEAR(at(with, "EDA_SCR_Amplitude_Max"), 0.6, 0.06);
  EXPECT_NEAR(at(with, "EDA_SCR_Peaks_Rate"), 12.0, 1e-9);  // 1 SCR in 5 s = 12 per minute
  EXPECT_EQ(at(without, "EDA_SCR_Peaks_N"), 0.0);
  EXPECT_EQ(at(without, "EDA_SCR_Amplitude_Mean"), 0.0);
  for (double v : with) EXPECT_TRUE(std::isfinite(v));
}
