// Fuzz target: the live input of `emofuse stream` without a model: a feature_pipeline.yaml read
// as a bundle's (load_yaml_file -> live_pipeline_from_yaml), then every line of the second part
// parsed as a sample line (parse_live_sample) and pushed into a LiveFeatureExtractor, which
// decides its windows (features of whole contexts included) and finally finish()es.
// Input: feature_pipeline.yaml, part marker, stream lines.
#include "core/options.h"
#include "fuzz_common.h"
#include "signal/live_features.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace fz = emofuse::fuzz;
  namespace es = emofuse::signal;
  return fz::run_reader([&] {
    const auto parts = fz::split_parts(data, size);
    const auto path = fz::scratch_dir() / "feature_pipeline.yaml";
    fz::write_bytes(path, parts.empty() ? std::string_view() : parts[0]);
    es::LivePipeline pipeline = es::live_pipeline_from_yaml(emofuse::load_yaml_file(path.string()), path.string());
    // Keep one input's work bounded: a fuzzed pipeline may ask for long contexts at high rates.
    if (pipeline.context_s * 64 > 4096 || pipeline.hop_s < 0.05) return;
    for (const auto& s : pipeline.streams) {
      if (s.sampling_rate > 256) return;
    }
    es::LiveFeatureExtractor extractor(pipeline);
    std::string_view lines = parts.size() > 1 ? parts[1] : std::string_view();
    while (!lines.empty()) {
      const auto end = lines.find('\n');
      const auto sample = es::parse_live_sample(lines.substr(0, end), pipeline);
      if (sample.error.empty())
        extractor.push(static_cast<std::size_t>(sample.stream), sample.timestamp, sample.values);
      extractor.take_windows();
      if (end == std::string_view::npos) break;
      lines.remove_prefix(end + 1);
    }
    extractor.finish();
    extractor.take_windows();
  });
}
