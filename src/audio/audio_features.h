// Utterance-level acoustic features for speech emotion recognition, computed in C++ from WAV/FLAC.
//
// One verb per feature family, NeuroKit2-style: audio_read, audio_logmel, audio_mfcc,
// audio_pitch_yin, audio_energy_db, and audio_utterance_features (mean/std statistics with stable
// names from audio_feature_names). The sampling rate travels with the signal and is never assumed.
//
// Frames start every `hop_ms`; frame t covers samples [t * hop, t * hop + frame) and is
// zero-padded past the end of the signal; a signal shorter than one frame gives one frame.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace emofuse::audio {

/// A mono signal in [-1, 1] with its sampling rate.
struct AudioSignal {
  std::vector<float> samples;
  int sampling_rate = 0;  ///< Hz
  double duration_s() const { return sampling_rate > 0 ? static_cast<double>(samples.size()) / sampling_rate : 0.0; }
};

/// Frame-wise features: values[t][k].
using FrameMatrix = std::vector<std::vector<double>>;

struct AudioFeatureOptions {
  double frame_ms = 25.0;         ///< spectral analysis window (Hann)
  double hop_ms = 10.0;           ///< frame step for every frame-wise feature
  int n_mels = 40;                ///< triangular mel filters (HTK mel scale)
  int n_mfcc = 13;                ///< cepstral coefficients kept (orthonormal DCT-II of log-mel)
  double fmin_hz = 0.0;           ///< lowest mel filter edge
  double fmax_hz = 0.0;           ///< highest mel filter edge; 0 = Nyquist
  double pitch_fmin_hz = 60.0;    ///< YIN search range (lowest pitch)
  double pitch_fmax_hz = 500.0;   ///< YIN search range (highest pitch)
  double pitch_window_ms = 30.0;  ///< YIN integration window W
  double yin_threshold = 0.1;     ///< YIN absolute threshold on the normalised difference
  double silence_db = -50.0;      ///< frames below this RMS level (dBFS) are unvoiced
  /// Throws emofuse::OptionError for an out-of-range value; names carry `prefix` ("data.audio.").
  /// Checks against the sampling rate happen in the feature functions.
  void validate(const std::string& prefix = "") const;
};

/// Reads a WAV, FLAC or other libsndfile-supported file and averages its channels to mono.
/// Throws emofuse::DataError naming the file on failure or an empty file.
AudioSignal audio_read(const std::string& path);
/// Writes `signal` as 16-bit PCM WAV (".wav") or FLAC (".flac"), chosen by extension.
void audio_write(const std::string& path, const AudioSignal& signal);

/// Number of frames of `signal` under `options`.
int64_t audio_frame_count(const AudioSignal& signal, const AudioFeatureOptions& options);
/// Log mel power spectrum, natural log of max(power, 1e-10): [T][n_mels].
FrameMatrix audio_logmel(const AudioSignal& signal, const AudioFeatureOptions& options);
/// MFCC: orthonormal DCT-II of audio_logmel, first n_mfcc coefficients: [T][n_mfcc].
FrameMatrix audio_mfcc(const AudioSignal& signal, const AudioFeatureOptions& options);
/// Fundamental frequency per frame in Hz, 0 for unvoiced or silent frames: [T].
/// Method "yin2002": de Cheveigné & Kawahara (2002), steps 1-5 (difference function, cumulative
/// mean normalisation, absolute threshold, parabolic interpolation); a frame with no dip below
/// the threshold is unvoiced.
std::vector<double> audio_pitch_yin(const AudioSignal& signal, const AudioFeatureOptions& options);
/// RMS level per frame in dBFS, 10 log10(mean(x^2) + 1e-12) (so digital silence is -120 dB): [T].
std::vector<double> audio_energy_db(const AudioSignal& signal, const AudioFeatureOptions& options);

/// Names of audio_utterance_features, in order: logmel_00_mean, logmel_00_std, ...,
/// mfcc_00_mean, mfcc_00_std, ..., pitch_mean_hz, pitch_std_hz, voiced_fraction,
/// energy_db_mean, energy_db_std.
std::vector<std::string> audio_feature_names(const AudioFeatureOptions& options);
/// Utterance statistics: mean and (population) std over frames of every log-mel and MFCC
/// coefficient, pitch mean/std over voiced frames (0 when none) and the voiced fraction, and
/// energy mean/std. Length 2 n_mels + 2 n_mfcc + 5.
std::vector<double> audio_utterance_features(const AudioSignal& signal, const AudioFeatureOptions& options);

}  // namespace emofuse::audio
