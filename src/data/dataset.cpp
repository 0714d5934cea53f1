#include "data/dataset.h"

#include <cfloat>
#include <iostream>
#include <numeric>
#include <set>
#include <sstream>

#include "core/error.h"

namespace emofuse::data {

std::string role_name(ModalityRole role) {
  switch (role) {
    case ModalityRole::kPhysiological:
      return "physiological";
    case ModalityRole::kBehavioural:
      return "behavioural";
    case ModalityRole::kText:
      return "text";
    case ModalityRole::kAudio:
      return "audio";
    case ModalityRole::kOther:
      return "other";
  }
  return "other";
}

ModalityRole role_from_name(const std::string& name, const std::string& where) {
  for (auto role : {ModalityRole::kPhysiological, ModalityRole::kBehavioural, ModalityRole::kText, ModalityRole::kAudio,
                    ModalityRole::kOther}) {
    if (role_name(role) == name) return role;
  }
  if (name == "behavioral") return ModalityRole::kBehavioural;
  throw Error(where + ": unknown modality role '" + name +
              "'; expected physiological, behavioural, text, audio or other");
}

int64_t ModalitySpec::numel() const {
  return std::accumulate(shape.begin(), shape.end(), int64_t{1}, std::multiplies<int64_t>());
}

void validate_distributions(const torch::Tensor& targets, const std::string& source, double tolerance) {
  if (!targets.defined() || targets.dim() != 2) {
    throw DataError(source, "targets", "expected a 2-D [N, C] tensor of distributions");
  }
  auto t = targets.to(torch::kDouble);
  auto finite = torch::isfinite(t).all(1);
  if (!finite.all().item<bool>()) {
    auto row = (~finite).nonzero()[0][0].item<int64_t>();
    throw DataError(source, "targets row " + std::to_string(row), "not finite (NaN or Inf)");
  }
  auto negative = (t < 0).any(1);
  if (negative.any().item<bool>()) {
    auto row = negative.nonzero()[0][0].item<int64_t>();
    throw DataError(source, "targets row " + std::to_string(row), "has a negative probability");
  }
  auto sums = t.sum(1);
  auto off = (sums - 1.0).abs() > tolerance;
  if (off.any().item<bool>()) {
    auto row = off.nonzero()[0][0].item<int64_t>();
    std::ostringstream msg;
    msg << "sums to " << sums[row].item<double>() << ", expected 1 (tolerance " << tolerance << ")";
    throw DataError(source, "targets row " + std::to_string(row), msg.str());
  }
}

int64_t renormalise_rows(torch::Tensor& targets, const std::string& source, const std::string& field,
                         double tolerance) {
  auto sums = targets.sum(1, /*keepdim=*/true);
  auto empty = (sums <= 0).flatten();
  if (empty.any().item<bool>()) {
    const int64_t row = empty.nonzero()[0][0].item<int64_t>();
    std::ostringstream msg;
    msg << "sums to " << sums[row][0].item<double>() << "; cannot renormalise to a distribution";
    throw DataError(source, field + " row " + std::to_string(row), msg.str());
  }
  const int64_t changed = ((sums - 1.0).abs() > tolerance).sum().item<int64_t>();
  targets = targets / sums;
  return changed;
}

std::string note_renormalised(const std::string& source, int64_t changed, int64_t rows) {
  std::cerr << "emofuse: note: " << source << ": renormalise: every label row divided by its sum; " << changed << " of "
            << rows << " rows did not sum to 1 (within " << kRowSumTolerance << ")\n";
  return source + " (renormalised: " + std::to_string(changed) + " of " + std::to_string(rows) +
         " label rows did not sum to 1)";
}

void require_float32_range(const torch::Tensor& values, const std::string& source, const std::string& field,
                           int64_t first_index) {
  auto v = values.to(torch::kDouble);
  auto bad = torch::isfinite(v) & (v.abs() > static_cast<double>(FLT_MAX));
  if (!bad.any().item<bool>()) return;
  auto at = bad.reshape({v.size(0), -1}).nonzero()[0];
  std::ostringstream msg;
  msg << "value " << v.reshape({v.size(0), -1})[at[0]][at[1]].item<double>()
      << " does not fit a 32-bit float (|x| <= " << FLT_MAX << ")";
  throw DataError(source,
                  field + " row " + std::to_string(at[0].item<int64_t>() + first_index) + " column " +
                      std::to_string(at[1].item<int64_t>() + first_index),
                  msg.str());
}

MultimodalDataset::MultimodalDataset(std::vector<ModalitySpec> specs, std::vector<torch::Tensor> features,
                                     torch::Tensor targets, torch::Tensor subjects, torch::Tensor trials,
                                     std::vector<std::string> class_names, std::string source)
    : specs_(std::move(specs)),
      features_(std::move(features)),
      class_names_(std::move(class_names)),
      source_(std::move(source)) {
  if (specs_.size() != features_.size()) {
    throw DataError(source_, "modalities",
                    std::to_string(specs_.size()) + " specs but " + std::to_string(features_.size()) + " tensors");
  }
  validate_distributions(targets, source_);
  targets_ = targets.to(torch::kFloat32).contiguous();
  const int64_t n = targets_.size(0);
  if (static_cast<int64_t>(class_names_.size()) != targets_.size(1)) {
    throw DataError(
        source_, "class names",
        std::to_string(class_names_.size()) + " names for " + std::to_string(targets_.size(1)) + " target columns");
  }
  std::set<std::string> names;
  for (size_t m = 0; m < specs_.size(); ++m) {
    auto& spec = specs_[m];
    auto& x = features_[m];
    const std::string field = "modality '" + spec.name + "'";
    if (!names.insert(spec.name).second) throw DataError(source_, field, "duplicate name");
    if (!x.defined() || x.size(0) != n) {
      throw DataError(source_, field,
                      "expected " + std::to_string(n) + " rows, got " +
                          (x.defined() ? std::to_string(x.size(0)) : std::string("none")));
    }
    if (spec.shape.empty()) {  // infer from the tensor
      spec.shape.assign(x.sizes().begin() + 1, x.sizes().end());
    }
    std::vector<int64_t> full{n};
    full.insert(full.end(), spec.shape.begin(), spec.shape.end());
    if (x.numel() != n * spec.numel()) {
      throw DataError(source_, field,
                      "has " + std::to_string(x.numel() / std::max<int64_t>(n, 1)) + " values per sample, expected " +
                          std::to_string(spec.numel()));
    }
    x = x.reshape(full).contiguous();
    if (x.is_floating_point()) {
      x = x.to(torch::kFloat32);
      if (!torch::isfinite(x).all().item<bool>()) {
        auto bad = (~torch::isfinite(x.reshape({n, -1}))).any(1).nonzero()[0][0].item<int64_t>();
        throw DataError(source_, field + " row " + std::to_string(bad), "not finite (NaN or Inf)");
      }
    }
  }
  auto check_ids = [&](torch::Tensor& ids, const char* what) {
    if (!ids.defined() || ids.dim() != 1 || ids.size(0) != n) {
      throw DataError(source_, what, "expected " + std::to_string(n) + " ids");
    }
    ids = ids.to(torch::kInt64).contiguous();
  };
  check_ids(subjects, "subjects");
  check_ids(trials, "trials");
  subjects_ = subjects;
  trials_ = trials;
}

int64_t MultimodalDataset::modality_index(const std::string& name) const {
  std::string known;
  for (size_t m = 0; m < specs_.size(); ++m) {
    if (specs_[m].name == name) return static_cast<int64_t>(m);
    known += (m ? ", " : "") + specs_[m].name;
  }
  throw Error(source_ + ": no modality '" + name + "'; the dataset has: " + known);
}

torch::Tensor MultimodalDataset::hard_labels() const {
  if (labels_.defined()) return labels_;
  return targets_.argmax(1);
}

void MultimodalDataset::set_hard_labels(torch::Tensor labels) {
  labels = labels.to(torch::kInt64).contiguous();
  if (labels.dim() != 1 || labels.size(0) != size()) {
    throw DataError(source_, "labels", "expected " + std::to_string(size()) + " hard labels");
  }
  if (size() > 0 && (labels.min().item<int64_t>() < 0 || labels.max().item<int64_t>() >= num_classes())) {
    throw DataError(source_, "labels", "hard label outside [0, " + std::to_string(num_classes()) + ")");
  }
  labels_ = labels;
}

void MultimodalDataset::set_partitions(torch::Tensor partitions) {
  partitions = partitions.to(torch::kInt64).contiguous();
  if (partitions.dim() != 1 || partitions.size(0) != size() ||
      (size() > 0 && (partitions.min().item<int64_t>() < 0 || partitions.max().item<int64_t>() > 2))) {
    throw DataError(source_, "partitions",
                    "expected " + std::to_string(size()) + " values in {0 train, 1 dev, 2 test}");
  }
  partitions_ = partitions;
}

std::string MultimodalDataset::subject_name(int64_t subject_id) const {
  if (subject_id >= 0 && subject_id < static_cast<int64_t>(subject_names_.size())) {
    return subject_names_[subject_id];
  }
  return "S" + std::to_string(subject_id);
}

std::vector<int64_t> MultimodalDataset::unique_subjects() const {
  if (size() == 0) return {};
  auto u = std::get<0>(torch::_unique(subjects_, /*sorted=*/true));
  return std::vector<int64_t>(u.data_ptr<int64_t>(), u.data_ptr<int64_t>() + u.numel());
}

torch::Tensor MultimodalDataset::clip_keys() const {
  return subjects_ * (int64_t{1} << 32) + trials_;
}

MultimodalDataset MultimodalDataset::subset(const torch::Tensor& indices) const {
  auto idx = indices.to(torch::kInt64);
  MultimodalDataset out = *this;
  for (auto& x : out.features_) x = x.index_select(0, idx);
  out.targets_ = targets_.index_select(0, idx);
  if (labels_.defined()) out.labels_ = labels_.index_select(0, idx);
  if (partitions_.defined()) out.partitions_ = partitions_.index_select(0, idx);
  out.subjects_ = subjects_.index_select(0, idx);
  out.trials_ = trials_.index_select(0, idx);
  return out;
}

Batch MultimodalDataset::batch(const torch::Tensor& indices) const {
  auto idx = indices.to(torch::kInt64);
  Batch b;
  b.inputs.reserve(features_.size());
  for (const auto& x : features_) b.inputs.push_back(x.index_select(0, idx));
  b.targets = targets_.index_select(0, idx);
  b.labels = hard_labels().index_select(0, idx);
  b.indices = idx;
  return b;
}

MultimodalDataset MultimodalDataset::select_modalities(const std::vector<std::string>& names) const {
  MultimodalDataset out = *this;
  out.specs_.clear();
  out.features_.clear();
  for (const auto& name : names) {
    auto m = modality_index(name);
    out.specs_.push_back(specs_[m]);
    out.features_.push_back(features_[m]);
  }
  return out;
}

void MultimodalDataset::replace_features(int64_t index, torch::Tensor features) {
  auto& spec = specs_.at(index);
  if (features.size(0) != size() || features.numel() != size() * spec.numel()) {
    throw Error(source_ + ": replace_features: modality '" + spec.name + "' shape mismatch");
  }
  std::vector<int64_t> full{size()};
  full.insert(full.end(), spec.shape.begin(), spec.shape.end());
  features_[index] = features.reshape(full).contiguous();
}

}  // namespace emofuse::data
