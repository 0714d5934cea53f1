#include "signal/simulate.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>

#include "core/error.h"
#include "signal/filter.h"

namespace emofuse::signal {
namespace {

constexpr double kPi = 3.14159265358979323846;

// RR tachogram of McSharry et al. (2003), Sec. II-B: bimodal spectrum S(f) with Gaussians at
// 0.1 Hz (LF, weight lf_hf) and 0.25 Hz (HF, weight 1), both of width 0.01 Hz, random phases,
// scaled to mean 60/HR and std 60*hr_std/HR^2. Sampled at 1 Hz over n_rr points.
std::vector<double> rr_tachogram(std::size_t n_rr, double heart_rate, double heart_rate_std, double lf_hf_ratio,
                                 std::mt19937_64& rng) {
  const double c1 = 0.01, c2 = 0.01, f1 = 0.1, f2 = 0.25;
  std::uniform_real_distribution<double> phase(0.0, 2.0 * kPi);
  std::vector<double> amplitude(n_rr / 2), phases(n_rr / 2);
  for (std::size_t k = 1; k < n_rr / 2; ++k) {
    const double f = static_cast<double>(k) / static_cast<double>(n_rr);
    const double s = lf_hf_ratio * std::exp(-0.5 * std::pow((f - f1) / c1, 2)) / std::sqrt(2 * kPi * c1 * c1) +
                     std::exp(-0.5 * std::pow((f - f2) / c2, 2)) / std::sqrt(2 * kPi * c2 * c2);
    amplitude[k] = std::sqrt(s);
    phases[k] = phase(rng);
  }
  std::vector<double> x(n_rr, 0.0);
  for (std::size_t t = 0; t < n_rr; ++t) {
    for (std::size_t k = 1; k < n_rr / 2; ++k) {
      x[t] += amplitude[k] * std::cos(2 * kPi * static_cast<double>(k * t) / static_cast<double>(n_rr) + phases[k]);
    }
  }
  double mean = 0, var = 0;
  for (double v : x) mean += v;
  mean /= static_cast<double>(n_rr);
  for (double v : x) var += (v - mean) * (v - mean);
  const double sd = std::sqrt(var / static_cast<double>(n_rr));
  const double rr_mean = 60.0 / heart_rate, rr_std = 60.0 * heart_rate_std / (heart_rate * heart_rate);
  for (double& v : x) v = rr_mean + (sd > 0 ? (v - mean) / sd * rr_std : 0.0);
  return x;
}

}  // namespace

SimulatedSignal ecg_simulate(const EcgSimulationOptions& o, std::uint64_t seed) {
  require_option(o.duration_s > 0, "duration_s", "must be > 0");
  require_option(o.sampling_rate >= 50, "sampling_rate", "must be >= 50 Hz");
  require_option(o.heart_rate >= 20 && o.heart_rate <= 250, "heart_rate", "must be in [20, 250]");
  std::mt19937_64 rng(seed);
  std::size_t n_rr = 64;
  while (static_cast<double>(n_rr) < o.duration_s + 10) n_rr *= 2;
  const std::vector<double> rr = rr_tachogram(n_rr, o.heart_rate, o.heart_rate_std, o.lf_hf_ratio, rng);
  auto rr_at = [&](double t) {
    const std::size_t i = std::min(static_cast<std::size_t>(t), n_rr - 2);
    const double w = std::clamp(t - static_cast<double>(i), 0.0, 1.0);
    return rr[i] + w * (rr[i + 1] - rr[i]);
  };
  // P, Q, R, S, T events (McSharry et al. 2003, Table 1), scaled with the heart rate as ECGSYN.
  const double hr_fact = std::sqrt(o.heart_rate / 60.0), hr_fact2 = std::sqrt(hr_fact);
  const double deg = kPi / 180.0;
  const double theta[5] = {-70 * deg * hr_fact2, -15 * deg * hr_fact, 0.0, 15 * deg * hr_fact, 100 * deg * hr_fact2};
  const double a[5] = {1.2, -5.0, 30.0, -7.5, 0.75};
  double b[5] = {0.25, 0.1, 0.1, 0.1, 0.4};
  for (double& v : b) v *= hr_fact;

  auto derivative = [&](double t, const double s[3], double d[3]) {
    const double alpha = 1.0 - std::sqrt(s[0] * s[0] + s[1] * s[1]);
    const double omega = 2.0 * kPi / rr_at(t);
    d[0] = alpha * s[0] - omega * s[1];
    d[1] = alpha * s[1] + omega * s[0];
    const double th = std::atan2(s[1], s[0]);
    double dz = 0;
    for (int i = 0; i < 5; ++i) {
      const double dth = std::remainder(th - theta[i], 2.0 * kPi);
      dz -= a[i] * dth * std::exp(-0.5 * dth * dth / (b[i] * b[i]));
    }
    const double z0 = 0.005 * std::sin(2.0 * kPi * 0.25 * t);  // respiratory baseline
    d[2] = dz - (s[2] - z0);
  };

  const int sub = std::max(1, static_cast<int>(std::ceil(512.0 / o.sampling_rate)));
  const double h = 1.0 / (o.sampling_rate * sub);
  const std::size_t n = static_cast<std::size_t>(std::llround(o.duration_s * o.sampling_rate));
  std::vector<double> z(n), th(n);
  double s[3] = {-1.0, 0.0, 0.04};  // start at theta = pi, half a beat before an R wave
  double t = 0;
  for (std::size_t i = 0; i < n; ++i) {
    z[i] = s[2];
    th[i] = std::atan2(s[1], s[0]);
    for (int k = 0; k < sub; ++k) {  // classical fourth-order Runge-Kutta
      double k1[3], k2[3], k3[3], k4[3], tmp[3];
      derivative(t, s, k1);
      for (int j = 0; j < 3; ++j) tmp[j] = s[j] + 0.5 * h * k1[j];
      derivative(t + 0.5 * h, tmp, k2);
      for (int j = 0; j < 3; ++j) tmp[j] = s[j] + 0.5 * h * k2[j];
      derivative(t + 0.5 * h, tmp, k3);
      for (int j = 0; j < 3; ++j) tmp[j] = s[j] + h * k3[j];
      derivative(t + h, tmp, k4);
      for (int j = 0; j < 3; ++j) s[j] += h / 6.0 * (k1[j] + 2 * k2[j] + 2 * k3[j] + k4[j]);
      t += h;
    }
  }
  SimulatedSignal out;
  out.sampling_rate = o.sampling_rate;
  const double zmin = *std::min_element(z.begin(), z.end()), zmax = *std::max_element(z.begin(), z.end());
  std::normal_distribution<double> noise(0.0, o.noise_mv);
  out.signal.resize(n);
  for (std::size_t i = 0; i < n; ++i) out.signal[i] = (z[i] - zmin) * 1.6 / (zmax - zmin) - 0.4 + noise(rng);
  const std::size_t half = static_cast<std::size_t>(std::lround(0.05 * o.sampling_rate));
  for (std::size_t i = 1; i < n; ++i) {
    if (!(th[i - 1] < 0 && th[i] >= 0)) continue;  // theta crosses 0: the R event
    const std::size_t lo = i > half ? i - half : 0, hi = std::min(n, i + half + 1);
    if (lo == 0 || hi == n) continue;  // incomplete beat at an edge
    const std::size_t r = static_cast<std::size_t>(std::max_element(z.begin() + lo, z.begin() + hi) - z.begin());
    out.peak_times.push_back(static_cast<double>(r) / o.sampling_rate);
  }
  return out;
}

SimulatedSignal ppg_simulate(double duration_s, double sampling_rate, double heart_rate, double noise,
                             std::uint64_t seed, double heart_rate_std) {
  require_option(duration_s > 0 && sampling_rate > 0, "duration_s/sampling_rate", "must be > 0");
  require_option(heart_rate >= 20 && heart_rate <= 250, "heart_rate", "must be in [20, 250]");
  std::mt19937_64 rng(seed);
  const std::size_t n = static_cast<std::size_t>(std::llround(duration_s * sampling_rate));
  const double rr_mean = 60.0 / heart_rate, rr_std = 60.0 * heart_rate_std / (heart_rate * heart_rate);
  std::normal_distribution<double> rr_dist(rr_mean, rr_std);
  SimulatedSignal out;
  out.sampling_rate = sampling_rate;
  out.signal.assign(n, 0.0);
  auto add_gaussian = [&](double center, double sigma, double height) {
    const long lo = std::max(0L, static_cast<long>((center - 4 * sigma) * sampling_rate));
    const long hi = std::min(static_cast<long>(n), static_cast<long>((center + 4 * sigma) * sampling_rate) + 1);
    for (long i = lo; i < hi; ++i) {
      const double dt = static_cast<double>(i) / sampling_rate - center;
      out.signal[i] += height * std::exp(-0.5 * dt * dt / (sigma * sigma));
    }
  };
  for (double onset = 0.3; onset < duration_s;) {
    const double rr = std::clamp(rr_dist(rng), 0.6 * rr_mean, 1.4 * rr_mean);
    const double systolic = onset + 0.2;
    add_gaussian(systolic, 0.07, 1.0);
    add_gaussian(systolic + 0.35 * rr, 0.11, 0.35);
    if (systolic < duration_s) out.peak_times.push_back(systolic);
    onset += rr;
  }
  std::normal_distribution<double> white(0.0, noise);
  for (std::size_t i = 0; i < n; ++i) {
    const double t = static_cast<double>(i) / sampling_rate;
    out.signal[i] += 0.1 * std::sin(2 * kPi * 0.25 * t) + white(rng);
  }
  return out;
}

SimulatedSignal rsp_simulate(double duration_s, double sampling_rate, double breaths_per_min, double amplitude,
                             double noise, std::uint64_t seed) {
  require_option(duration_s > 0 && sampling_rate > 0, "duration_s/sampling_rate", "must be > 0");
  require_option(breaths_per_min > 0, "breaths_per_min", "must be > 0");
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> phase0(0.0, 2 * kPi);
  const double wander_phase = phase0(rng);
  std::normal_distribution<double> white(0.0, noise);
  const std::size_t n = static_cast<std::size_t>(std::llround(duration_s * sampling_rate));
  SimulatedSignal out;
  out.sampling_rate = sampling_rate;
  out.signal.resize(n);
  double phase = 0;  // sin(phase): peak when phase = pi/2 (mod 2 pi)
  for (std::size_t i = 0; i < n; ++i) {
    const double t = static_cast<double>(i) / sampling_rate;
    const double prev = phase;
    const double f = breaths_per_min / 60.0 * (1.0 + 0.1 * std::sin(2 * kPi * t / 60.0 + wander_phase));
    phase += 2 * kPi * f / sampling_rate;
    out.signal[i] = amplitude * std::sin(phase) + white(rng);
    const double k = std::floor((phase - kPi / 2) / (2 * kPi));
    const double crossing = kPi / 2 + 2 * kPi * k;
    if (prev < crossing && phase >= crossing) out.peak_times.push_back(t);
  }
  return out;
}

SimulatedEda eda_simulate(double duration_s, double sampling_rate, double tonic_uS, const std::vector<double>& onsets,
                          const std::vector<double>& amplitudes, double noise, std::uint64_t seed) {
  require_option(duration_s > 0 && sampling_rate > 0, "duration_s/sampling_rate", "must be > 0");
  require_option(onsets.size() == amplitudes.size(), "amplitudes", "needs one per onset");
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> white(0.0, noise);
  const double tau_rise = 1.0, tau_decay = 3.75;
  // Peak of exp(-t/td) - exp(-t/tr) at t* = ln(td/tr) tr td / (td - tr).
  const double t_peak = std::log(tau_decay / tau_rise) * tau_rise * tau_decay / (tau_decay - tau_rise);
  const double g_peak = std::exp(-t_peak / tau_decay) - std::exp(-t_peak / tau_rise);
  const std::size_t n = static_cast<std::size_t>(std::llround(duration_s * sampling_rate));
  SimulatedEda out;
  out.sampling_rate = sampling_rate;
  out.signal.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double t = static_cast<double>(i) / sampling_rate;
    double v = tonic_uS + 0.05 * std::sin(2 * kPi * 0.01 * t);
    for (std::size_t k = 0; k < onsets.size(); ++k) {
      const double dt = t - onsets[k];
      if (dt > 0) v += amplitudes[k] * (std::exp(-dt / tau_decay) - std::exp(-dt / tau_rise)) / g_peak;
    }
    out.signal[i] = v + white(rng);
  }
  out.onsets = onsets;
  out.amplitudes = amplitudes;
  for (double o : onsets) out.peak_times.push_back(o + t_peak);
  return out;
}

