#include "data/load.h"

#include <filesystem>

#include "core/error.h"
#include "core/io.h"
#include "core/options.h"
#include "core/runtime.h"
#include "data/dmer.h"
#include "data/ldl.h"
#include "data/mat_io.h"
#include "data/meld.h"
#include "data/normalize.h"
#include "data/synthetic.h"
#include "data/tabular.h"

namespace fs = std::filesystem;

namespace emofuse::data {
namespace {

SyntheticOptions read_synthetic(OptionReader& r, uint64_t default_seed) {
  SyntheticOptions o;
  o.subjects = r.get<int64_t>("subjects", o.subjects);
  o.clips = r.get<int64_t>("clips", o.clips);
  o.seconds = r.get<int64_t>("seconds", o.seconds);
  o.seed = r.get<uint64_t>("seed", default_seed);
  o.feature_noise = r.get<double>("feature_noise", o.feature_noise);
  o.video_noise = r.get<double>("video_noise", o.video_noise);
  o.subject_offset = r.get<double>("subject_offset", o.subject_offset);
  o.subject_gain = r.get<double>("subject_gain", o.subject_gain);
  o.subject_perception = r.get<double>("subject_perception", o.subject_perception);
  o.state_jitter = r.get<double>("state_jitter", o.state_jitter);
  o.temporal_correlation = r.get<double>("temporal_correlation", o.temporal_correlation);
  o.rating_noise = r.get<double>("rating_noise", o.rating_noise);
  o.validate();
  return o;
}

// ---------------------------------------------------------------------------------------------
// One loader per format: reads the format's own keys, checks them, then loads when asked.

LoadedData load_synthetic(FormatRequest& q) {
  auto o = read_synthetic(q.options, q.default_seed);
  q.options.finish();
  LoadedData out;
  if (q.load) {
    auto cohort = make_synthetic_cohort(o);
    out.dataset = cohort.dataset;
    out.ceiling = cohort.ceiling;
  }
  return out;
}

LoadedData load_dmer_format(FormatRequest& q) {
  q.options.finish();
  if (q.path.empty()) throw OptionError("data.path", "required for format dmer: a folder of <subject>.mat files");
  LoadedData out;
  if (q.load) out.dataset = load_dmer(q.path);
  return out;
}

LoadedData load_csv_format(FormatRequest& q) {
  LoadedData out;
  if (q.data["modalities"]) {
    // Inline spec: every key of `data:` belongs to it (load_feature_csv rejects unknown ones).
    if (q.load) out.dataset = load_feature_csv(q.data, ".", "data", q.renormalise);
    return out;
  }
  q.options.finish();
  if (q.path.empty()) throw OptionError("data.path", "required for format csv: a dataset.yaml or its folder");
  if (q.load) {
    fs::path yaml_path = fs::is_directory(q.path) ? fs::path(q.path) / "dataset.yaml" : fs::path(q.path);
    if (!fs::exists(yaml_path)) throw DataError(yaml_path.string(), "", "file not found");
    const YAML::Node spec = load_yaml_file(yaml_path.string());
    out.dataset = load_feature_csv(spec, yaml_path.parent_path().string(), yaml_path.string(), q.renormalise);
  }
  return out;
}

LoadedData load_ldl_format(FormatRequest& q) {
  // LDL benchmark .mat (features + labels); see src/data/ldl.h.
  auto role = q.options.get<std::string>("role", "behavioural");
  q.options.finish();
  require_option(role == "behavioural" || role == "physiological", "data.role",
                 "expected behavioural or physiological, got '" + role + "'");
  if (q.path.empty()) throw OptionError("data.path", "required for format ldl: a .mat file with features and labels");
  LoadedData out;
  if (q.load) out.dataset = load_ldl_mat(q.path, role_from_name(role, "data.role"), q.renormalise);
  return out;
}

LoadedData load_meld_format(FormatRequest& q) {
  const std::string path = q.path.empty() ? (fs::path(data_dir()) / "meld").string() : q.path;
  std::string tokenizer_dir = q.work_dir;
  if (tokenizer_dir.empty()) tokenizer_dir = (fs::temp_directory_path() / "emofuse_tokenizer").string();
  auto o = read_meld_options(q.options, path, tokenizer_dir);
  q.options.finish();
  o.validate("data.");
  LoadedData out;
  if (q.load) {
    fs::create_directories(o.tokenizer_dir);
    out.dataset = load_meld(o);
  }
  return out;
}

LoadedData load_wesad_features_format(FormatRequest& q) {
  auto columns = q.options.get<std::string>("columns", "informative");
  q.options.finish();
  require_option(columns == "informative" || columns == "all", "data.columns", "expected informative or all");
  const std::string path =
      q.path.empty() ? (fs::path(data_dir()) / "wesad_features" / "may14_feats4.csv").string() : q.path;
  LoadedData out;
  if (q.load) out.dataset = load_wesad_features(path, columns);
  return out;
}

LoadedData load_deap_format(FormatRequest& q) {
  auto task = q.options.get<std::string>("task", "valence");
  q.options.finish();
  require_option(task == "valence" || task == "arousal", "data.task", "expected valence or arousal");
  const std::string path = q.path.empty() ? (fs::path(data_dir()) / "deap_eeg_features").string() : q.path;
  LoadedData out;
  if (q.load) out.dataset = load_deap(path, task);
  return out;
}

// Reads the common keys, then the format's own through its registry entry, loading only when
// `load` is true; returns the dataset or an empty LoadedData for validation-only calls.
LoadedData process(const YAML::Node& data, uint64_t default_seed, bool load, const std::string& work_dir) {
  OptionReader r(data, "data");
  auto format = r.get<std::string>("format", "");
  auto path = r.get<std::string>("path", "");
  auto modalities = r.get<std::vector<std::string>>("select", {});
  // Label rows that do not sum to one are an error unless the user asks for renormalisation;
  // only formats whose targets are given distributions (ldl, csv) can be renormalised.
  const bool renormalise = r.get<bool>("renormalise", false);
  // z-score every feature within each subject (normalize.h: offsets and gains between people).
  const bool per_subject = r.get<bool>("normalize_per_subject", false);
  if (format.empty()) {
    if (path.empty()) throw OptionError("data.format", "required (one of " + data_format_list() + ")");
    format = detect_format(path);
  }
  if (renormalise && format != "ldl" && format != "csv") {
    throw OptionError("data.renormalise",
                      format == "dmer"
                          ? "does not apply to format dmer: its dis_label ratings are always divided by "
                            "their row sum; renormalise applies to formats ldl and csv"
                          : "applies to formats ldl and csv (given label distributions), not to format " + format);
  }
  FormatRequest request{data, r, path, renormalise, load, default_seed, work_dir};
  LoadedData out = find_data_format(format).load(request);
  if (load && !modalities.empty()) out.dataset = out.dataset.select_modalities(modalities);
  if (load && per_subject) {
    out.dataset = normalize_per_subject(out.dataset);
    // In the source, so that every table and report that names the data says so.
    out.dataset.set_source(out.dataset.source() + " (features z-scored per subject)");
  }
  return out;
}

bool has_mat_files(const fs::path& folder) {
  for (const auto& e : fs::directory_iterator(folder)) {
    if (e.path().extension() == ".mat") return true;
  }
  return false;
}

}  // namespace

const std::vector<DataFormat>& data_format_registry() {
  static const std::vector<DataFormat> registry{
      {"synthetic", "the built-in cohort (options of SyntheticOptions; no files)", load_synthetic},
      {"dmer", "a folder of DMER <subject>.mat files", load_dmer_format},
      {"csv", "a generic feature CSV (inline spec, a dataset.yaml, or a folder holding one)", load_csv_format},
      {"wesad_features", "the WESAD window-feature CSV (default: $EMOFUSE_DATA_DIR/wesad_features/may14_feats4.csv)",
       load_wesad_features_format},
      {"deap", "the DEAP EEG feature folder; task: valence | arousal", load_deap_format},
      {"ldl", "an LDL benchmark .mat file (features, labels); role: behavioural | physiological", load_ldl_format},
      {"meld", "MELD / EmoryNLP-style conversation CSVs (text, optional audio)", load_meld_format},
  };
  return registry;
}

const std::vector<std::string>& data_formats() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& f : data_format_registry()) out.push_back(f.name);
    return out;
  }();
  return names;
}

