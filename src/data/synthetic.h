// The built-in synthetic cohort: a DMER-shaped dataset whose ground truth is known.
//
// S subjects watch the same `clips` stimuli for `seconds` one-second samples each. Every clip has
// latent affect factors f = [valence, arousal, u_0 .. u_9] (u_c: emotion-specific factors); the
// subject perceives f_clip + subject deviation. The true emotion distribution of the clip for the
// subject is p = softmax(z), z_c = 1.5 g_c valence + h_c arousal + 0.8 u_c, where g_c = +1 for the
// positive-affect group (joy, amusement, tenderness, inspiration, calmness) and -1 for the
// negative group (anger, disgust, fear, sadness, tension), h_c the emotion's arousal loading —
// so emotions within a group are positively correlated, as PANAS items are.
// Observed ratings (dis_label) are p with multiplicative log-normal rating noise, renormalised.
//
// Each second's state drifts around the clip state (AR(1), temporal autocorrelation), and each
// modality is a noisy nonlinear function of a DIFFERENT subset of the factors, with per-subject
// offsets and gains (EEG: 3 sources with band-specific responses reach the 18 channels through
// topographies, so each channel's 5 band values have the same meaning, as real DE features do):
//   eeg   [18, 5] <- valence, u_0..u_4        gsr [28] <- arousal, u_5..u_7
//   ppg   [27]    <- arousal, u_7..u_9        video [768] <- valence, arousal, u_2, u_5, u_8
// so no single modality determines the distribution and fusion can beat each one.
// The "ceiling" reports the metrics of the true p against the observed (noisy) targets.
#pragma once

#include <map>
#include <string>

#include "data/dataset.h"

namespace emofuse::data {

struct SyntheticOptions {
  int64_t subjects = 12;  ///< S
  int64_t clips = 32;     ///< stimuli per subject (shared by all subjects)
  int64_t seconds = 10;   ///< one-second samples per clip (T)
  uint64_t seed = 0;
  double feature_noise = 0.8;         ///< std of per-sample physiological feature noise
  double video_noise = 2.0;           ///< std of per-sample noise on each of the 768 video dims
  double subject_offset = 0.5;        ///< std of per-subject, per-feature offsets
  double subject_gain = 0.3;          ///< std of log per-subject, per-feature gains
  double subject_perception = 0.5;    ///< std of a subject's deviation from the clip factors
  double state_jitter = 0.4;          ///< std of the within-clip AR(1) drift of the factors
  double temporal_correlation = 0.8;  ///< AR(1) coefficient of that drift (0 <= rho < 1)
  double rating_noise = 0.3;          ///< std of log-normal noise on each rating
  void validate() const;              ///< throws OptionError naming the field
};

struct SyntheticCohort {
  MultimodalDataset dataset;              ///< modalities eeg, gsr, ppg, video; noisy targets
  torch::Tensor true_distributions;       ///< [N, C] the noise-free p of each sample's clip
  torch::Tensor clip_ratings;             ///< [S, clips, C] observed ratings (dis_label)
  std::map<std::string, double> ceiling;  ///< metrics of true_distributions vs the targets
  SyntheticOptions options;
};

/// The ten emotion names of the synthetic cohort, positive group first.
const std::vector<std::string>& synthetic_class_names();

/// Generates the cohort; deterministic for a given SyntheticOptions (seed included).
SyntheticCohort make_synthetic_cohort(const SyntheticOptions& options);

/// Writes the cohort in the DMER layout: `<folder>/S01.mat ...`, `classes.txt`, and
/// `cohort.json` (the options and the ceiling metrics). Creates the folder.
void write_synthetic_dmer(const SyntheticCohort& cohort, const std::string& folder);

}  // namespace emofuse::data
