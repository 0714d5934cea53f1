// Per-feature standardisation fitted on a training set and applied to any split:
// x' = (x - mean) / max(std, 1e-6), per modality and feature. Only floating-point modalities are
// touched (token ids stay as they are).
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

#include "data/dataset.h"

namespace emofuse::data {

class Standardizer {
 public:
  /// Fits mean/std per feature of every floating-point modality of `train`.
  void fit(const MultimodalDataset& train);
  /// Returns a standardised copy of `data` (same modalities as the fitted set).
  MultimodalDataset apply(const MultimodalDataset& data) const;
  bool fitted() const { return !means_.empty(); }
  void save(torch::serialize::OutputArchive& archive) const;
  void load(torch::serialize::InputArchive& archive);

 private:
  std::vector<torch::Tensor> means_, stds_;  // per modality, undefined for non-float modalities
};

/// Per-subject standardisation (`data.normalize_per_subject`): every feature of every
/// floating-point modality is z-scored within each subject, x' = (x - mean_s) / max(std_s, 1e-6),
/// with the mean and (population) standard deviation of that subject's own rows. Physiological
/// signals differ between people by offsets and gains unrelated to the emotion (one person's
/// resting skin conductance is another's stress level); removing each person's own level and
/// scale is the usual remedy in affective computing. It uses no label, but it does use every row
/// of a subject, test rows included: a deployed model needs a calibration recording of the person
/// to compute mean_s and std_s. Subjects with one row get zeros.
MultimodalDataset normalize_per_subject(const MultimodalDataset& data);

}  // namespace emofuse::data