std::vector<double> eeg_simulate(double duration_s, double sampling_rate, double low_hz, double high_hz, double band_uv,
                                 double background_uv, std::uint64_t seed) {
  require_option(duration_s > 0 && sampling_rate > 0, "duration_s/sampling_rate", "must be > 0");
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> white(0.0, 1.0);
  const std::size_t n = static_cast<std::size_t>(std::llround(duration_s * sampling_rate));
  std::vector<double> w(n);
  for (double& v : w) v = white(rng);
  std::vector<double> band = signal_filter(w, sampling_rate, low_hz, high_hz, 4);
  double var = 0;
  for (double v : band) var += v * v;
  const double scale = band_uv / std::sqrt(var / static_cast<double>(n));
  for (std::size_t i = 0; i < n; ++i) band[i] = band[i] * scale + background_uv * white(rng);
  return band;
}

namespace {

// WESAD RespiBAN inverse transfer functions (the forward ones are in wesad_readers.cpp).
constexpr double kVcc = 3.0, kChanBit = 65536.0, kCmin = 28000.0, kCmax = 38000.0;

long raw_linear_centered(double value, double full_scale) {  // (signal/chan_bit - 0.5) * scale
  return std::lround((value / full_scale + 0.5) * kChanBit);
}

long raw_temperature(double celsius) {
  // Solve 1/T = a0 + a1 L + a2 L^3 (L = ln R_ntc) for L by Newton, then invert
  // R = 1e4 vout / (vcc - vout) and vout = signal vcc / (chan_bit - 1).
  const double a0 = 1.12764514e-3, a1 = 2.34282709e-4, a2 = 8.77303013e-8;
  const double target = 1.0 / (celsius + 273.15);
  double L = std::log(1e4);
  for (int it = 0; it < 50; ++it) {
    const double f = a0 + a1 * L + a2 * L * L * L - target, df = a1 + 3 * a2 * L * L;
    L -= f / df;
  }
  const double r = std::exp(L);
  const double vout = r * kVcc / (1e4 + r);
  return std::lround(vout * (kChanBit - 1.0) / kVcc);
}

struct ConditionPlan {
  std::string quest_name;  // "" for gaps
  double start_s, end_s;
  double heart_rate, scr_interval_s, tonic_uS, breaths_per_min, temp_c, movement_g;
};

std::string minutes_seconds(double t) {
  const long total = std::lround(t);
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%ld.%02ld", total / 60, total % 60);
  return buf;
}

void write_text(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  if (!out) throw Error("cannot write " + path.string());
  out << text;
}

}  // namespace

