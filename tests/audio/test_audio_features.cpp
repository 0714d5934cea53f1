#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

#include "audio/audio_features.h"
#include "core/error.h"
#include "test_util.h"

namespace fs = std::filesystem;
using namespace emofuse::audio;

namespace {

constexpr double kPi = 3.14159265358979323846;

AudioSignal tone(double hz, double seconds, int sampling_rate, double amplitude = 0.5) {
  AudioSignal s;
  s.sampling_rate = sampling_rate;
  const auto n = static_cast<size_t>(seconds * sampling_rate);
  s.samples.resize(n);
  for (size_t i = 0; i < n; ++i) {
    s.samples[i] = static_cast<float>(amplitude * std::sin(2 * kPi * hz * i / sampling_rate));
  }
  return s;
}

AudioSignal white_noise(double seconds, int sampling_rate, double std_dev, unsigned seed) {
  AudioSignal s;
  s.sampling_rate = sampling_rate;
  std::mt19937 rng(seed);
  std::normal_distribution<double> normal(0.0, std_dev);
  s.samples.resize(static_cast<size_t>(seconds * sampling_rate));
  for (auto& x : s.samples) x = static_cast<float>(normal(rng));
  return s;
}

double median_voiced(const std::vector<double>& pitch) {
  std::vector<double> v;
  for (double f : pitch) {
    if (f > 0) v.push_back(f);
  }
  if (v.empty()) return 0.0;
  std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
  return v[v.size() / 2];
}

}  // namespace

TEST(AudioPitchYin, Tone220HzWithin2Hz) {
  AudioFeatureOptions options;
  for (int sr : {16000, 22050}) {
    const auto pitch = audio_pitch_yin(tone(220.0, 1.0, sr), options);
    ASSERT_EQ(static_cast<int64_t>(pitch.size()), audio_frame_count(tone(220.0, 1.0, sr), options));
    size_t voiced = 0, within = 0;
    for (double f : pitch) {
      voiced += f > 0;
      within += std::abs(f - 220.0) < 2.0;
    }
    EXPECT_NEAR(median_voiced(pitch), 220.0, 2.0) << "sampling rate " << sr;
    // Every frame that lies inside the signal is voiced; frames padded past the end may not be.
    EXPECT_GT(static_cast<double>(within) / pitch.size(), 0.9) << "sampling rate " << sr;
    EXPECT_EQ(within, voiced) << "every voiced frame within 2 Hz";
  }
  // A second pitch inside the search range.
  EXPECT_NEAR(median_voiced(audio_pitch_yin(tone(130.0, 0.5, 16000), options)), 130.0, 2.0);
}

TEST(AudioPitchYin, SilenceHasNoPitchAndLowEnergy) {
  AudioSignal silence;
  silence.sampling_rate = 16000;
  silence.samples.assign(8000, 0.0f);
  AudioFeatureOptions options;
  for (double f : audio_pitch_yin(silence, options)) EXPECT_EQ(f, 0.0);
  for (double e : audio_energy_db(silence, options)) EXPECT_LT(e, -100.0);  // -120 dB floor
  const auto features = audio_utterance_features(silence, options);
  const auto names = audio_feature_names(options);
  const auto at = [&](const std::string& name) {
    return features[std::find(names.begin(), names.end(), name) - names.begin()];
  };
  EXPECT_EQ(at("voiced_fraction"), 0.0);
  EXPECT_EQ(at("pitch_mean_hz"), 0.0);
  EXPECT_NEAR(at("energy_db_mean"), -120.0, 1e-6);
}

TEST(AudioPitchYin, WhiteNoiseIsMostlyUnvoiced) {
  AudioFeatureOptions options;
  const auto noise = white_noise(1.0, 16000, 0.1, 7);
  const auto pitch = audio_pitch_yin(noise, options);
  const double voiced = std::count_if(pitch.begin(), pitch.end(), [](double f) { return f > 0; });
  EXPECT_LT(voiced / pitch.size(), 0.1);
  // Energy: mean square 0.01 -> 10 log10(0.01) = -20 dBFS.
  const auto energy = audio_energy_db(noise, options);
  EXPECT_NEAR(energy[10], -20.0, 1.0);
}

