// Feature extraction speed for every WESAD signal on simulated data, one core.
//
//   bench_signal_features [minutes=10]
//
// 1. In memory: E4 ACC 32 Hz, BVP 64 Hz, EDA 4 Hz, TEMP 4 Hz and RespiBAN 700 Hz ECG, EDA, RESP,
//    TEMP, ACC are cleaned/decomposed/peak-detected once, then 5 s windows every 1 s get all
//    141 features (HRV over a 60 s context) -- the pipeline of extract_wesad_features.
// 2. End to end: extract_wesad_features on a WESAD-layout folder written by
//    wesad_write_fixture (includes parsing the 700 Hz text file).
// 3. EEG: differential entropy of 18 channels x 5 bands at 128 Hz, 1 s windows.
// Prints the best of 3 runs and the real-time factor (recording seconds / compute seconds).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "signal/datasets.h"
#include "signal/ecg.h"
#include "signal/eda.h"
#include "signal/eeg.h"
#include "signal/filter.h"
#include "signal/ppg.h"
#include "signal/rsp_temp_acc.h"
#include "signal/simulate.h"
#include "signal/windows.h"

namespace es = emofuse::signal;

namespace {

double best_of_3(const std::function<void()>& f) {
  double best = 1e300;
  for (int r = 0; r < 3; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    const auto t1 = std::chrono::steady_clock::now();
    best = std::min(best, std::chrono::duration<double>(t1 - t0).count());
  }
  return best;
}

// `level` plus white Gaussian noise of standard deviation `sd` (accelerometer axes, temperature).
std::vector<double> noise_channel(std::size_t n, double level, double sd, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> noise(level, sd);
  std::vector<double> v(n);
  for (double& x : v) x = noise(rng);
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  const double minutes = argc > 1 ? std::atof(argv[1]) : 10.0;
  const double seconds = minutes * 60.0;

  // ---- simulated signals (not timed)
  std::vector<double> scr_onsets, scr_amps;
  for (double t = 3; t + 5 < seconds; t += 15) {
    scr_onsets.push_back(t);
    scr_amps.push_back(0.4);
  }
  const auto eda4 = es::eda_simulate(seconds, 4, 2.0, scr_onsets, scr_amps, 0.002, 1).signal;
  const auto eda700 = es::eda_simulate(seconds, 700, 3.0, scr_onsets, scr_amps, 0.002, 2).signal;
  const auto bvp = es::ppg_simulate(seconds, 64, 75, 0.02, 3).signal;
  es::EcgSimulationOptions eo;
  eo.duration_s = seconds;
  eo.sampling_rate = 700;
  const auto ecg = es::ecg_simulate(eo, 4).signal;
  const auto resp = es::rsp_simulate(seconds, 700, 15, 5, 0.05, 5).signal;
  const std::size_t n32 = static_cast<std::size_t>(seconds * 32), n4 = static_cast<std::size_t>(seconds * 4);
  const std::size_t n700 = static_cast<std::size_t>(seconds * 700);
  const auto wx = noise_channel(n32, 0.0, 0.05, 6), wy = noise_channel(n32, 0.0, 0.05, 7),
             wz = noise_channel(n32, 1.0, 0.05, 8);
  const auto cx = noise_channel(n700, 0.0, 0.05, 9), cy = noise_channel(n700, 0.0, 0.05, 10),
             cz = noise_channel(n700, 1.0, 0.05, 11);
  const auto temp4 = noise_channel(n4, 33.0, 0.05, 12), temp700 = noise_channel(n700, 34.0, 0.05, 13);

  std::size_t rows = 0, features = 0;
  const double in_memory = best_of_3([&] {
    const auto eda = es::eda_process(eda4, 4);
    const auto ppg = es::ppg_process(bvp, 64);
    const auto ecg_p = es::ecg_process(ecg, 700);
    const auto rsp = es::rsp_process(resp, 700);
    const auto chest_eda = es::eda_process(es::signal_resample(eda700, 700, 32), 32);
    const auto chest_temp = es::signal_resample(temp700, 700, 32);
    rows = 0;
    for (double t = 0; t + 5 <= seconds; t += 1) {
      auto r = [&](double fs) {
        return std::make_pair(static_cast<std::size_t>(t * fs), static_cast<std::size_t>((t + 5) * fs));
      };
      auto ctx = [&](double fs) {
        const double c0 = std::max(0.0, t + 2.5 - 30), c1 = std::min(seconds, t + 2.5 + 30);
        return std::make_pair(static_cast<std::size_t>(c0 * fs), static_cast<std::size_t>(c1 * fs));
      };
      std::vector<double> row;
      auto add = [&](const std::vector<double>& v) { row.insert(row.end(), v.begin(), v.end()); };
      add(es::eda_window_features(eda, r(4).first, r(4).second));
      add(es::ppg_window_features(ppg, r(64).first, r(64).second, ctx(64).first, ctx(64).second));
      add(es::acc_window_features(wx, wy, wz, r(32).first, r(32).second));
      add(es::temp_window_features(temp4, 4, r(4).first, r(4).second));
      add(es::ecg_window_features(ecg_p, r(700).first, r(700).second, ctx(700).first, ctx(700).second));
      add(es::rsp_window_features(rsp, r(700).first, r(700).second));
      add(es::eda_window_features(chest_eda, r(32).first, r(32).second));
      add(es::temp_window_features(chest_temp, 32, r(32).first, r(32).second));
      add(es::acc_window_features(cx, cy, cz, r(700).first, r(700).second));
      features = row.size();
      ++rows;
    }
  });
  std::printf(
      "in-memory WESAD features: %.0f s of E4 + RespiBAN signals, %zu windows x %zu features: "
      "%.3f s -> real-time factor %.0fx\n",
      seconds, rows, features, in_memory, seconds / in_memory);

  // ---- end to end from files
  const std::filesystem::path root = std::filesystem::temp_directory_path() / "emofuse_bench_wesad";
  std::filesystem::remove_all(root);
  const double condition_s = std::max(30.0, (seconds - 70.0) / 4.0);
  es::wesad_write_fixture(root.string(), 1, condition_s, 7);
  const double recording_s = 4 * condition_s + 70.0;
  std::size_t table_rows = 0;
  const double end_to_end = best_of_3([&] { table_rows = es::extract_wesad_features(root.string(), {}).size(); });
  std::printf(
      "extract_wesad_features from files: %.0f s recording (%.0f s labelled), %zu windows: "
      "%.3f s -> real-time factor %.0fx\n",
      recording_s, 4 * condition_s, table_rows, end_to_end, recording_s / end_to_end);
  std::filesystem::remove_all(root);

  // ---- EEG differential entropy, DMER layout
  std::vector<std::vector<double>> eeg;
  std::vector<std::string> names;
  for (int c = 0; c < 18; ++c) {
    eeg.push_back(es::eeg_simulate(seconds, 128, 8, 14, 10, 2, 100 + c));
    names.push_back("Ch" + std::to_string(c));
  }
  std::size_t eeg_rows = 0;
  const double eeg_time = best_of_3([&] { eeg_rows = es::eeg_differential_entropy(eeg, names, 128).rows.size(); });
  std::printf(
      "EEG differential entropy: 18 channels x 5 bands at 128 Hz, %.0f s, %zu windows: "
      "%.3f s -> real-time factor %.0fx\n",
      seconds, eeg_rows, eeg_time, seconds / eeg_time);
  return 0;
}