std::vector<std::string> wesad_write_fixture(const std::string& root, int n_subjects, double condition_s,
                                             std::uint64_t seed) {
  require_option(n_subjects >= 1, "n_subjects", "must be >= 1");
  require_option(condition_s >= 30, "condition_s", "must be >= 30 s (HRV needs 25 s)");
  namespace fs = std::filesystem;
  std::vector<std::string> ids;
  for (int s = 0; s < n_subjects; ++s) {
    const std::string id = "S" + std::to_string(2 + s);
    ids.push_back(id);
    const std::uint64_t sseed = seed * 1000 + static_cast<std::uint64_t>(s);
    std::mt19937_64 rng(sseed);
    // name, start, end, HR, SCR interval, tonic, breathing, temperature, movement
    const double c = condition_s;
    std::vector<ConditionPlan> plan;
    const char* names[5] = {"Base", "TSST", "Fun", "Medi 1", "sRead"};
    const double hr[5] = {70, 92, 76, 62, 72}, scr[5] = {20, 7, 12, 30, 20};
    const double tonic[5] = {2.0, 4.0, 3.0, 1.8, 2.2}, br[5] = {15, 21, 16, 8, 15};
    const double temp[5] = {33.0, 32.4, 33.2, 33.6, 33.1}, move[5] = {0.02, 0.08, 0.05, 0.005, 0.02};
    double t = 0;
    for (int k = 0; k < 5; ++k) {
      const double len_gap = 10.0, len = k < 4 ? c : 10.0;
      plan.push_back({"", t, t + len_gap, hr[0], scr[0], tonic[0], br[0], temp[0], move[0]});
      t += len_gap;
      plan.push_back({names[k], t, t + len, hr[k], scr[k], tonic[k], br[k], temp[k], move[k]});
      t += len;
    }
    plan.push_back({"", t, t + 10.0, hr[0], scr[0], tonic[0], br[0], temp[0], move[0]});

    // Streams: wrist ACC 32 (x,y,z in g), BVP 64, EDA 4, TEMP 4; chest 700 Hz.
    std::vector<double> w_ax, w_ay, w_az, bvp, w_eda, w_temp;
    std::vector<double> c_ecg, c_eda, c_emg, c_temp, c_ax, c_ay, c_az, c_resp;
    std::normal_distribution<double> gauss(0.0, 1.0);
    for (std::size_t p = 0; p < plan.size(); ++p) {
      const ConditionPlan& q = plan[p];
      const double d = q.end_s - q.start_s;
      const std::uint64_t pseed = sseed * 100 + p;
      std::vector<double> onsets, amps;
      for (double o = 2.0; o + 2.0 < d; o += q.scr_interval_s) {
        onsets.push_back(o);
        amps.push_back(0.3 + 0.4 * std::uniform_real_distribution<double>(0, 1)(rng));
      }
      auto eda4 = eda_simulate(d, 4.0, q.tonic_uS, onsets, amps, 0.002, pseed + 1).signal;
      auto eda700 = eda_simulate(d, 700.0, q.tonic_uS * 1.5, onsets, amps, 0.002, pseed + 2).signal;
      w_eda.insert(w_eda.end(), eda4.begin(), eda4.end());
      c_eda.insert(c_eda.end(), eda700.begin(), eda700.end());
      auto ppg = ppg_simulate(d, 64.0, q.heart_rate, 0.01, pseed + 3).signal;
      for (double v : ppg) bvp.push_back(50.0 * v);
      EcgSimulationOptions eo;
      eo.duration_s = d;
      eo.sampling_rate = 700.0;
      eo.heart_rate = q.heart_rate;
      auto ecg = ecg_simulate(eo, pseed + 4).signal;
      c_ecg.insert(c_ecg.end(), ecg.begin(), ecg.end());
      auto resp = rsp_simulate(d, 700.0, q.breaths_per_min, 5.0, 0.05, pseed + 5).signal;
      c_resp.insert(c_resp.end(), resp.begin(), resp.end());
      for (std::size_t i = 0; i < static_cast<std::size_t>(std::llround(d * 4)); ++i) {
        w_temp.push_back(q.temp_c + 0.002 * (static_cast<double>(i) / 4.0) + 0.01 * gauss(rng));
      }
      for (std::size_t i = 0; i < static_cast<std::size_t>(std::llround(d * 700)); ++i) {
        c_temp.push_back(q.temp_c + 1.0 + 0.01 * gauss(rng));
        c_emg.push_back(0.01 * gauss(rng));
        c_ax.push_back(q.movement_g * gauss(rng));
        c_ay.push_back(q.movement_g * gauss(rng));
        c_az.push_back(1.0 + q.movement_g * gauss(rng));
      }
      for (std::size_t i = 0; i < static_cast<std::size_t>(std::llround(d * 32)); ++i) {
        w_ax.push_back(q.movement_g * gauss(rng));
        w_ay.push_back(q.movement_g * gauss(rng));
        w_az.push_back(1.0 + q.movement_g * gauss(rng));
      }
    }

    const fs::path dir = fs::path(root) / id;
    const fs::path e4 = dir / (id + "_E4_Data");
    fs::create_directories(e4);
    const std::string start = "1495437325.000000";
    char buf[128];
    {
      std::string text = start + ", " + start + ", " + start + "\n32.000000, 32.000000, 32.000000\n";
      for (std::size_t i = 0; i < w_ax.size(); ++i) {
        std::snprintf(buf, sizeof(buf), "%ld,%ld,%ld\n", std::lround(w_ax[i] * 64), std::lround(w_ay[i] * 64),
                      std::lround(w_az[i] * 64));
        text += buf;
      }
      write_text(e4 / "ACC.csv", text);
    }
    auto write_single = [&](const std::string& name, double rate, const std::vector<double>& v, const char* fmt) {
      std::snprintf(buf, sizeof(buf), "%s\n%.6f\n", start.c_str(), rate);
      std::string text = buf;
      for (double x : v) {
        std::snprintf(buf, sizeof(buf), fmt, x);
        text += buf;
      }
      write_text(e4 / name, text);
    };
    write_single("BVP.csv", 64.0, bvp, "%.2f\n");
    write_single("EDA.csv", 4.0, w_eda, "%.6f\n");
    write_single("TEMP.csv", 4.0, w_temp, "%.2f\n");

    std::string text =
        "# OpenSignals Text File Format\n"
        "# {\"00:07:80:0F:80:1B\": {\"sensor\": [\"RAW\", \"RAW\", \"RAW\", \"RAW\", \"RAW\", \"RAW\", "
        "\"RAW\", \"RAW\"], \"column\": [\"nSeq\", \"DI\", \"CH1\", \"CH2\", \"CH3\", \"CH4\", \"CH5\", "
        "\"CH6\", \"CH7\", \"CH8\"], \"time\": \"10:32:52.727\", \"date\": \"2017-5-23\", "
        "\"sampling rate\": 700, \"label\": [\"ECG\", \"EDA\", \"EMG\", \"TEMP\", \"XYZ\", \"XYZ\", "
        "\"XYZ\", \"RESPIRATION\"], \"resolution\": [16, 16, 16, 16, 16, 16, 16, 16]}}\n"
        "# EndOfHeader\n";
    text.reserve(text.size() + c_ecg.size() * 48);
    auto acc_raw = [](double g) { return std::lround((g + 1.0) / 2.0 * (kCmax - kCmin) + kCmin); };
    for (std::size_t i = 0; i < c_ecg.size(); ++i) {
      std::snprintf(buf, sizeof(buf), "%zu\t0\t%ld\t%ld\t%ld\t%ld\t%ld\t%ld\t%ld\t%ld\n", i % 16,
                    raw_linear_centered(c_ecg[i], kVcc), std::lround(c_eda[i] * 0.12 / kVcc * kChanBit),
                    raw_linear_centered(c_emg[i], kVcc), raw_temperature(c_temp[i]), acc_raw(c_ax[i]), acc_raw(c_ay[i]),
                    acc_raw(c_az[i]), raw_linear_centered(c_resp[i], 100.0));
      text += buf;
    }
    write_text(dir / (id + "_respiban.txt"), text);

    std::string order = "# ORDER", starts = "# START", ends = "# END";
    for (const auto& q : plan) {
      if (q.quest_name.empty()) continue;
      order += ";" + q.quest_name;
      starts += ";" + minutes_seconds(q.start_s);
      ends += ";" + minutes_seconds(q.end_s);
    }
    write_text(dir / (id + "_quest.csv"),
               "# Subj;" + id + ";;;;\n" + order + ";;\n" + starts + ";;\n" + ends + ";;\n;;;;;;\n# PANAS;1;2;3;4;5\n");
  }
  return ids;
}

}  // namespace emofuse::signal
