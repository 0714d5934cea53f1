// Fuzz target: an audio file (WAV, or anything libsndfile recognises) read by audio_read, and the
// utterance features computed from it when it is short enough to keep the fuzzer fast.
#include "audio/audio_features.h"
#include "fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace fz = emofuse::fuzz;
  return fz::run_reader([&] {
    const auto path = fz::scratch_dir() / "clip.wav";
    fz::write_bytes(path, std::string_view(reinterpret_cast<const char*>(data), size));
    const auto signal = emofuse::audio::audio_read(path.string());
    if (signal.samples.size() <= 48000) {
      emofuse::audio::audio_utterance_features(signal, emofuse::audio::AudioFeatureOptions{});
    }
  });
}
