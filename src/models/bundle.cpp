#include "models/bundle.h"

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "core/digest.h"
#include "core/error.h"
#include "core/io.h"
#include "core/options.h"
#include "models/registry.h"

namespace fs = std::filesystem;

namespace emofuse::models {
namespace {

// Test hook for the kill -9 tests (tests/train/test_run_folder.cpp): EMOFUSE_KILL_AT=<point>:<n>
// makes the process SIGKILL itself the n-th time it reaches `point`, at an exact place that no
// outside poll hits reliably (a bundle takes milliseconds to write). Unset, it does nothing.
void kill_point(const char* point) {
  static const std::string spec = [] {
    const char* v = std::getenv("EMOFUSE_KILL_AT");
    return std::string(v ? v : "");
  }();
  if (spec.empty()) return;
  static int hits = 0;
  const auto colon = spec.find(':');
  if (spec.substr(0, colon) != point) return;
  const int n = colon == std::string::npos ? 1 : std::atoi(spec.c_str() + colon + 1);
  if (++hits == n) std::raise(SIGKILL);
}

YAML::Node schema_to_yaml(const data::DatasetSchema& schema) {
  YAML::Node y;
  for (const auto& m : schema.modalities) {
    YAML::Node n;
    n["name"] = m.name;
    n["role"] = data::role_name(m.role);
    n["shape"] = m.shape;
    y["modalities"].push_back(n);
  }
  y["classes"] = schema.class_names;
  return y;
}

data::DatasetSchema schema_from_yaml(const YAML::Node& y, const std::string& file) {
  data::DatasetSchema s;
  try {
    for (const auto& n : y["modalities"]) {
      s.modalities.push_back({n["name"].as<std::string>(), data::role_from_name(n["role"].as<std::string>(), file),
                              n["shape"].as<std::vector<int64_t>>()});
    }
    s.class_names = y["classes"].as<std::vector<std::string>>();
  } catch (const YAML::Exception& e) {
    throw DataError(file, "field 'schema'", "malformed: " + e.msg);
  }
  if (s.modalities.empty() || s.class_names.empty())
    throw DataError(file, "field 'schema'", "no modalities or classes");
  return s;
}

// Writes the bundle's files into `partial` (model.yaml last).
void write_bundle_files(const fs::path& partial, const std::string& model_name, const YAML::Node& options,
                        const data::DatasetSchema& schema, const data::Standardizer& standardizer,
                        const Estimator& estimator, const std::vector<std::string>& extra_files,
                        const std::optional<BundleProvenance>& provenance) {
  estimator.save((partial / "weights.pt").string());
  kill_point("bundle_weights");
  torch::serialize::OutputArchive archive;
  standardizer.save(archive);
  archive.save_to((partial / "standardizer.pt").string());
  for (const auto& file : extra_files) {
    fs::copy_file(file, partial / fs::path(file).filename(), fs::copy_options::overwrite_existing);
  }
  YAML::Node y;
  y["format"] = "emofuse model bundle 1";
  y["model"]["name"] = model_name;
  y["model"]["options"] = with_short_floats(resolved_model_options(model_name, options));  // every default
  y["schema"] = schema_to_yaml(schema);
  if (provenance) {
    y["evaluation"]["fold"] = provenance->fold;
    y["evaluation"]["test_subjects"] = YAML::Node(YAML::NodeType::Sequence);
    for (const auto& subject : provenance->test_subjects) y["evaluation"]["test_subjects"].push_back(subject);
    if (provenance->normalize_per_subject) y["input"]["normalize_per_subject"] = true;
  }
  // The size and digest of every other file, checked before LibTorch reads them: a corrupt or
  // swapped weights file then ends in a clear error rather than in LibTorch's archive reader,
  // which does not guard against corrupt input (it can crash on a damaged weights.pt).
  for (const auto& entry : fs::directory_iterator(partial)) {
    const auto name = entry.path().filename().string();
    y["files"][name]["bytes"] = static_cast<uint64_t>(entry.file_size());
    y["files"][name]["fnv1a64"] = file_digest(entry.path().string());
  }
  std::ostringstream out;
  out << y << "\n";
  // model.yaml last: its presence marks a complete bundle.
  write_text_atomic((partial / "model.yaml").string(), out.str());
}

}  // namespace

void save_model_bundle(const std::string& dir, const std::string& model_name, const YAML::Node& options,
                       const data::DatasetSchema& schema, const data::Standardizer& standardizer,
                       const Estimator& estimator, const std::vector<std::string>& extra_files,
                       const std::optional<BundleProvenance>& provenance) {
  const fs::path final_dir(dir);
  const fs::path partial = final_dir.string() + ".partial";
  fs::remove_all(partial);
  fs::create_directories(partial);
  try {
    write_bundle_files(partial, model_name, options, schema, standardizer, estimator, extra_files, provenance);
  } catch (...) {
    std::error_code ignored;
    fs::remove_all(partial, ignored);  // an error (not a kill): leave no half bundle behind
    throw;
  }
  // Swap: between the two steps there is no bundle at <dir> (never a mixed one); a kill there
  // leaves <dir>.partial, which a resumed run removes before it writes the bundle again.
  fs::remove_all(final_dir);
  kill_point("bundle_swap");
  fs::rename(partial, final_dir);
}

namespace {

// Checks the files a bundle's model.yaml lists (`files: {name: {bytes, fnv1a64}}`) against the
// folder; an absent one is left to the reader that needs it (which names what it is for).
// Bundles written before the list existed have none and are read as before.
void verify_bundle_files(const std::string& dir, const YAML::Node& files, const std::string& yaml_path) {
  if (!files) return;
  if (!files.IsMap()) throw DataError(yaml_path, "field 'files'", "expected a map of file name to {bytes, fnv1a64}");
  for (const auto& kv : files) {
    const auto name = kv.first.as<std::string>();
    const auto path = (fs::path(dir) / name).string();
    if (name.find('/') != std::string::npos || name == "." || name == "..") {
      throw DataError(yaml_path, "field 'files." + name + "'", "not a file name");
    }
    uint64_t bytes = 0;
    std::string digest;
    try {
      bytes = kv.second["bytes"].as<uint64_t>();
      digest = kv.second["fnv1a64"].as<std::string>();
    } catch (const YAML::Exception&) {
      throw DataError(yaml_path, "field 'files." + name + "'", "expected {bytes: <count>, fnv1a64: <16 hex digits>}");
    }
    if (!fs::exists(path)) continue;  // the reader that needs it says what is missing
    if (!fs::is_regular_file(path)) throw DataError(path, "", "not a regular file");
    if (fs::file_size(path) != bytes) {
      throw DataError(path, "",
                      "holds " + std::to_string(fs::file_size(path)) + " bytes, model.yaml records " +
                          std::to_string(bytes) + " (truncated, or from another bundle)");
    }
    const auto actual = file_digest(path);
    if (actual != digest) {
      throw DataError(path, "",
                      "content digest " + actual + " differs from the " + digest +
                          " model.yaml records (corrupt, or from another bundle)");
    }
  }
}

}  // namespace

ModelBundle load_model_bundle(const std::string& dir) {
  const auto yaml_path = (fs::path(dir) / "model.yaml").string();
  if (!fs::exists(yaml_path)) throw DataError(dir, "", "not a model bundle (no model.yaml)");
  YAML::Node y;
  try {
    y = YAML::LoadFile(yaml_path);
  } catch (const YAML::Exception& e) {
    throw DataError(yaml_path, "line " + std::to_string(e.mark.line + 1), e.msg);
  }
  ModelBundle b;
  if (!y["model"] || !y["model"]["name"]) throw DataError(yaml_path, "field 'model.name'", "missing");
  b.model_name = y["model"]["name"].as<std::string>();
  b.model_options = y["model"]["options"];
  b.schema = schema_from_yaml(y["schema"], yaml_path);
  if (const auto evaluation = y["evaluation"]) {
    try {
      b.provenance = BundleProvenance{evaluation["fold"].as<std::string>(),
                                      evaluation["test_subjects"].as<std::vector<std::string>>()};
      if (const auto input = y["input"])
        b.provenance->normalize_per_subject = input["normalize_per_subject"].as<bool>(false);
    } catch (const YAML::Exception&) {
      throw DataError(
          yaml_path, "field 'evaluation'",
          "expected {fold: <name>, test_subjects: [<subject>, ...]} (and input: {normalize_per_subject: <bool>})");
    }
  }
  const auto& entry = find_model(b.model_name);
  entry.validate_options(b.model_options);
  b.estimator = entry.build(b.schema, b.model_options);
  const auto weights = (fs::path(dir) / "weights.pt").string();
  if (!fs::exists(weights)) throw DataError(weights, "", "file not found");
  verify_bundle_files(dir, y["files"], yaml_path);
  b.estimator->load(weights);
  const auto standardizer = (fs::path(dir) / "standardizer.pt").string();
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(standardizer);
    b.standardizer.load(archive);
  } catch (const c10::Error&) {
    throw DataError(standardizer, "", "cannot read the feature standardizer (missing or truncated)");
  }
  return b;
}

data::MultimodalDataset conform_to_schema(const data::MultimodalDataset& data, const data::DatasetSchema& schema) {
  std::vector<std::string> names;
  for (const auto& m : schema.modalities) names.push_back(m.name);
  auto out = data.select_modalities(names);
  for (size_t i = 0; i < schema.modalities.size(); ++i) {
    if (out.modality(i).shape != schema.modalities[i].shape) {
      throw Error(data.source() + ": modality '" + names[i] + "' has a different shape than the model was trained on");
    }
  }
  if (out.num_classes() != schema.num_classes()) {
    throw Error(data.source() + ": " + std::to_string(out.num_classes()) + " classes, the model predicts " +
                std::to_string(schema.num_classes()));
  }
  return out;
}

}  // namespace emofuse::models
