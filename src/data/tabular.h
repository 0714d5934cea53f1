// Loaders for feature tables: the generic CSV format users bring, the WESAD window features and
// the DEAP EEG features of ../shared/data. Each returns a validated MultimodalDataset.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

#include "data/dataset.h"

namespace emofuse::data {

/// Generic feature CSV described by a small spec (inline under `data:` or in a dataset.yaml):
///   path: features.csv              # relative to `base_dir`
///   subject_column: subject         # required
///   trial_column: trial             # optional; default: every row its own trial
///   label_column: label             # hard labels (class names or 0-based indices) -> one-hot
///   distribution_columns: [p1, p2]  # instead of label_column: target distributions per row
///   classes: [a, b, c]              # class order (default: sorted distinct labels)
///   modalities:                     # each: name, role, and prefix or columns; optional shape
///     - {name: eda, role: physiological, prefix: "EDA_"}
///     - {name: acc, role: behavioural, columns: [acc_x, acc_y], shape: [2]}
///   renormalise: false              # distribution_columns only: divide each row by its sum
/// Subject and trial cells are names or integers ("2" and "2.0" are one id); an empty cell or
/// a fractional number is an error. At least 2 classes are required. `renormalise` = true acts as if the spec said so
/// (the data section's own key, for a spec read from a dataset.yaml).
MultimodalDataset load_feature_csv(const YAML::Node& spec, const std::string& base_dir, const std::string& spec_source,
                                   bool renormalise = false);

/// WESAD window features (may14_feats4.csv): physiological eda, bvp, temp, resp; behavioural acc
/// (ACC_* and net_acc_*); labels 0 amusement, 1 baseline, 2 stress; subject = the `subject`
/// column; trial = the condition block (label) within the subject. `columns` = "informative"
/// keeps only the columns the data README calls informative (the *_std columns, BVP_peak_freq,
/// TEMP_slope); "all" keeps every named signal column. Labels must be exactly 0, 1 or 2 and
/// subjects integers 2..17 (fractions are errors, never rounded).
MultimodalDataset load_wesad_features(const std::string& path, const std::string& columns);

/// DEAP EEG features folder (EEG_feature.txt, subject_video.txt, valence_arousal_label.txt): one
/// modality eeg [32 channels, 5 bands] (the file is band-major; we reorder to channel-major);
/// task "valence" (positive / negative) or "arousal" (high / low); trial = video id. Subject ids
/// must be integers 1..32, video ids 1..40 and labels 1 or 2 (DataError naming file, line, column).
MultimodalDataset load_deap(const std::string& folder, const std::string& task);

}  // namespace emofuse::data
