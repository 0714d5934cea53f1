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

}  // namespace emofuse::data
