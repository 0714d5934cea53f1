#include "train/run_folder.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <system_error>

#include "core/digest.h"
#include "core/error.h"
#include "core/io.h"

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace emofuse::train {
namespace {

constexpr const char* kFingerprintFile = "fingerprint.json";
// 2: the config part lists every model option with its default and doubles in their shortest
// form (0.2); a format-1 folder's fields would all read as changed, so it is refused as such.
constexpr const char* kFingerprintFormat = "emofuse run fingerprint 2";

// Fields that change no number a run writes: thread count (results are reproducible at a fixed
// count, but choosing another one to continue is the user's call), progress display, and where
// the run lives. data.path is identified by the data part (files and content) instead.
const std::vector<std::string>& excluded_config_fields() {
  static const std::vector<std::string> fields{"threads", "training.progress", "output.run_dir", "data.path"};
  return fields;
}

// Files that data loading itself keeps in the run folder (the MELD tokenizer, learned from the
// training split); they do not make a folder "hold a run".
bool is_loader_file(const fs::path& name) {
  return name == "tokenizer.model" || name == "tokenizer.vocab";
}

void flatten(const YAML::Node& node, const std::string& key, FingerprintFields& out) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      if (node.size() == 0) out[key] = "{}";
      for (const auto& kv : node) {
        const auto name = kv.first.as<std::string>();
        flatten(kv.second, key.empty() ? name : key + "." + name, out);
      }
      break;
    case YAML::NodeType::Sequence:
      if (node.size() == 0) out[key] = "[]";
      for (size_t i = 0; i < node.size(); ++i) flatten(node[i], key + "[" + std::to_string(i) + "]", out);
      break;
    case YAML::NodeType::Scalar:
      out[key] = node.Scalar();
      break;
    case YAML::NodeType::Null:
      out[key] = "null";
      break;
    case YAML::NodeType::Undefined:
      break;
  }
}

bool is_inside(const fs::path& path, const fs::path& folder) {
  std::error_code ec;
  const auto p = fs::weakly_canonical(path, ec);
  const auto f = fs::weakly_canonical(folder, ec);
  if (ec || f.empty()) return false;
  auto pi = p.begin();
  for (auto fi = f.begin(); fi != f.end(); ++fi, ++pi) {
    if (pi == p.end() || *pi != *fi) return false;
  }
  return true;
}

// True when the folder holds anything besides the data loader's own files.
bool holds_files(const fs::path& dir) {
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (!is_loader_file(entry.path().filename())) return true;
  }
  return false;
}

bool holds_a_run(const fs::path& dir) {
  return fs::exists(dir / kFingerprintFile) || fs::exists(dir / "config.yaml") || fs::exists(dir / "folds");
}

bool any_fold_complete(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir / "folds", ec)) return false;
  for (const auto& fold : fs::directory_iterator(dir / "folds", ec)) {
    if (fs::exists(fold.path() / "metrics.json", ec)) return true;
  }
  return false;
}

// Removes what a kill left half-written: `x.partial` files (atomic text writes, checkpoints) and
// `model.partial` folders (bundles), anywhere in the run folder.
void remove_partials(const fs::path& dir) {
  std::vector<fs::path> orphans;
  for (auto it = fs::recursive_directory_iterator(dir); it != fs::recursive_directory_iterator(); ++it) {
    const auto name = it->path().filename().string();
    if (name.size() > 8 && name.compare(name.size() - 8, 8, ".partial") == 0) {
      orphans.push_back(it->path());
      if (it->is_directory()) it.disable_recursion_pending();
    }
  }
  for (const auto& p : orphans) fs::remove_all(p);
}

std::string join_differences(const std::vector<std::string>& lines) {
  // The first difference reads "<key>: <what>" after the file name; the others follow it.
  std::string what = lines.front().substr(lines.front().find(": ") + 2);
  for (size_t i = 1; i < lines.size(); ++i) what += "; " + lines[i];
  return what;
}

std::string first_key(const std::vector<std::string>& lines) {
  return lines.front().substr(0, lines.front().find(": "));
}

const char* kResumeAdvice =
    ". --resume continues only the same experiment on the same data: restore those settings, or start "
    "again with --overwrite (or another --run-dir)";

}  // namespace

FingerprintFields config_fingerprint(const ExperimentConfig& config) {
  FingerprintFields fields;
  flatten(config.to_yaml(), "", fields);
  for (const auto& key : excluded_config_fields()) fields.erase(key);
  return fields;
}

FingerprintFields data_fingerprint(const YAML::Node& data_section, const data::MultimodalDataset& dataset,
                                   const std::string& run_dir) {
  FingerprintFields fields;
  const std::string path = data_section.IsMap() && data_section["path"] && data_section["path"].IsScalar()
                               ? data_section["path"].Scalar()
                               : "";
  std::error_code ec;
  if (!path.empty() && fs::is_regular_file(path, ec)) {
    fields["data.files[" + fs::path(path).filename().string() + "]"] = std::to_string(fs::file_size(path)) + " bytes";
  } else if (!path.empty() && fs::is_directory(path, ec)) {
    for (auto it = fs::recursive_directory_iterator(path); it != fs::recursive_directory_iterator(); ++it) {
      if (!run_dir.empty() && it->is_directory() && is_inside(it->path(), run_dir)) {
        it.disable_recursion_pending();
        continue;
      }
      if (!it->is_regular_file()) continue;
      const auto relative = fs::relative(it->path(), path).generic_string();
      fields["data.files[" + relative + "]"] = std::to_string(it->file_size()) + " bytes";
    }
  }
  fields["data.samples"] = std::to_string(dataset.size());
  Fnv1aDigest content;
  for (int64_t m = 0; m < dataset.num_modalities(); ++m) {
    const auto& spec = dataset.modality(m);
    content.add(spec.name);
    content.add(data::role_name(spec.role));
    for (auto s : spec.shape) content.add(&s, sizeof(s));
    content.add(dataset.features(m));
  }
  content.add(dataset.targets());
  content.add(dataset.size() > 0 ? dataset.hard_labels() : torch::Tensor());
  content.add(dataset.subjects());
  content.add(dataset.trials());
  content.add(dataset.partitions());
  for (const auto& c : dataset.class_names()) content.add(c);
  for (const auto& s : dataset.subject_names()) content.add(s);
  fields["data.content_hash"] = content.hex();
  return fields;
}

