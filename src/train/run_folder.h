// The run folder's life cycle: what a fresh run, `--resume` and `--overwrite` accept to find there,
// the fingerprint that ties a folder to one experiment on one data set, and the clean-up after a
// kill or a failed start.
//
//   <run_dir>/fingerprint.json   what the results depend on, field by field:
//     config  every field of the resolved configuration except those that change no number the
//             run writes (threads, training.progress, output.run_dir) and data.path (the data
//             part identifies the data by content, so a moved data folder can still be resumed)
//     data    the files under data.path (relative name and size), the sample count and a hash
//             of the loaded samples (features, targets, labels, subjects, trials, names)
//
// Rules (RunFolder's constructor checks them before any data is loaded):
//   no flag      the folder must be absent or empty (the MELD tokenizer that data loading keeps
//                there does not count); an earlier run is never mixed with a new one
//   overwrite    a non-empty folder is cleared first, but only one that holds an emofuse run
//                (fingerprint.json, config.yaml or folds/), so a mistyped path deletes nothing else
//   resume       an absent or empty folder starts fresh; otherwise fingerprint.json must exist and
//                match the current configuration (checked at once) and data (checked by bind_data)
// Orphaned `*.partial` files and folders (a kill while writing one) are removed when resuming.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "train/config.h"

namespace emofuse::train {

/// "dotted.key" -> value text, e.g. "model.name" -> "helo", "data.files[S01.mat]" -> "1234 bytes".
using FingerprintFields = std::map<std::string, std::string>;

/// The configuration part of a run fingerprint (see the file comment for what is left out).
FingerprintFields config_fingerprint(const ExperimentConfig& config);

/// The data part: files under `data_section`'s path (recursively; the run folder `run_dir` skipped
/// when it lies inside), their sizes, the sample count and a content hash of `dataset`.
FingerprintFields data_fingerprint(const YAML::Node& data_section, const data::MultimodalDataset& dataset,
                                   const std::string& run_dir);

/// FNV-1a 64-bit digest of the fields (keys and values), as 16 hex digits.
std::string fingerprint_hash(const FingerprintFields& fields);

/// One line per differing key: "model.name: helo in the run, mlp_early now" ("(absent)" for a
/// key only one side has). Empty when equal.
std::vector<std::string> fingerprint_differences(const FingerprintFields& stored, const FingerprintFields& now);

/// A run folder checked and made ready for one experiment. Construct it before loading data;
/// run_experiment binds the data, writes the fingerprint and marks the run finished.
class RunFolder {
 public:
  /// Checks `config.run_dir` under the rules above and creates it when absent. Throws DataError
  /// naming the folder (not empty, not a run) or its fingerprint.json (missing, unreadable, or a
  /// configuration field that differs), or OptionError when both `resume` and `overwrite` are set.
  RunFolder(const ExperimentConfig& config, bool resume, bool overwrite);
  /// A folder this object created is removed again unless a fold completed (a failed start leaves
  /// nothing behind); an existing one is kept as it was.
  ~RunFolder();
  RunFolder(const RunFolder&) = delete;
  RunFolder& operator=(const RunFolder&) = delete;

  const std::string& dir() const { return dir_; }
  /// True when continuing an earlier run of the same experiment (its fingerprint matched).
  bool resuming() const { return resuming_; }
  /// Path of <run_dir>/fingerprint.json.
  std::string fingerprint_path() const;

  /// Checks the data part against the stored fingerprint when resuming (DataError naming
  /// fingerprint.json and the fields that differ); then writes fingerprint.json.
  void bind_data(const YAML::Node& data_section, const data::MultimodalDataset& dataset);

  /// Marks the run complete: the destructor keeps the folder whatever it holds.
  void finish() { finished_ = true; }
  /// The run was interrupted (core/error.h, Interrupted): the destructor keeps the folder with its
  /// fingerprint and checkpoints, as a killed process leaves it, so that `resume` continues it.
  void keep_interrupted() { finished_ = true; }

 private:
  std::string dir_;
  bool created_ = false;
  bool resuming_ = false;
  bool finished_ = false;
  FingerprintFields config_;
  FingerprintFields stored_data_;
};

}  // namespace emofuse::train
