#include "data/dmer.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "data/mat_io.h"

namespace fs = std::filesystem;

namespace emofuse::data {
namespace {

std::vector<std::string> read_class_names(const fs::path& folder, int64_t count) {
  std::vector<std::string> names;
  const auto file = folder / "classes.txt";
  if (fs::exists(file)) {
    std::ifstream in(file);
    std::string line;
    while (std::getline(in, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (!line.empty()) names.push_back(line);
    }
    if (static_cast<int64_t>(names.size()) != count) {
      throw DataError(file.string(), "",
                      "lists " + std::to_string(names.size()) + " classes, but dis_label has " + std::to_string(count) +
                          " columns");
    }
    return names;
  }
  for (int64_t c = 0; c < count; ++c) names.push_back("emotion_" + std::to_string(c));
  return names;
}

}  // namespace

MultimodalDataset load_dmer(const std::string& folder, const DmerLayout& layout) {
  if (!fs::is_directory(folder)) throw DataError(folder, "", "not a folder of DMER <subject>.mat files");
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(folder)) {
    if (entry.path().extension() != ".mat") continue;
    // A subject is never skipped quietly: something named like a subject file must be one.
    if (!entry.is_regular_file()) {
      throw DataError(entry.path().string(), "",
                      "not a regular file (a folder or special file named like a subject .mat file)");
    }
    files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) throw DataError(folder, "", "no .mat files found");

  std::vector<torch::Tensor> feas_all, targets_all, subjects_all, trials_all;
  std::vector<std::string> subject_names;
  int64_t num_classes = -1;
  for (size_t s = 0; s < files.size(); ++s) {
    const std::string path = files[s].string();
    auto feas = read_mat_matrix(path, "feas");
    auto vids = read_mat_matrix(path, "vids");
    auto ratings = read_mat_matrix(path, "dis_label");
    const int64_t n = feas.size(0);
    if (n == 0) throw DataError(path, "field 'feas'", "no rows: the subject has no samples");
    if (feas.size(1) != layout.total()) {
      throw DataError(path, "field 'feas'",
                      "expected " + std::to_string(layout.total()) + " columns, got " + std::to_string(feas.size(1)));
    }
    if (vids.numel() != n || (vids.size(0) != 1 && vids.size(1) != 1)) {
      throw DataError(path, "field 'vids'",
                      "expected " + std::to_string(n) + " x 1 clip indices, got " + std::to_string(vids.size(0)) +
                          " x " + std::to_string(vids.size(1)));
    }
    if (ratings.size(1) < 2) {
      throw DataError(path, "field 'dis_label'",
                      "expected at least 2 emotion columns, got " + std::to_string(ratings.size(1)) +
                          " (a single class cannot be learned or scored)");
    }
    if (num_classes < 0) num_classes = ratings.size(1);
    if (ratings.size(1) != num_classes) {
      throw DataError(
          path, "field 'dis_label'",
          "has " + std::to_string(ratings.size(1)) + " columns, other subjects have " + std::to_string(num_classes));
    }
    if (!torch::isfinite(ratings).all().item<bool>() || (ratings < 0).any().item<bool>()) {
      throw DataError(path, "field 'dis_label'", "ratings must be finite and non-negative");
    }
    auto row_sums = ratings.sum(1, true);
    if ((row_sums <= 0).any().item<bool>()) {
      auto row = (row_sums.flatten() <= 0).nonzero()[0][0].item<int64_t>();
      throw DataError(path, "field 'dis_label' row " + std::to_string(row + 1),
                      "all ratings are zero; cannot normalise to a distribution");
    }
    auto vid_values = vids.flatten();
    auto fractional = ~torch::isfinite(vid_values) | (vid_values != vid_values.round());
    if (fractional.any().item<bool>()) {
      const int64_t row = fractional.nonzero()[0][0].item<int64_t>();
      std::ostringstream value;
      value << vid_values[row].item<double>();
      throw DataError(path, "field 'vids' row " + std::to_string(row + 1),
                      "clip index " + value.str() + " is not an integer");
    }
    // Indices beyond the table are rejected below; this bound only keeps the int64 cast defined.
    if ((vid_values.abs() > static_cast<double>(ratings.size(0)) + 1).any().item<bool>()) {
      throw DataError(path, "field 'vids'",
                      "clip index outside the " + std::to_string(ratings.size(0)) + " rows of dis_label");
    }
    auto clip = vid_values.to(torch::kInt64);
    if (n > 0 && clip.min().item<int64_t>() > 0) clip = clip - 1;  // MATLAB 1-based
    if (n > 0 && (clip.min().item<int64_t>() < 0 || clip.max().item<int64_t>() >= ratings.size(0))) {
      throw DataError(path, "field 'vids'",
                      "clip index outside the " + std::to_string(ratings.size(0)) + " rows of dis_label");
    }
    if (!torch::isfinite(feas).all().item<bool>()) {
      auto row = (~torch::isfinite(feas)).any(1).nonzero()[0][0].item<int64_t>();
      throw DataError(path, "field 'feas' row " + std::to_string(row + 1), "not finite (NaN or Inf)");
    }
    require_float32_range(feas, path, "field 'feas'", /*first_index=*/1);
    feas_all.push_back(feas.to(torch::kFloat32));
    targets_all.push_back((ratings / row_sums).index_select(0, clip));
    subjects_all.push_back(torch::full({n}, static_cast<int64_t>(s), torch::kInt64));
    trials_all.push_back(clip);
    subject_names.push_back(files[s].stem().string());
  }
  auto feas = torch::cat(feas_all);
  int64_t col = 0;
  auto take = [&](int64_t width) {
    auto part = feas.narrow(1, col, width);
    col += width;
    return part;
  };
  const int64_t eeg_width = layout.eeg_channels * layout.eeg_bands;
  std::vector<ModalitySpec> specs{{"eeg", ModalityRole::kPhysiological, {layout.eeg_channels, layout.eeg_bands}},
                                  {"gsr", ModalityRole::kPhysiological, {layout.gsr}},
                                  {"ppg", ModalityRole::kPhysiological, {layout.ppg}},
                                  {"video", ModalityRole::kBehavioural, {layout.video}}};
  std::vector<torch::Tensor> features{take(eeg_width), take(layout.gsr), take(layout.ppg), take(layout.video)};
  MultimodalDataset dataset(std::move(specs), std::move(features), torch::cat(targets_all), torch::cat(subjects_all),
                            torch::cat(trials_all), read_class_names(folder, num_classes), folder);
  dataset.set_subject_names(std::move(subject_names));
  return dataset;
}

void write_dmer_subject(const std::string& path, const torch::Tensor& feas, const torch::Tensor& vids,
                        const torch::Tensor& dis_label) {
  write_mat_matrices(path, {{"feas", feas}, {"vids", vids.reshape({-1, 1})}, {"dis_label", dis_label}});
}

}  // namespace emofuse::data