std::string fingerprint_hash(const FingerprintFields& fields) {
  Fnv1aDigest h;
  for (const auto& [key, value] : fields) {
    h.add(key);
    h.add(value);
  }
  return h.hex();
}

std::vector<std::string> fingerprint_differences(const FingerprintFields& stored, const FingerprintFields& now) {
  std::vector<std::string> lines;
  auto show = [](const FingerprintFields& f, const std::string& key) {
    auto it = f.find(key);
    return it == f.end() ? std::string("(absent)") : it->second;
  };
  std::vector<std::string> keys;
  for (const auto& kv : stored) keys.push_back(kv.first);
  for (const auto& kv : now) {
    if (!stored.count(kv.first)) keys.push_back(kv.first);
  }
  std::sort(keys.begin(), keys.end());
  for (const auto& key : keys) {
    const auto a = show(stored, key), b = show(now, key);
    if (a != b) lines.push_back(key + ": " + a + " in the run, " + b + " now");
  }
  return lines;
}

RunFolder::RunFolder(const ExperimentConfig& config, bool resume, bool overwrite)
    : dir_(config.run_dir), config_(config_fingerprint(config)) {
  if (resume && overwrite) throw OptionError("--overwrite", "cannot be combined with --resume");
  const fs::path dir(dir_);
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_directory(dir, ec)) throw DataError(dir_, "", "exists and is not a folder");
  const bool has_files = fs::exists(dir, ec) && holds_files(dir);
  if (has_files && overwrite) {
    if (!holds_a_run(dir)) {
      throw DataError(dir_, "",
                      "not cleared by --overwrite: the folder is not empty and holds no emofuse run (no "
                      "fingerprint.json, config.yaml or folds/); remove its files yourself or choose another "
                      "--run-dir");
    }
    for (const auto& entry : fs::directory_iterator(dir)) fs::remove_all(entry.path());
  } else if (has_files && !resume) {
    throw DataError(dir_, "",
                    "run folder not empty (it holds an earlier run); continue that run with --resume, or clear "
                    "it and start again with --overwrite");
  } else if (has_files && resume) {
    const auto path = fingerprint_path();
    if (!fs::exists(path)) {
      throw DataError(path, "",
                      "missing: this folder holds no run fingerprint (it is not an emofuse run folder, or an "
                      "older emofuse wrote it), so --resume cannot check that it holds the same experiment on "
                      "the same data; start again with --overwrite, or choose another --run-dir");
    }
    json j;
    FingerprintFields stored_config;
    try {
      std::ifstream in(path);
      j = json::parse(in);
      if (j.at("format").get<std::string>() != kFingerprintFormat) {
        throw DataError(path, "field 'format'",
                        "expected '" + std::string(kFingerprintFormat) + "', got '" +
                            j.at("format").get<std::string>() +
                            "': another emofuse version wrote this run, so --resume cannot check that it "
                            "holds the same experiment; start again with --overwrite, or choose another "
                            "--run-dir");
      }
      stored_config = j.at("config").get<FingerprintFields>();
      stored_data_ = j.at("data").get<FingerprintFields>();
    } catch (const json::exception& e) {
      throw DataError(path, "",
                      std::string("not a valid run fingerprint (") + e.what() + "); start again with --overwrite");
    }
    const auto differences = fingerprint_differences(stored_config, config_);
    if (!differences.empty()) {
      throw DataError(path, first_key(differences), join_differences(differences) + kResumeAdvice);
    }
    remove_partials(dir);
    resuming_ = true;
  }
  if (!fs::exists(dir, ec)) {
    fs::create_directories(dir);
    created_ = true;
  }
}

RunFolder::~RunFolder() {
  if (!created_ || finished_) return;
  std::error_code ec;
  if (!any_fold_complete(dir_)) fs::remove_all(dir_, ec);
}

std::string RunFolder::fingerprint_path() const {
  return (fs::path(dir_) / kFingerprintFile).string();
}

void RunFolder::bind_data(const YAML::Node& data_section, const data::MultimodalDataset& dataset) {
  const auto data = data_fingerprint(data_section, dataset, dir_);
  if (resuming_) {
    const auto differences = fingerprint_differences(stored_data_, data);
    if (!differences.empty()) {
      throw DataError(fingerprint_path(), first_key(differences), join_differences(differences) + kResumeAdvice);
    }
    return;
  }
  json j;
  j["format"] = kFingerprintFormat;
  j["config_hash"] = fingerprint_hash(config_);
  j["data_hash"] = fingerprint_hash(data);
  j["config"] = config_;
  j["data"] = data;
  write_text_atomic(fingerprint_path(), j.dump(2) + "\n");
}

}  // namespace emofuse::train
