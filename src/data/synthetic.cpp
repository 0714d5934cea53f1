#include "data/synthetic.h"

#include <ATen/CPUGeneratorImpl.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "data/dmer.h"
#include "metrics/metrics.h"

namespace emofuse::data {
namespace {

constexpr int64_t kClasses = 10;
constexpr int64_t kFactors = 2 + kClasses;  // valence, arousal, u_0..u_9
constexpr int64_t kValence = 0, kArousal = 1;
constexpr int64_t u(int64_t c) {
  return 2 + c;
}

// Group sign g_c and arousal loading h_c of each emotion (see synthetic.h).
const float kGroup[kClasses] = {1, 1, 1, 1, 1, -1, -1, -1, -1, -1};
const float kArousalLoading[kClasses] = {0.8f, 0.6f, -0.5f, 0.2f, -1.0f, 1.0f, 0.1f, 0.8f, -0.8f, 0.9f};

struct View {
  std::string name;
  ModalityRole role;
  std::vector<int64_t> shape;
  std::vector<int64_t> factors;
};

std::vector<View> views() {
  return {{"eeg", ModalityRole::kPhysiological, {18, 5}, {kValence, u(0), u(1), u(2), u(3), u(4)}},
          {"gsr", ModalityRole::kPhysiological, {28}, {kArousal, u(5), u(6), u(7)}},
          {"ppg", ModalityRole::kPhysiological, {27}, {kArousal, u(7), u(8), u(9)}},
          {"video", ModalityRole::kBehavioural, {768}, {kValence, kArousal, u(2), u(5), u(8)}}};
}

}  // namespace

const std::vector<std::string>& synthetic_class_names() {
  static const std::vector<std::string> names{"joy",   "amusement", "tenderness", "inspiration", "calmness",
                                              "anger", "disgust",   "fear",       "sadness",     "tension"};
  return names;
}

void SyntheticOptions::validate() const {
  require_option(subjects >= 1, "synth.subjects", "must be >= 1");
  require_option(clips >= 1, "synth.clips", "must be >= 1");
  require_option(seconds >= 1, "synth.seconds", "must be >= 1");
  for (auto [name, value] : {std::pair{"synth.feature_noise", feature_noise},
                             {"synth.video_noise", video_noise},
                             {"synth.subject_offset", subject_offset},
                             {"synth.subject_gain", subject_gain},
                             {"synth.subject_perception", subject_perception},
                             {"synth.state_jitter", state_jitter},
                             {"synth.rating_noise", rating_noise}}) {
    require_option(value >= 0 && std::isfinite(value), name, "must be finite and >= 0");
  }
  require_option(temporal_correlation >= 0 && temporal_correlation < 1, "synth.temporal_correlation",
                 "must be in [0, 1)");
}

SyntheticCohort make_synthetic_cohort(const SyntheticOptions& o) {
  o.validate();
  auto gen = at::make_generator<at::CPUGeneratorImpl>(o.seed);
  const auto f32 = torch::TensorOptions().dtype(torch::kFloat32);
  auto randn = [&](std::vector<int64_t> shape) { return torch::randn(shape, gen, f32); };
  const int64_t S = o.subjects, K = o.clips, T = o.seconds, N = S * K * T;

  // Clip factors shared by all subjects, plus each subject's perception of them: [S, K, F].
  auto clip_factors = randn({K, kFactors});
  clip_factors.select(1, kValence).mul_(1.2);
  auto perceived = clip_factors.unsqueeze(0) + o.subject_perception * randn({S, K, kFactors});

  // True distributions p = softmax(z) per subject and clip: [S, K, C].
  auto group = torch::from_blob((void*)kGroup, {kClasses}, f32).clone();
  auto arousal_loading = torch::from_blob((void*)kArousalLoading, {kClasses}, f32).clone();
  auto logits = 1.5 * perceived.select(2, kValence).unsqueeze(2) * group +
                perceived.select(2, kArousal).unsqueeze(2) * arousal_loading + 0.8 * perceived.narrow(2, 2, kClasses);
  auto true_clip = torch::softmax(logits, 2);

  // Observed ratings: multiplicative log-normal noise, on a 0-9 rating scale.
  auto ratings = 9.0 * true_clip * torch::exp(o.rating_noise * randn({S, K, kClasses}));
  auto observed_clip = ratings / ratings.sum(2, true);

  // Per-second states: AR(1) drift around the perceived clip factors: [S, K, T, F].
  auto drift = torch::zeros({S, K, T, kFactors}, f32);
  const double rho = o.temporal_correlation, innovation = std::sqrt(1 - rho * rho);
  auto previous = o.state_jitter * randn({S, K, kFactors});
  for (int64_t t = 0; t < T; ++t) {
    if (t > 0) previous = rho * previous + innovation * o.state_jitter * randn({S, K, kFactors});
    drift.select(2, t).copy_(previous);
  }
  auto states = (perceived.unsqueeze(2) + drift).reshape({N, kFactors});

  // Subject id of every row (rows ordered subject, clip, second).
  auto subject_of_row = torch::arange(S, torch::kInt64).repeat_interleave(K * T);
  auto clip_of_row = torch::arange(K, torch::kInt64).repeat_interleave(T).repeat({S});

  std::vector<ModalitySpec> specs;
  std::vector<torch::Tensor> features;
  for (const auto& view : views()) {
    ModalitySpec spec{view.name, view.role, view.shape};
    const int64_t width = spec.numel();
    auto idx = torch::tensor(view.factors, torch::kInt64);
    auto z = states.index_select(1, idx);  // [N, k]
    const int64_t k = idx.numel();
    torch::Tensor clean;
    double noise = o.feature_noise;
    if (spec.has_channels()) {
      // EEG band power follows a source model: a few cortical sources, each with a band-specific
      // response to the factors, reach every channel through a topography (volume conduction):
      //   x[ch, band] = sum_s topo[ch, s] * tanh(z W_s[:, band] + b_s[band])
      // so a band means the same thing on every channel, as in real differential-entropy features.
      const int64_t channels = spec.shape[0], bands = spec.shape[1], sources = 3;
      auto w = randn({sources, k, bands}) * (1.5 / std::sqrt(double(k)));
      auto b = 0.3 * randn({sources, 1, bands});
      auto responses = torch::tanh(torch::matmul(z.unsqueeze(0), w) + b);           // [S, N, bands]
      auto topography = torch::softmax(randn({channels, sources}) * 1.5, 1) * 1.5;  // [ch, S]
      clean = torch::einsum("cs,snb->ncb", {topography, responses}).reshape({N, width});
    } else if (view.role == ModalityRole::kBehavioural) {
      // A 32-unit nonlinear code of the factors, linearly mixed into `width` redundant dims.
      auto w1 = randn({k, 32}) * (2.0 / std::sqrt(double(k)));
      auto w2 = randn({32, width}) / std::sqrt(32.0);
      clean = 2.0 * torch::tanh(z.matmul(w1)).matmul(w2);
      noise = o.video_noise;
    } else {
      auto w = randn({k, width}) * (1.5 / std::sqrt(double(k)));
      auto b = 0.3 * randn({width});
      clean = 1.5 * torch::tanh(z.matmul(w) + b);
    }
    auto offset = (o.subject_offset * randn({S, width})).index_select(0, subject_of_row);
    auto gain = torch::exp(o.subject_gain * randn({S, width})).index_select(0, subject_of_row);
    auto x = gain * clean + offset + noise * randn({N, width});
    specs.push_back(spec);
    features.push_back(x);
  }

  auto row_clip = subject_of_row * K + clip_of_row;
  auto targets = observed_clip.reshape({S * K, kClasses}).index_select(0, row_clip);
  auto truth = true_clip.reshape({S * K, kClasses}).index_select(0, row_clip);

  SyntheticCohort cohort{
      MultimodalDataset(std::move(specs), std::move(features), targets, subject_of_row, clip_of_row,
                        synthetic_class_names(), "synthetic cohort (seed " + std::to_string(o.seed) + ")"),
      truth,
      ratings,
      {},
      o};
  std::vector<std::string> names;
  for (int64_t s = 0; s < S; ++s) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "S%02lld", static_cast<long long>(s + 1));
    names.push_back(buf);
  }
  cohort.dataset.set_subject_names(names);
  cohort.ceiling = metrics::evaluate_predictions(truth, cohort.dataset.targets(), cohort.dataset.hard_labels());
  return cohort;
}

