// Fuzz target: an audio file (WAV, or anything libsndfile recognises) read by audio_read, and the
// utterance features computed from its first 512 samples: every input that decodes reaches the
// features, at a bounded cost. On whole signals (up to the 4096 bytes libFuzzer generates) 85 % of
// the time went to the coverage-instrumented comparisons of YIN's lag search, at ~185 executions
// per second.
#include <algorithm>

#include "audio/audio_features.h"
#include "fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace fz = emofuse::fuzz;
  return fz::run_reader([&] {
    const auto path = fz::scratch_dir() / "clip.wav";
    fz::write_bytes(path, std::string_view(reinterpret_cast<const char*>(data), size));
    auto signal = emofuse::audio::audio_read(path.string());
    signal.samples.resize(std::min<size_t>(signal.samples.size(), 512));
    emofuse::audio::audio_utterance_features(signal, emofuse::audio::AudioFeatureOptions{});
  });
}