std::string data_format_list() {
  std::string known;
  for (const auto& f : data_format_registry()) known += (known.empty() ? "" : ", ") + f.name;
  return known;
}

const DataFormat& find_data_format(const std::string& name) {
  for (const auto& f : data_format_registry()) {
    if (f.name == name) return f;
  }
  throw OptionError("data.format", "unknown format '" + name + "'; known: " + data_format_list());
}

std::string detect_format(const std::string& path) {
  const fs::path p(path);
  if (!fs::exists(p)) throw DataError(path, "", "not found");
  if (fs::is_directory(p)) {
    if (fs::exists(p / "dataset.yaml")) return "csv";
    if (fs::exists(p / "EEG_feature.txt")) return "deap";
    if (fs::exists(p / "train_sent_emo.csv")) return "meld";
    if (has_mat_files(p)) return "dmer";
    throw DataError(path, "", "cannot tell the data format of this folder; set data.format");
  }
  if (p.extension() == ".yaml" || p.extension() == ".yml") return "csv";
  if (p.extension() == ".mat") {
    // Read the variable names (a truncated or unreadable file is reported as such, not as an
    // unknown format).
    const auto names = mat_variable_names(path);
    if (looks_like_ldl_mat(path)) return "ldl";
    std::string held;
    for (const auto& n : names) held += (held.empty() ? "'" : ", '") + n + "'";
    throw DataError(path, "",
                    "a .mat file without the variables 'features' and 'labels' of format ldl (it holds " +
                        (held.empty() ? std::string("no variables") : held) + "); set data.format");
  }
  if (p.extension() == ".csv") {
    auto table_header = read_csv(path).header;
    bool wesad = std::find(table_header.begin(), table_header.end(), "net_acc_std") != table_header.end();
    if (wesad) return "wesad_features";
  }
  throw DataError(path, "", "cannot tell the data format of this file; set data.format");
}

void validate_data_options(const YAML::Node& data) {
  process(data, 0, /*load=*/false, "");
}

LoadedData load_data(const YAML::Node& data, uint64_t default_seed, const std::string& work_dir) {
  return process(data, default_seed, true, work_dir);
}

}  // namespace emofuse::data