TEST(AudioEnergy, SineLevelComputedByHand) {
  // RMS of a sine of amplitude 0.5 is 0.5 / sqrt(2): 10 log10(0.125) = -9.03 dBFS.
  const auto energy = audio_energy_db(tone(220.0, 0.5, 16000), AudioFeatureOptions{});
  EXPECT_NEAR(energy[5], 10.0 * std::log10(0.125), 0.1);
}

TEST(AudioLogmel, ToneEnergyLandsInTheBandAround220Hz) {
  AudioFeatureOptions options;
  const int sr = 16000;
  const auto logmel = audio_logmel(tone(220.0, 0.5, sr), options);
  ASSERT_EQ(logmel[0].size(), static_cast<size_t>(options.n_mels));
  const auto& frame = logmel[10];
  const int peak = static_cast<int>(std::max_element(frame.begin(), frame.end()) - frame.begin());
  // HTK mel edges of filter `peak`: its passband must contain 220 Hz.
  const auto mel = [](double hz) { return 2595.0 * std::log10(1.0 + hz / 700.0); };
  const auto hz = [](double m) { return 700.0 * (std::pow(10.0, m / 2595.0) - 1.0); };
  const double step = mel(sr / 2.0) / (options.n_mels + 1);
  EXPECT_LT(hz(step * peak), 220.0);
  EXPECT_GT(hz(step * (peak + 2)), 220.0);
}

TEST(AudioMfcc, FirstCoefficientIsScaledSumOfLogmel) {
  AudioFeatureOptions options;
  const auto noise = white_noise(0.3, 16000, 0.1, 3);
  const auto logmel = audio_logmel(noise, options);
  const auto mfcc = audio_mfcc(noise, options);
  ASSERT_EQ(mfcc.size(), logmel.size());
  ASSERT_EQ(mfcc[0].size(), static_cast<size_t>(options.n_mfcc));
  double sum = 0.0;
  for (double v : logmel[3]) sum += v;
  // Orthonormal DCT-II: c0 = sqrt(1 / M) * sum_m logmel_m.
  EXPECT_NEAR(mfcc[3][0], sum / std::sqrt(options.n_mels), 1e-9);
}

TEST(AudioUtteranceFeatures, NamesMatchValues) {
  AudioFeatureOptions options;
  options.n_mels = 20;
  options.n_mfcc = 8;
  const auto names = audio_feature_names(options);
  const auto values = audio_utterance_features(tone(220.0, 0.5, 16000), options);
  ASSERT_EQ(names.size(), values.size());
  EXPECT_EQ(names.size(), static_cast<size_t>(2 * 20 + 2 * 8 + 5));
  EXPECT_EQ(names.front(), "logmel_00_mean");
  EXPECT_EQ(names[2 * 20], "mfcc_00_mean");
  EXPECT_EQ(names.back(), "energy_db_std");
  const auto pitch_mean = values[std::find(names.begin(), names.end(), "pitch_mean_hz") - names.begin()];
  EXPECT_NEAR(pitch_mean, 220.0, 2.0);
  for (double v : values) EXPECT_TRUE(std::isfinite(v));
}

