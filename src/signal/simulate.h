// Seeded simulators with known ground truth, for tests and benchmarks. Every function takes a
// `seed` for its own std::mt19937_64, so a (options, seed) pair always gives the same signal.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace emofuse::signal {

/// A simulated signal and the times (s) of its true events (R peaks, systolic peaks,
/// inspiration peaks).
struct SimulatedSignal {
  std::vector<double> signal;
  double sampling_rate = 0;
  std::vector<double> peak_times;
};

/// ECGSYN options (McSharry, Clifford, Tarassenko & Smith 2003, IEEE TBME 50(3)).
struct EcgSimulationOptions {
  double duration_s = 10.0;
  double sampling_rate = 256.0;
  double heart_rate = 70.0;     ///< mean, beats/min
  double heart_rate_std = 1.0;  ///< standard deviation of the heart rate, beats/min
  double lf_hf_ratio = 0.5;     ///< of the RR tachogram spectrum (Mayer waves 0.1 Hz, RSA 0.25 Hz)
  double noise_mv = 0.01;       ///< additive white noise, mV
};

/// ECG from the McSharry et al. (2003) dynamical model: a limit cycle in (x, y) with angular
/// speed 2 pi / RR(t) and z driven by five Gaussian events P, Q, R, S, T (theta_i, a_i, b_i from
/// the paper's Table 1, angles and widths scaled with sqrt(HR/60) as in ECGSYN), integrated by
/// fourth-order Runge-Kutta at >= 512 Hz, z scaled to [-0.4, 1.2] mV. RR(t) comes from the
/// paper's bimodal spectrum with random phases. Truth: R peak times (maximum of z at each
/// crossing of theta = 0).
SimulatedSignal ecg_simulate(const EcgSimulationOptions& options, std::uint64_t seed);

/// PPG: per beat a systolic Gaussian (at onset + 0.2 s, sigma 0.07 s, height 1) and a diastolic
/// one (onset + 0.2 s + 0.35 RR, sigma 0.11 s, height 0.35); RR ~ N(60/HR, heart_rate_std);
/// plus 0.25 Hz baseline wander (0.1) and white noise. Truth: systolic peak times.
SimulatedSignal ppg_simulate(double duration_s, double sampling_rate, double heart_rate, double noise,
                             std::uint64_t seed, double heart_rate_std = 1.0);

/// Respiration: sin of a phase advancing at a rate that wanders +-10 % around `breaths_per_min`,
/// amplitude `amplitude`, plus white noise. Truth: inspiration peak times (phase = pi/2).
SimulatedSignal rsp_simulate(double duration_s, double sampling_rate, double breaths_per_min, double amplitude,
                             double noise, std::uint64_t seed);

/// Simulated EDA with its true skin conductance responses.
struct SimulatedEda {
  std::vector<double> signal;  ///< uS
  double sampling_rate = 0;
  std::vector<double> onsets;      ///< s
  std::vector<double> peak_times;  ///< s
  std::vector<double> amplitudes;  ///< uS, peak height of each response above its onset level
};

/// EDA = tonic level (`tonic_uS` + slow 0.01 Hz drift of 0.05 uS) + SCRs with bi-exponential
/// shape exp(-t/3.75 s) - exp(-t/1 s) (rise ~1.8 s; Alexander et al. 2005) normalised to unit
/// peak, at `onsets` (s) with `amplitudes` (uS), plus white noise.
SimulatedEda eda_simulate(double duration_s, double sampling_rate, double tonic_uS, const std::vector<double>& onsets,
                          const std::vector<double>& amplitudes, double noise, std::uint64_t seed);

/// One EEG channel (uV): white noise band-passed to [low_hz, high_hz] (zero-phase Butterworth)
/// with standard deviation `band_uv`, plus broadband white noise of `background_uv`.
std::vector<double> eeg_simulate(double duration_s, double sampling_rate, double low_hz, double high_hz, double band_uv,
                                 double background_uv, std::uint64_t seed);

/// Writes a WESAD-layout folder under `root` for subjects S2, S3, ... (n_subjects of them):
/// S<k>/S<k>_E4_Data/{ACC,BVP,EDA,TEMP}.csv, S<k>/S<k>_respiban.txt (raw ADC values through the
/// inverse WESAD transfer functions) and S<k>/S<k>_quest.csv with conditions Base, TSST, Fun,
/// Medi 1 (each `condition_s` seconds, 10 s apart, first at 10 s) and an ignored sRead. Heart
/// rate, SCR frequency and breathing differ by condition. Returns the subject ids.
std::vector<std::string> wesad_write_fixture(const std::string& root, int n_subjects, double condition_s,
                                             std::uint64_t seed);

}  // namespace emofuse::signal
