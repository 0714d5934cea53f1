// The columnar multimodal dataset every loader produces and every model consumes.
//
// Each modality is one float tensor [N, ...] (e.g. EEG [N, 18, 5], GSR [N, 28]) with metadata;
// targets are emotion distributions [N, C] (rows non-negative, summing to one); every sample
// carries a subject id and a trial (clip) id so that protocols can split without leakage.
// Batches and subsets are gathered with index_select, never with per-sample copies.
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

namespace emofuse::data {

/// What a modality measures; models route modalities by role (HeLo fuses physiological
/// modalities by cross-attention and aligns them with the behavioural one by OT).
enum class ModalityRole { kPhysiological, kBehavioural, kText, kAudio, kOther };

/// "physiological", "behavioural", "text", "audio", "other".
std::string role_name(ModalityRole role);
/// Inverse of role_name; throws emofuse::Error naming `where` for an unknown name.
ModalityRole role_from_name(const std::string& name, const std::string& where);

/// Metadata of one modality.
struct ModalitySpec {
  std::string name;  ///< e.g. "eeg", "gsr", "video"
  ModalityRole role = ModalityRole::kOther;
  std::vector<int64_t> shape;  ///< per-sample shape, e.g. {18, 5} (channels x bands) or {28}
  int64_t numel() const;       ///< product of shape
  bool has_channels() const { return shape.size() == 2; }  ///< [channels, features per channel]
};

/// A mini-batch: one tensor per modality in dataset order, [B, shape...] float32.
struct Batch {
  std::vector<torch::Tensor> inputs;
  torch::Tensor targets;  ///< [B, C] distributions
  torch::Tensor labels;   ///< [B] int64 hard labels (argmax of targets unless given)
  torch::Tensor indices;  ///< [B] int64 row indices in the source dataset
};

/// Description of a dataset's inputs and outputs: what a model is built for.
struct DatasetSchema {
  std::vector<ModalitySpec> modalities;
  std::vector<std::string> class_names;
  int64_t num_classes() const { return static_cast<int64_t>(class_names.size()); }
};

/// How far a target row may sum from 1 and still count as a distribution.
inline constexpr double kRowSumTolerance = 1e-3;

/// Checks that `targets` [N, C] holds finite, non-negative rows summing to one (within `tolerance`).
/// Throws DataError naming `source` and the first offending row.
void validate_distributions(const torch::Tensor& targets, const std::string& source,
                            double tolerance = kRowSumTolerance);

/// For the `renormalise` data option: divides every row of `targets` [N, C] (finite,
/// non-negative) by its sum, in place. Throws DataError(source, "<field> row r") for a row summing
/// to zero or less. Returns how many rows summed to something other than 1 within `tolerance`.
int64_t renormalise_rows(torch::Tensor& targets, const std::string& source, const std::string& field,
                         double tolerance = kRowSumTolerance);

/// Reports a renormalisation on stderr ("emofuse: note: <source>: renormalise: ...") and returns
/// `source` with a note that keeps it visible wherever the dataset's source is printed.
std::string note_renormalised(const std::string& source, int64_t changed, int64_t rows);

/// Tensors are float32: throws DataError(source, "<field> row r column c", "... does not fit a
/// 32-bit float") at the first finite value of `values` [N, d] (any float type) whose magnitude
/// exceeds the largest float32, which would otherwise become Inf. Rows and columns are counted
/// from `first_index` (0, or 1 for MATLAB files that number from one).
void require_float32_range(const torch::Tensor& values, const std::string& source, const std::string& field,
                           int64_t first_index = 0);

class MultimodalDataset {
 public:
  MultimodalDataset() = default;

  /// Builds and validates a dataset. `features[m]` is [N, specs[m].shape...] (reshaped from
  /// [N, numel] if given flat); targets [N, C]; subjects and trials [N] int64; `class_names` has
  /// C entries. `source` names where the data came from (a file or folder) for error messages.
  MultimodalDataset(std::vector<ModalitySpec> specs, std::vector<torch::Tensor> features, torch::Tensor targets,
                    torch::Tensor subjects, torch::Tensor trials, std::vector<std::string> class_names,
                    std::string source);

  int64_t size() const { return targets_.defined() ? targets_.size(0) : 0; }
  int64_t num_classes() const { return static_cast<int64_t>(class_names_.size()); }
  int64_t num_modalities() const { return static_cast<int64_t>(specs_.size()); }

  const std::vector<ModalitySpec>& modalities() const { return specs_; }
  const ModalitySpec& modality(int64_t index) const { return specs_.at(index); }
  /// Index of the modality called `name`; throws emofuse::Error listing the known names.
  int64_t modality_index(const std::string& name) const;
  const torch::Tensor& features(int64_t index) const { return features_.at(index); }
  const torch::Tensor& targets() const { return targets_; }
  const torch::Tensor& subjects() const { return subjects_; }
  const torch::Tensor& trials() const { return trials_; }
  /// Hard labels [N]: those given with set_hard_labels, else argmax of the targets.
  torch::Tensor hard_labels() const;
  void set_hard_labels(torch::Tensor labels);  ///< [N] int64 in [0, C)
  const std::vector<std::string>& class_names() const { return class_names_; }
  const std::string& source() const { return source_; }
  void set_source(std::string source) { source_ = std::move(source); }
  DatasetSchema schema() const { return {specs_, class_names_}; }

  /// Display names of subject ids (subject_names()[id]); defaults to "S<id>".
  std::string subject_name(int64_t subject_id) const;
  void set_subject_names(std::vector<std::string> names) { subject_names_ = std::move(names); }

  /// Official partition per sample for fixed-split corpora (MELD): 0 = train, 1 = dev, 2 = test;
  /// undefined when the dataset has none.
  const torch::Tensor& partitions() const { return partitions_; }
  void set_partitions(torch::Tensor partitions);  ///< [N] int64 in {0, 1, 2}
  const std::vector<std::string>& subject_names() const { return subject_names_; }

  /// Sorted distinct subject ids.
  std::vector<int64_t> unique_subjects() const;
  /// Global clip key per sample: subject * 2^32 + trial, unique across subjects.
  torch::Tensor clip_keys() const;

  /// Rows `indices` ([K] int64) as a new dataset (index_select on every column).
  MultimodalDataset subset(const torch::Tensor& indices) const;
  /// Rows `indices` as a batch.
  Batch batch(const torch::Tensor& indices) const;
  /// The same rows with only the named modalities, in the given order.
  MultimodalDataset select_modalities(const std::vector<std::string>& names) const;
  /// Replaces modality `index` (same N); the spec's shape must match the tensor.
  void replace_features(int64_t index, torch::Tensor features);

 private:
  std::vector<ModalitySpec> specs_;
  std::vector<torch::Tensor> features_;
  torch::Tensor targets_;
  torch::Tensor labels_;  // optional explicit hard labels
  torch::Tensor subjects_;
  torch::Tensor trials_;
  std::vector<std::string> class_names_;
  std::vector<std::string> subject_names_;
  torch::Tensor partitions_;  // optional [N] int64
  std::string source_;
};

}  // namespace emofuse::data
