#include "data/normalize.h"

#include "core/error.h"

namespace emofuse::data {

void Standardizer::fit(const MultimodalDataset& train) {
  means_.clear();
  stds_.clear();
  for (int64_t m = 0; m < train.num_modalities(); ++m) {
    const auto& x = train.features(m);
    if (!x.is_floating_point() || train.size() == 0) {
      means_.emplace_back();
      stds_.emplace_back();
      continue;
    }
    means_.push_back(x.mean(0));
    stds_.push_back(x.std(0, /*unbiased=*/false).clamp_min(1e-6));
  }
}

MultimodalDataset Standardizer::apply(const MultimodalDataset& data) const {
  if (static_cast<int64_t>(means_.size()) != data.num_modalities()) {
    throw Error(data.source() + ": standardizer fitted on " + std::to_string(means_.size()) + " modalities, data has " +
                std::to_string(data.num_modalities()));
  }
  MultimodalDataset out = data;
  for (int64_t m = 0; m < data.num_modalities(); ++m) {
    if (!means_[m].defined()) continue;
    out.replace_features(m, (data.features(m) - means_[m]) / stds_[m]);
  }
  return out;
}

void Standardizer::save(torch::serialize::OutputArchive& archive) const {
  archive.write("count", c10::IValue(static_cast<int64_t>(means_.size())));
  for (size_t m = 0; m < means_.size(); ++m) {
    if (!means_[m].defined()) continue;
    archive.write("mean_" + std::to_string(m), means_[m]);
    archive.write("std_" + std::to_string(m), stds_[m]);
  }
}

void Standardizer::load(torch::serialize::InputArchive& archive) {
  c10::IValue count;
  archive.read("count", count);
  means_.assign(count.toInt(), torch::Tensor());
  stds_.assign(count.toInt(), torch::Tensor());
  for (int64_t m = 0; m < count.toInt(); ++m) {
    torch::Tensor mean, std;
    if (archive.try_read("mean_" + std::to_string(m), mean)) {
      archive.read("std_" + std::to_string(m), std);
      means_[m] = mean;
      stds_[m] = std;
    }
  }
}

MultimodalDataset normalize_per_subject(const MultimodalDataset& data) {
  MultimodalDataset out = data;
  const auto subjects = data.subjects();
  for (int64_t m = 0; m < data.num_modalities(); ++m) {
    const auto& x = data.features(m);
    if (!x.is_floating_point()) continue;                                // token ids
    auto flat = x.reshape({x.size(0), -1}).to(torch::kFloat64).clone();  // [N, F]
    for (auto s : data.unique_subjects()) {
      auto rows = (subjects == s).nonzero().reshape(-1);
      auto block = flat.index_select(0, rows);  // [n_s, F]
      auto mean = block.mean(0, /*keepdim=*/true);
      auto std = block.std(0, /*unbiased=*/false, /*keepdim=*/true).clamp_min(1e-6);
      flat.index_copy_(0, rows, (block - mean) / std);
    }
    out.replace_features(m, flat.to(x.scalar_type()).reshape(x.sizes()));
  }
  return out;
}

}  // namespace emofuse::data
