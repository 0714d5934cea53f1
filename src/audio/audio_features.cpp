#include "audio/audio_features.h"

#include <fftw3.h>
#include <sndfile.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>
#include <mutex>

#include "core/error.h"

namespace emofuse::audio {

namespace {

constexpr double kPi = 3.14159265358979323846;

// FFTW's planner is not thread-safe; plans are created and destroyed under this lock.
std::mutex& fftw_planner_mutex() {
  static std::mutex m;
  return m;
}

int64_t samples_of_ms(double ms, int sampling_rate) {
  return std::max<int64_t>(1, static_cast<int64_t>(std::llround(ms * 1e-3 * sampling_rate)));
}

void check_signal(const AudioSignal& signal, const char* where) {
  if (signal.sampling_rate <= 0) {
    throw Error(std::string(where) + ": sampling_rate must be > 0, got " + std::to_string(signal.sampling_rate));
  }
  if (signal.samples.empty()) throw Error(std::string(where) + ": empty signal");
}

// Sample x[i], zero outside the signal.
inline double sample_at(const AudioSignal& s, int64_t i) {
  return (i >= 0 && i < static_cast<int64_t>(s.samples.size())) ? s.samples[i] : 0.0;
}

double hz_to_mel(double hz) {
  return 2595.0 * std::log10(1.0 + hz / 700.0);
}
double mel_to_hz(double mel) {
  return 700.0 * (std::pow(10.0, mel / 2595.0) - 1.0);
}

// Power spectra |X_k|^2 of every Hann-windowed frame, [T][n_fft / 2 + 1].
FrameMatrix power_spectra(const AudioSignal& signal, const AudioFeatureOptions& o, int& n_fft) {
  const int64_t frame = samples_of_ms(o.frame_ms, signal.sampling_rate);
  const int64_t hop = samples_of_ms(o.hop_ms, signal.sampling_rate);
  n_fft = 1;
  while (n_fft < frame) n_fft *= 2;
  const int64_t frames = audio_frame_count(signal, o);
  std::vector<double> window(frame);
  for (int64_t j = 0; j < frame; ++j) window[j] = 0.5 - 0.5 * std::cos(2.0 * kPi * j / frame);

  double* in = fftw_alloc_real(n_fft);
  fftw_complex* out = fftw_alloc_complex(n_fft / 2 + 1);
  fftw_plan plan;
  {
    std::lock_guard<std::mutex> lock(fftw_planner_mutex());
    plan = fftw_plan_dft_r2c_1d(n_fft, in, out, FFTW_ESTIMATE);
  }
  FrameMatrix spectra(frames, std::vector<double>(n_fft / 2 + 1));
  for (int64_t t = 0; t < frames; ++t) {
    std::fill(in, in + n_fft, 0.0);
    for (int64_t j = 0; j < frame; ++j) in[j] = sample_at(signal, t * hop + j) * window[j];
    fftw_execute(plan);
    for (int k = 0; k <= n_fft / 2; ++k) spectra[t][k] = out[k][0] * out[k][0] + out[k][1] * out[k][1];
  }
  {
    std::lock_guard<std::mutex> lock(fftw_planner_mutex());
    fftw_destroy_plan(plan);
  }
  fftw_free(in);
  fftw_free(out);
  return spectra;
}

// Triangular mel filters on the FFT bin frequencies, [n_mels][n_fft / 2 + 1].
FrameMatrix mel_filterbank(int sampling_rate, int n_fft, const AudioFeatureOptions& o) {
  const double nyquist = sampling_rate / 2.0;
  const double fmax = o.fmax_hz > 0 ? o.fmax_hz : nyquist;
  if (fmax > nyquist + 1e-9 || o.fmin_hz >= fmax) {
    throw OptionError("fmax_hz", "mel range [" + std::to_string(o.fmin_hz) + ", " + std::to_string(fmax) +
                                     "] Hz must lie within [0, " + std::to_string(nyquist) + "] (Nyquist)");
  }
  const double mel_lo = hz_to_mel(o.fmin_hz), mel_hi = hz_to_mel(fmax);
  std::vector<double> edges(o.n_mels + 2);
  for (int m = 0; m < o.n_mels + 2; ++m) {
    edges[m] = mel_to_hz(mel_lo + (mel_hi - mel_lo) * m / (o.n_mels + 1));
  }
  const int bins = n_fft / 2 + 1;
  FrameMatrix fb(o.n_mels, std::vector<double>(bins, 0.0));
  for (int m = 0; m < o.n_mels; ++m) {
    const double lo = edges[m], mid = edges[m + 1], hi = edges[m + 2];
    for (int k = 0; k < bins; ++k) {
      const double f = static_cast<double>(k) * sampling_rate / n_fft;
      if (f > lo && f < mid) {
        fb[m][k] = (f - lo) / (mid - lo);  // rising edge
      } else if (f >= mid && f < hi) {
        fb[m][k] = (hi - f) / (hi - mid);  // falling edge
      }
    }
  }
  return fb;
}

void mean_std(const std::vector<double>& v, double& mean, double& std_dev) {
  mean = 0.0;
  std_dev = 0.0;
  if (v.empty()) return;
  for (double x : v) mean += x;
  mean /= static_cast<double>(v.size());
  double var = 0.0;
  for (double x : v) var += (x - mean) * (x - mean);
  std_dev = std::sqrt(var / static_cast<double>(v.size()));
}

}  // namespace

void AudioFeatureOptions::validate(const std::string& prefix) const {
  require_option(frame_ms > 0, prefix + "frame_ms", "must be > 0");
  require_option(hop_ms > 0, prefix + "hop_ms", "must be > 0");
  require_option(n_mels >= 1, prefix + "n_mels", "must be >= 1");
  require_option(n_mfcc >= 1 && n_mfcc <= n_mels, prefix + "n_mfcc", "must be in [1, n_mels]");
  require_option(fmin_hz >= 0, prefix + "fmin_hz", "must be >= 0");
  require_option(fmax_hz >= 0 && (fmax_hz == 0 || fmax_hz > fmin_hz), prefix + "fmax_hz",
                 "must be 0 (Nyquist) or > fmin_hz");
  require_option(pitch_fmin_hz > 0 && pitch_fmax_hz > pitch_fmin_hz, prefix + "pitch_fmin_hz",
                 "need 0 < pitch_fmin_hz < pitch_fmax_hz");
  require_option(pitch_window_ms > 0, prefix + "pitch_window_ms", "must be > 0");
  require_option(yin_threshold > 0 && yin_threshold < 1, prefix + "yin_threshold", "must be in (0, 1)");
}

namespace {

// libsndfile reads a WAV file whose 'data' chunk is cut short without complaint: it shrinks the
// frame count to what the file holds, so a truncated recording would give features of part of
// the audio. Walk the RIFF chunks (id, 32-bit little-endian size, payload padded to even length)
// and reject a 'data' chunk that declares more bytes than the file holds. A size of 0 or
// 0xFFFFFFFF is how streaming writers mark "length unknown" and is left to libsndfile.
void reject_truncated_wav(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return;  // sf_open reports it
  const uint64_t file_size = static_cast<uint64_t>(in.tellg());
  auto read_at = [&](uint64_t offset, char* out, std::size_t n) {
    in.seekg(static_cast<std::streamoff>(offset));
    return static_cast<bool>(in.read(out, static_cast<std::streamsize>(n)));
  };
  char riff[12];
  if (!read_at(0, riff, 12) || std::string(riff, 4) != "RIFF" || std::string(riff + 8, 4) != "WAVE") return;
  for (uint64_t offset = 12; offset + 8 <= file_size;) {
    unsigned char chunk[8];
    if (!read_at(offset, reinterpret_cast<char*>(chunk), 8)) return;
    const uint64_t size =
        uint64_t{chunk[4]} | uint64_t{chunk[5]} << 8 | uint64_t{chunk[6]} << 16 | uint64_t{chunk[7]} << 24;
    if (std::string(reinterpret_cast<char*>(chunk), 4) == "data") {
      const uint64_t held = file_size - offset - 8;
      if (size != 0 && size != 0xFFFFFFFFu && size > held) {
        throw DataError(path, "chunk 'data'",
                        "declares " + std::to_string(size) + " bytes of audio, the file holds " + std::to_string(held) +
                            " (truncated file)");
      }
      return;
    }
    offset += 8 + size + (size & 1);
  }
}

}  // namespace

AudioSignal audio_read(const std::string& path) {
  reject_truncated_wav(path);
  SF_INFO info{};
  // Closed on every path, exceptions included.
  const std::unique_ptr<SNDFILE, int (*)(SNDFILE*)> file(sf_open(path.c_str(), SFM_READ, &info), &sf_close);
  if (!file) throw DataError(path, "", std::string("cannot read audio: ") + sf_strerror(nullptr));
  // A corrupt header can claim any rate; the frame, window and pitch-lag sizes grow with it (YIN's
  // cost with its square), so an absurd rate would make feature extraction run for hours.
  // 384 kHz is the highest rate of common recording formats.
  constexpr int kMaxSamplingRate = 384000;
  if (info.samplerate <= 0 || info.samplerate > kMaxSamplingRate) {
    throw DataError(path, "field 'samplerate'",
                    "sampling rate " + std::to_string(info.samplerate) + " Hz outside 1.." +
                        std::to_string(kMaxSamplingRate) + " Hz (corrupt header?)");
  }
  // Read in blocks rather than allocating info.frames up front: a FLAC stream that does not state
  // its length (or a corrupt header) announces up to SF_COUNT_MAX frames.
  constexpr sf_count_t kBlockFrames = 4096;
  std::vector<float> block(static_cast<size_t>(kBlockFrames) * info.channels);
  AudioSignal signal;
  signal.sampling_rate = info.samplerate;
  sf_count_t read = 0;
  while ((read = sf_readf_float(file.get(), block.data(), kBlockFrames)) > 0) {
    for (sf_count_t i = 0; i < read; ++i) {
      double sum = 0.0;
      for (int c = 0; c < info.channels; ++c) sum += block[i * info.channels + c];
      signal.samples.push_back(static_cast<float>(sum / info.channels));
    }
  }
  if (signal.samples.empty()) throw DataError(path, "", "no audio frames");
  return signal;
}

void audio_write(const std::string& path, const AudioSignal& signal) {
  check_signal(signal, "audio_write");
  SF_INFO info{};
  info.samplerate = signal.sampling_rate;
  info.channels = 1;
  const bool flac = path.size() >= 5 && path.compare(path.size() - 5, 5, ".flac") == 0;
  info.format = (flac ? SF_FORMAT_FLAC : SF_FORMAT_WAV) | SF_FORMAT_PCM_16;
  SNDFILE* file = sf_open(path.c_str(), SFM_WRITE, &info);
  if (!file) throw Error(path + ": cannot write audio: " + sf_strerror(nullptr));
  const auto written = sf_writef_float(file, signal.samples.data(), static_cast<sf_count_t>(signal.samples.size()));
  sf_close(file);
  if (written != static_cast<sf_count_t>(signal.samples.size())) {
    throw Error(path + ": short write");
  }
}

int64_t audio_frame_count(const AudioSignal& signal, const AudioFeatureOptions& options) {
  check_signal(signal, "audio_frame_count");
  const int64_t frame = samples_of_ms(options.frame_ms, signal.sampling_rate);
  const int64_t hop = samples_of_ms(options.hop_ms, signal.sampling_rate);
  const int64_t n = static_cast<int64_t>(signal.samples.size());
  return n <= frame ? 1 : 1 + (n - frame + hop - 1) / hop;
}

FrameMatrix audio_logmel(const AudioSignal& signal, const AudioFeatureOptions& options) {
  options.validate();
  check_signal(signal, "audio_logmel");
  int n_fft = 0;
  const auto spectra = power_spectra(signal, options, n_fft);
  const auto fb = mel_filterbank(signal.sampling_rate, n_fft, options);
  FrameMatrix out(spectra.size(), std::vector<double>(options.n_mels));
  for (size_t t = 0; t < spectra.size(); ++t) {
    for (int m = 0; m < options.n_mels; ++m) {
      double e = 0.0;
      for (size_t k = 0; k < spectra[t].size(); ++k) e += fb[m][k] * spectra[t][k];
      out[t][m] = std::log(std::max(e, 1e-10));
    }
  }
  return out;
}

namespace {

FrameMatrix mfcc_from_logmel(const FrameMatrix& logmel, const AudioFeatureOptions& options) {
  const int m_count = options.n_mels;
  // Orthonormal DCT-II: c_k = s_k sum_m x_m cos(pi k (m + 1/2) / M), s_0 = sqrt(1/M), else
  // sqrt(2/M).
  FrameMatrix out(logmel.size(), std::vector<double>(options.n_mfcc));
  for (size_t t = 0; t < logmel.size(); ++t) {
    for (int k = 0; k < options.n_mfcc; ++k) {
      double c = 0.0;
      for (int m = 0; m < m_count; ++m) c += logmel[t][m] * std::cos(kPi * k * (m + 0.5) / m_count);
      out[t][k] = c * std::sqrt((k == 0 ? 1.0 : 2.0) / m_count);
    }
  }
  return out;
}

}  // namespace

FrameMatrix audio_mfcc(const AudioSignal& signal, const AudioFeatureOptions& options) {
  return mfcc_from_logmel(audio_logmel(signal, options), options);
}

std::vector<double> audio_energy_db(const AudioSignal& signal, const AudioFeatureOptions& options) {
  options.validate();
  check_signal(signal, "audio_energy_db");
  const int64_t frame = samples_of_ms(options.frame_ms, signal.sampling_rate);
  const int64_t hop = samples_of_ms(options.hop_ms, signal.sampling_rate);
  const int64_t frames = audio_frame_count(signal, options);
  std::vector<double> out(frames);
  for (int64_t t = 0; t < frames; ++t) {
    double sum = 0.0;
    for (int64_t j = 0; j < frame; ++j) {
      const double x = sample_at(signal, t * hop + j);
      sum += x * x;
    }
    out[t] = 10.0 * std::log10(sum / frame + 1e-12);
  }
  return out;
}

std::vector<double> audio_pitch_yin(const AudioSignal& signal, const AudioFeatureOptions& options) {
  options.validate();
  check_signal(signal, "audio_pitch_yin");
  const int sr = signal.sampling_rate;
  if (options.pitch_fmax_hz >= sr / 2.0) {
    throw OptionError("pitch_fmax_hz", "must be below Nyquist (" + std::to_string(sr / 2.0) + " Hz)");
  }
  const int64_t hop = samples_of_ms(options.hop_ms, sr);
  const int64_t window = samples_of_ms(options.pitch_window_ms, sr);  // W
  const int64_t tau_min = std::max<int64_t>(2, static_cast<int64_t>(std::floor(sr / options.pitch_fmax_hz)));
  const int64_t tau_max = static_cast<int64_t>(std::ceil(sr / options.pitch_fmin_hz));
  const auto energy = audio_energy_db(signal, options);
  const int64_t frames = static_cast<int64_t>(energy.size());
  std::vector<double> pitch(frames, 0.0);
  std::vector<double> diff(tau_max + 2), cmnd(tau_max + 2);
  std::vector<double> x(window + tau_max + 2);
  for (int64_t t = 0; t < frames; ++t) {
    if (energy[t] < options.silence_db) continue;  // silent frame: unvoiced
    for (size_t j = 0; j < x.size(); ++j) x[j] = sample_at(signal, t * hop + static_cast<int64_t>(j));
    // Step 2, difference function d(tau) = sum_{j < W} (x_j - x_{j+tau})^2.
    for (int64_t tau = 1; tau <= tau_max + 1; ++tau) {
      double d = 0.0;
      for (int64_t j = 0; j < window; ++j) {
        const double v = x[j] - x[j + tau];
        d += v * v;
      }
      diff[tau] = d;
    }
    // Step 3, cumulative mean normalised difference d'(tau) = d(tau) tau / sum_{k<=tau} d(k).
    double running = 0.0;
    cmnd[0] = 1.0;
    for (int64_t tau = 1; tau <= tau_max + 1; ++tau) {
      running += diff[tau];
      cmnd[tau] = running > 0 ? diff[tau] * tau / running : 1.0;
    }
    // Step 4, absolute threshold: first tau in range below the threshold, then its local minimum.
    int64_t best = -1;
    for (int64_t tau = tau_min; tau <= tau_max; ++tau) {
      if (cmnd[tau] < options.yin_threshold) {
        while (tau + 1 <= tau_max && cmnd[tau + 1] < cmnd[tau]) ++tau;
        best = tau;
        break;
      }
    }
    if (best < 0) continue;  // no dip below the threshold: unvoiced
    // Step 5, parabolic interpolation of d' around the minimum.
    double refined = static_cast<double>(best);
    const double a = cmnd[best - 1], b = cmnd[best], c = cmnd[best + 1];
    const double denom = a - 2.0 * b + c;
    if (std::abs(denom) > 1e-12) refined += 0.5 * (a - c) / denom;
    pitch[t] = sr / refined;
  }
  return pitch;
}

std::vector<std::string> audio_feature_names(const AudioFeatureOptions& options) {
  std::vector<std::string> names;
  char buf[32];
  for (int m = 0; m < options.n_mels; ++m) {
    std::snprintf(buf, sizeof(buf), "logmel_%02d", m);
    names.push_back(std::string(buf) + "_mean");
    names.push_back(std::string(buf) + "_std");
  }
  for (int k = 0; k < options.n_mfcc; ++k) {
    std::snprintf(buf, sizeof(buf), "mfcc_%02d", k);
    names.push_back(std::string(buf) + "_mean");
    names.push_back(std::string(buf) + "_std");
  }
  for (const char* n : {"pitch_mean_hz", "pitch_std_hz", "voiced_fraction", "energy_db_mean", "energy_db_std"}) {
    names.push_back(n);
  }
  return names;
}

std::vector<double> audio_utterance_features(const AudioSignal& signal, const AudioFeatureOptions& options) {
  const auto logmel = audio_logmel(signal, options);
  const auto mfcc = mfcc_from_logmel(logmel, options);
  const auto pitch = audio_pitch_yin(signal, options);
  const auto energy = audio_energy_db(signal, options);
  std::vector<double> out;
  out.reserve(2 * options.n_mels + 2 * options.n_mfcc + 5);
  auto add_columns = [&](const FrameMatrix& frames, int dim) {
    std::vector<double> column(frames.size());
    for (int k = 0; k < dim; ++k) {
      for (size_t t = 0; t < frames.size(); ++t) column[t] = frames[t][k];
      double mean, std_dev;
      mean_std(column, mean, std_dev);
      out.push_back(mean);
      out.push_back(std_dev);
    }
  };
  add_columns(logmel, options.n_mels);
  add_columns(mfcc, options.n_mfcc);
  std::vector<double> voiced;
  for (double f0 : pitch) {
    if (f0 > 0) voiced.push_back(f0);
  }
  double mean, std_dev;
  mean_std(voiced, mean, std_dev);
  out.push_back(mean);
  out.push_back(std_dev);
  out.push_back(pitch.empty() ? 0.0 : static_cast<double>(voiced.size()) / pitch.size());
  mean_std(energy, mean, std_dev);
  out.push_back(mean);
  out.push_back(std_dev);
  return out;
}

}  // namespace emofuse::audio
