// Label-distribution-learning benchmark files (Geng's LDL sets, e.g. s-JAFFE and s-BU_3DFE as
// distributed with SpriteMisaka/PyLDL): one MATLAB v5 `.mat` file holding
//   features  [N, d]  double, one row per sample (e.g. 243 facial features)
//   labels    [N, C]  double label distributions: rows non-negative, summing to one
// Every sample is independent (one face image), so subject = trial = sample index and the
// protocol to use is `kfold` (10-fold cross-validation in the LDL literature).
//
// Class names. The toolkit's .mat reader handles numeric matrices only and these files carry no
// names, so the names are derived: when C == 6 and the file name contains "JAFFE" or "BU_3DFE"
// (case-insensitive) the standard emotion order of both sets is used,
//   happiness, sadness, surprise, fear, anger, disgust
// (Geng, "Label Distribution Learning", TKDE 2016, Sec. 6.1; shared/data/README.md); otherwise
// label_0 .. label_{C-1}.
//
// Modality. One modality called "features" of shape [d]. Its role defaults to behavioural (the
// features describe faces); `role` lets a caller declare it physiological instead, which is what
// HeLo needs to run on a single modality (it refuses a dataset whose only modality is
// behavioural). The role changes no number, only how role-aware models route the modality.
#pragma once

#include <string>
#include <vector>

#include "data/dataset.h"

namespace emofuse::data {

/// The six emotions of s-JAFFE / s-BU_3DFE in their column order.
const std::vector<std::string>& ldl_emotion_names();

/// Reads an LDL benchmark file. Throws DataError naming the file and field when a variable is
/// missing, not 2-D, empty, the row counts differ, there are fewer than 2 label columns, a value
/// is NaN/Inf or too large for float32, a label is negative, or a label row does not sum to one
/// within 1e-3. Rows are never renormalised silently: with `renormalise` every label row is
/// divided by its sum (a row summing to zero is still an error), a line on stderr says how many
/// rows needed it, and the dataset's source carries the same note.
MultimodalDataset load_ldl_mat(const std::string& path, ModalityRole role = ModalityRole::kBehavioural,
                               bool renormalise = false);

/// True when `path` is a .mat file holding both `features` and `labels` (false for unreadable files).
bool looks_like_ldl_mat(const std::string& path);

}  // namespace emofuse::data
