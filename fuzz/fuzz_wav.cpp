// Fuzz target: an audio file (WAV, or anything libsndfile recognises) read by audio_read, and the
// utterance features computed from its first 512 samples when its rate is at most 48 kHz. The
// bounds keep each input's cost small: YIN's lag search costs (window x maximum lag), both
// proportional to the rate, per frame, with at least one frame however short the signal, so a
// header claiming 384 kHz cost ~10^8 coverage-instrumented comparisons (~85 % of the target's
// time, ~90 executions per second).
#include <algorithm>

#include "audio/audio_features.h"
#include "fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace fz = emofuse::fuzz;
  return fz::run_reader([&] {
    const auto path = fz::scratch_dir() / "clip.wav";
    fz::write_bytes(path, std::string_view(reinterpret_cast<const char*>(data), size));
    auto signal = emofuse::audio::audio_read(path.string());
    if (signal.sampling_rate > 48000) return;
    signal.samples.resize(std::min<size_t>(signal.samples.size(), 512));
    emofuse::audio::audio_utterance_features(signal, emofuse::audio::AudioFeatureOptions{});
  });
}