TEST(AudioRead, WavAndFlacRoundTripAndErrors) {
  const auto dir = fs::temp_directory_path() / ("emofuse_audio_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const auto signal = tone(440.0, 0.25, 16000, 0.3);
  for (const char* name : {"tone.wav", "tone.flac"}) {
    const auto path = (dir / name).string();
    audio_write(path, signal);
    const auto back = audio_read(path);
    EXPECT_EQ(back.sampling_rate, 16000);
    ASSERT_EQ(back.samples.size(), signal.samples.size());
    for (size_t i = 0; i < signal.samples.size(); i += 97) {
      EXPECT_NEAR(back.samples[i], signal.samples[i], 1.0 / 32768 + 1e-6);  // 16-bit quantisation
    }
  }
  EXPECT_THROW(audio_read((dir / "missing.wav").string()), emofuse::DataError);
  AudioFeatureOptions bad;
  bad.n_mfcc = 99;
  EXPECT_THROW(audio_mfcc(signal, bad), emofuse::OptionError);
  AudioSignal empty;
  empty.sampling_rate = 16000;
  EXPECT_THROW(audio_energy_db(empty, AudioFeatureOptions{}), emofuse::Error);
  fs::remove_all(dir);
}

// A WAV header is trusted by libsndfile for its sampling rate; a corrupt one (here 2,113,152 Hz,
// found by fuzz_wav) made audio_utterance_features spend minutes in YIN's O(rate^2) lag search
// on 1600 samples. audio_read rejects rates above 384 kHz, naming the file and the field.
TEST(AudioRead, RejectsAbsurdSamplingRate) {
  const auto path = fs::temp_directory_path() / ("emofuse_audio_rate_" + std::to_string(::getpid()) + ".wav");
  auto u32 = [](uint32_t v) {
    return std::string{static_cast<char>(v & 0xff), static_cast<char>((v >> 8) & 0xff),
                       static_cast<char>((v >> 16) & 0xff), static_cast<char>((v >> 24) & 0xff)};
  };
  auto u16 = [](uint16_t v) { return std::string{static_cast<char>(v & 0xff), static_cast<char>((v >> 8) & 0xff)}; };
  const uint32_t rate = 2113152, samples = 1600;
  std::string wav = "RIFF" + u32(36 + 2 * samples) + "WAVE" + "fmt " + u32(16) + u16(1) + u16(1) + u32(rate) +
                    u32(2 * rate) + u16(2) + u16(16) + "data" + u32(2 * samples) + std::string(2 * samples, '\0');
  {
    std::ofstream out(path, std::ios::binary);
    out.write(wav.data(), static_cast<std::streamsize>(wav.size()));
  }
  const std::string message = emofuse::testutil::error_message<emofuse::DataError>([&] { audio_read(path.string()); });
  fs::remove(path);
  EXPECT_NE(message.find(path.string()), std::string::npos) << message;
  EXPECT_NE(message.find("field 'samplerate'"), std::string::npos) << message;
  EXPECT_NE(message.find("2113152"), std::string::npos) << message;
}

// libsndfile shrinks the frame count of a WAV file cut short to what the file holds, so a
// truncated recording read as a shorter one. audio_read compares the 'data' chunk's declared
// size with the bytes present and rejects the file, naming it and the chunk.
TEST(AudioRead, RejectsTruncatedWav) {
  const auto path = fs::temp_directory_path() / ("emofuse_audio_cut_" + std::to_string(::getpid()) + ".wav");
  audio_write(path.string(), tone(440.0, 0.25, 16000, 0.3));
  EXPECT_EQ(audio_read(path.string()).samples.size(), 4000u);  // whole file: accepted
  fs::resize_file(path, fs::file_size(path) - 100);
  const std::string message = emofuse::testutil::error_message<emofuse::DataError>([&] { audio_read(path.string()); });
  EXPECT_NE(message.find(path.string()), std::string::npos) << message;
  EXPECT_NE(message.find("chunk 'data'"), std::string::npos) << message;
  EXPECT_NE(message.find("truncated"), std::string::npos) << message;
  fs::remove(path);
}

// A 67-byte FLAC stream that does not state its length (found by fuzz_wav): libsndfile announces
// an unbounded frame count; audio_read used to allocate that up front (std::bad_alloc or
// length_error, and the open file leaked). It now reads in blocks and reports the empty stream.
TEST(AudioRead, FlacWithoutLengthReadInBlocks) {
  const auto path = fs::temp_directory_path() / ("emofuse_audio_flac_" + std::to_string(::getpid()) + ".flac");
  const std::string hex =
      "664c6143000000221000100000059d00059d01f400f000000000000000000000000000000000000000000000ac07"
      "1dd092b80b62af0061c798594d7a909f7200000000";
  std::string bytes;
  for (size_t i = 0; i < hex.size(); i += 2) {
    bytes.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  {
    std::ofstream out(path, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  const std::string message = emofuse::testutil::error_message<emofuse::DataError>([&] { audio_read(path.string()); });
  fs::remove(path);
  EXPECT_NE(message.find(path.string()), std::string::npos) << message;
}
