// Evaluation protocols: how a dataset is cut into folds of train / validation / test indices.
//
// Subject-independent protocols (loso, subject_kfold) keep every subject on one side. The
// subject-dependent protocol keeps every clip (trial) on one side. Validation data for early
// stopping and model selection always comes from the training side only: held-out training
// subjects for subject-independent protocols, held-out training clips for clip-grouped ones.
// `random_leaky` and `per_subject_leaky` reproduce the public HeLo code's random per-sample splits
// of one-second windows (across the cohort, and within each subject as its train.py does);
// windows of one clip land on both sides, so their scores are inflated, and every output that
// uses them is labelled LEAKY.
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

#include "data/dataset.h"

namespace emofuse::protocol {

enum class ProtocolKind {
  kLoso,              ///< leave one subject out (one fold per subject)
  kSubjectKFold,      ///< k folds of whole subjects
  kSubjectDependent,  ///< k folds of whole clips within every subject
  kRandomLeaky,       ///< k folds of random samples (leaky for windowed data)
  kFixed,             ///< the dataset's own train/dev/test partition (MELD)
  kKFold,             ///< k folds of random samples, for independent samples (LDL sets)
  kPerSubjectLeaky,   ///< one fold per subject: random 80 % / 20 % of its windows (leaky)
};

/// per_subject_leaky: share of a subject's windows on the training side, floor(0.8 n), as the
/// public HeLo code's `--train_size 0.8` with `int(train_size * len(dataset))` (params.py, train.py).
constexpr double kPerSubjectTrainFraction = 0.8;

/// "loso", "subject_kfold", "subject_dependent", "random_leaky", "fixed", "kfold",
/// "per_subject_leaky".
std::string protocol_name(ProtocolKind kind);
ProtocolKind protocol_from_name(const std::string& name);  ///< throws OptionError("protocol.name")
/// True for the per-sample splits of windowed data (random_leaky, per_subject_leaky).
bool is_leaky(ProtocolKind kind);

struct ProtocolOptions {
  std::string name = "loso";
  int64_t folds = 5;                 ///< k for the k-fold protocols
  double validation_fraction = 0.2;  ///< share of training subjects/clips/samples held out
  int64_t max_folds = 0;             ///< run only the first max_folds folds (0 = all)
  uint64_t seed = 0;                 ///< shuffles subjects/clips/samples
  void validate() const;             ///< throws OptionError naming the bad field
};

struct Fold {
  std::string name;          ///< e.g. "S07" (loso), "fold 3" (k-fold), "test" (fixed),
                             ///< "LEAKY S07" (per_subject_leaky)
  torch::Tensor train;       ///< [n_train] int64 row indices
  torch::Tensor validation;  ///< [n_val] int64, may be empty
  torch::Tensor test;        ///< [n_test] int64
};

/// Cuts `dataset` into folds. Throws emofuse::Error when the protocol cannot apply (e.g. LOSO
/// with one subject, fixed without partitions, kfold on repeated clips).
std::vector<Fold> make_folds(const data::MultimodalDataset& dataset, const ProtocolOptions& options);

/// Split for a final model fitted on all the data: no test side; validation = held-out subjects
/// (subject-independent protocols), clips (subject_dependent) or samples (the others, including
/// per_subject_leaky: one model over all subjects' windows).
Fold make_final_split(const data::MultimodalDataset& dataset, const ProtocolOptions& options);

/// Throws emofuse::Error when `fold` shares a subject (subject-independent kinds), a clip
/// (subject-dependent) or a sample (all kinds) across train, validation and test.
void check_no_leak(const data::MultimodalDataset& dataset, const Fold& fold, ProtocolKind kind);

}  // namespace emofuse::protocol
