// DMER feature layout (the public DMER release): one MATLAB v5 file per subject, `<subject>.mat`,
// holding
//   feas       [N, 913]  per-second features: EEG 0-89 (18 channels x 5 bands, channel-major:
//                        column = 5 * channel + band), GSR 90-117 (28), PPG 118-144 (27),
//                        video 145-912 (768)
//   vids       [N, 1]    clip index of each row, 1-based into the rows of dis_label (MATLAB
//                        convention; a file whose vids contain 0 is read as 0-based); integers,
//                        a fraction is an error (never rounded)
//   dis_label  [clips, 10] non-negative emotion ratings per clip, normalised per row by the reader;
//                        at least 2 columns
// Subjects are the files sorted by name. A subject file with no rows, or anything named `*.mat`
// that is not a regular file (a folder), is an error: no subject is dropped quietly. An optional `classes.txt` (one
// name per line) in the folder names the emotions; otherwise they are emotion_0 .. emotion_9.
#pragma once

#include <string>
#include <vector>

#include "data/dataset.h"

namespace emofuse::data {

/// Column ranges of the DMER `feas` matrix.
struct DmerLayout {
  int64_t eeg_channels = 18, eeg_bands = 5;  // columns [0, 90)
  int64_t gsr = 28;                          // [90, 118)
  int64_t ppg = 27;                          // [118, 145)
  int64_t video = 768;                       // [145, 913)
  int64_t total() const { return eeg_channels * eeg_bands + gsr + ppg + video; }
};

/// Reads a folder of `<subject>.mat` files into a dataset with modalities eeg [18, 5]
/// (physiological), gsr [28] and ppg [27] (physiological), video [768] (behavioural).
MultimodalDataset load_dmer(const std::string& folder, const DmerLayout& layout = {});

/// Writes one subject file in the DMER layout. `feas` [N, layout.total()], `vids` [N] 1-based clip
/// indices, `dis_label` [clips, C] ratings. Atomic (temporary file + rename).
void write_dmer_subject(const std::string& path, const torch::Tensor& feas, const torch::Tensor& vids,
                        const torch::Tensor& dis_label);

}  // namespace emofuse::data
