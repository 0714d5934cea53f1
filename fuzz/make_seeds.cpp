// Writes the binary seed inputs of the fuzz targets with emofuse's own writers:
//   emofuse_fuzz_seeds <corpus folder>     (e.g. fuzz/corpus)
// The text seeds (configs, CSVs, dataset.yaml) are plain files kept in the corpus folders; this
// tool only makes the files that need a writer: .mat (DMER, LDL), .npy, .pt, WAV, a model bundle.
// Each target gets a few small valid files and a few malformed ones (cut short, bytes flipped).
// Multi-file inputs are joined with fuzz_common.h's part marker.
#include <cmath>
#include <fstream>
#include <iostream>
#include <iterator>
#include <regex>
#include <sstream>

#include "audio/audio_features.h"
#include "bundle_seed.h"
#include "data/dmer.h"
#include "data/mat_io.h"
#include "fuzz_common.h"
#include "text/npy.h"

namespace fs = std::filesystem;
using emofuse::fuzz::kPartMarker;

namespace {

std::string read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void put(const fs::path& path, const std::string& bytes) {
  fs::create_directories(path.parent_path());
  emofuse::fuzz::write_bytes(path, bytes);
}

/// The valid file plus two malformed variants: cut short by 8 bytes, and one byte flipped in
/// its middle.
void put_with_variants(const fs::path& dir, const std::string& name, const std::string& bytes) {
  put(dir / name, bytes);
  if (bytes.size() > 16) {
    put(dir / ("truncated-" + name), bytes.substr(0, bytes.size() - 8));
    std::string flipped = bytes;
    flipped[flipped.size() / 2] = static_cast<char>(flipped[flipped.size() / 2] ^ 0x5a);
    put(dir / ("flipped-" + name), flipped);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: emofuse_fuzz_seeds <corpus folder>\n";
    return 2;
  }
  const fs::path corpus = argv[1];
  const fs::path tmp = emofuse::fuzz::fresh_dir("seeds");
  torch::manual_seed(0);

  // DMER subject: 3 one-second rows over 2 clips of 10 emotions (feas [3, 913] is ~22 KB).
  {
    const auto path = tmp / "S01.mat";
    auto feas = torch::randn({3, emofuse::data::DmerLayout{}.total()}, torch::kDouble);
    auto vids = torch::tensor({1.0, 1.0, 2.0}, torch::kDouble);
    auto dis = torch::rand({2, 10}, torch::kDouble);
    emofuse::data::write_dmer_subject(path.string(), feas, vids, dis);
    const auto bytes = read_all(path);
    put_with_variants(corpus / "fuzz_dmer_mat", "S01.mat", bytes);
    std::string classes;
    for (int k = 0; k < 10; ++k) classes += "emotion" + std::to_string(k) + "\n";
    put(corpus / "fuzz_dmer_mat" / "S01-with-classes", bytes + std::string(kPartMarker) + classes);
  }

  // LDL .mat: features [6, 4], labels [6, 3] (rows sum to one); one compressed, one without labels.
  {
    const auto features = torch::randn({6, 4}, torch::kDouble);
    const auto labels = torch::softmax(torch::randn({6, 3}, torch::kDouble), 1);
    const auto path = tmp / "ldl.mat";
    emofuse::data::write_mat_matrices(path.string(), {{"features", features}, {"labels", labels}});
    put_with_variants(corpus / "fuzz_ldl_mat", "ldl.mat", read_all(path));
    emofuse::data::write_mat_matrices(path.string(), {{"features", features}, {"labels", labels}}, true);
    put(corpus / "fuzz_ldl_mat" / "compressed.mat", read_all(path));
    emofuse::data::write_mat_matrices(path.string(), {{"features", features}});
    put(corpus / "fuzz_ldl_mat" / "no-labels.mat", read_all(path));
  }

  // .npy: float32 [3, 4] and float64 [2, 2].
  {
    const auto path = (tmp / "a.npy").string();
    emofuse::text::write_npy(path, {3, 4}, std::vector<double>(12, 0.5));
    put_with_variants(corpus / "fuzz_npy", "f4.npy", read_all(path));
    emofuse::text::write_npy(path, {2, 2}, {1.0, 2.0, 3.0, 4.0}, true);
    put(corpus / "fuzz_npy" / "f8.npy", read_all(path));
  }

  // .pt as Python's torch.save writes it (torch::pickle_save): a float matrix, a double matrix,
  // a 1-D tensor (rejected by read_pt_matrix) and a transposed (non-contiguous) view.
  {
    auto save = [&](const std::string& name, const c10::IValue& value, bool variants) {
      const auto bytes = torch::pickle_save(value);
      const std::string s(bytes.begin(), bytes.end());
      if (variants) {
        put_with_variants(corpus / "fuzz_pt", name, s);
      } else {
        put(corpus / "fuzz_pt" / name, s);
      }
    };
    save("f4.pt", torch::arange(6, torch::kFloat32).reshape({2, 3}), true);
    save("f8.pt", torch::arange(4, torch::kDouble).reshape({2, 2}), false);
    save("vector.pt", torch::arange(3, torch::kFloat32), false);
    save("transposed.pt", torch::arange(6, torch::kFloat32).reshape({2, 3}).t(), false);
  }

  // WAV: 0.25 s of a 220 Hz tone at 8 kHz and 0.1 s of silence at 16 kHz (16-bit PCM), a FLAC.
  {
    emofuse::audio::AudioSignal tone;
    tone.sampling_rate = 8000;
    for (int i = 0; i < 2000; ++i) tone.samples.push_back(0.5f * std::sin(2 * M_PI * 220 * i / 8000.0));
    const auto path = (tmp / "tone.wav").string();
    emofuse::audio::audio_write(path, tone);
    put_with_variants(corpus / "fuzz_wav", "tone.wav", read_all(path));
    emofuse::audio::AudioSignal silence;
    silence.sampling_rate = 16000;
    silence.samples.assign(1600, 0.0f);
    emofuse::audio::audio_write(path, silence);
    put(corpus / "fuzz_wav" / "silence.wav", read_all(path));
    const auto flac = (tmp / "tone.flac").string();
    emofuse::audio::audio_write(flac, tone);
    put(corpus / "fuzz_wav" / "tone.flac", read_all(flac));
  }

  // Model bundle (bundle_seed.h): its model.yaml, and variants a fuzzer rarely reaches by itself.
  {
    const auto dir = tmp / "bundle";
    emofuse::fuzz::write_seed_bundle(dir.string());
    const auto yaml = read_all(dir / "model.yaml");
    put(corpus / "fuzz_bundle" / "model.yaml", yaml);
    put(corpus / "fuzz_bundle" / "no-schema.yaml", yaml.substr(0, yaml.find("schema:")));
    put(corpus / "fuzz_bundle" / "other-model.yaml", std::regex_replace(yaml, std::regex("mlp_early"), "late_fusion"));
  }
  std::cout << "seeds written to " << corpus << "\n";
  return 0;
}