void write_synthetic_dmer(const SyntheticCohort& cohort, const std::string& folder) {
  namespace fs = std::filesystem;
  fs::create_directories(folder);
  const auto& d = cohort.dataset;
  // feas columns follow the DMER layout: eeg (channel-major) | gsr | ppg | video.
  std::vector<torch::Tensor> columns;
  for (int64_t m = 0; m < d.num_modalities(); ++m) columns.push_back(d.features(m).reshape({d.size(), -1}));
  auto feas = torch::cat(columns, 1);
  for (auto s : d.unique_subjects()) {
    auto rows = (d.subjects() == s).nonzero().flatten();
    write_dmer_subject((fs::path(folder) / (d.subject_name(s) + ".mat")).string(), feas.index_select(0, rows),
                       d.trials().index_select(0, rows) + 1, cohort.clip_ratings[s]);
  }
  {
    std::ofstream out(fs::path(folder) / "classes.txt");
    for (const auto& c : d.class_names()) out << c << "\n";
  }
  const auto& o = cohort.options;
  nlohmann::json j;
  j["generator"] = "emofuse synthetic DMER cohort";
  j["options"] = {{"subjects", o.subjects},
                  {"clips", o.clips},
                  {"seconds", o.seconds},
                  {"seed", o.seed},
                  {"feature_noise", o.feature_noise},
                  {"video_noise", o.video_noise},
                  {"subject_offset", o.subject_offset},
                  {"subject_gain", o.subject_gain},
                  {"subject_perception", o.subject_perception},
                  {"state_jitter", o.state_jitter},
                  {"temporal_correlation", o.temporal_correlation},
                  {"rating_noise", o.rating_noise}};
  j["ceiling"] = cohort.ceiling;
  j["ceiling_note"] = "metrics of the noise-free clip distributions against the noisy observed targets";
  std::ofstream(fs::path(folder) / "cohort.json") << j.dump(2) << "\n";
}

}  // namespace emofuse::data
