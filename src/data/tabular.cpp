#include "data/tabular.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <sstream>

#include "core/error.h"
#include "core/io.h"
#include "core/options.h"

namespace fs = std::filesystem;

namespace emofuse::data {
namespace {

// A finite number that also fits a float32 (tensors are float32; a larger finite double would
// silently become Inf). Throws DataError(path, "line L, column 'name'") otherwise.
float parse_float32(const std::string& text, const std::string& path, int64_t line, const std::string& column) {
  const double value = parse_number(text, path, line, column);
  if (std::abs(value) > static_cast<double>(std::numeric_limits<float>::max())) {
    std::ostringstream msg;
    msg << "value '" << text << "' does not fit a 32-bit float (|x| <= " << std::numeric_limits<float>::max() << ")";
    throw DataError(path, "line " + std::to_string(line) + ", column '" + column + "'", msg.str());
  }
  return static_cast<float>(value);
}

// Numeric matrix [rows, columns] of the named columns.
torch::Tensor numeric_columns(const CsvTable& t, const std::vector<int64_t>& columns) {
  auto out = torch::empty({static_cast<int64_t>(t.rows.size()), static_cast<int64_t>(columns.size())}, torch::kFloat32);
  auto acc = out.accessor<float, 2>();
  for (size_t r = 0; r < t.rows.size(); ++r) {
    for (size_t c = 0; c < columns.size(); ++c) {
      acc[r][c] = parse_float32(t.rows[r][columns[c]], t.path, t.lines[r], t.header[columns[c]]);
    }
  }
  return out;
}

// An integer-valued number in [lo, hi], parsed from a table cell; `what` names it in the error
// ("subject id"). Fractions are rejected rather than rounded.
int64_t parse_integer_in(const std::string& text, const std::string& path, const std::string& where, int64_t lo,
                         int64_t hi, const std::string& what) {
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || !std::isfinite(value) || value != std::floor(value)) {
    throw DataError(path, where, "expected an integer " + what + ", got '" + text + "'");
  }
  if (value < static_cast<double>(lo) || value > static_cast<double>(hi)) {
    throw DataError(path, where,
                    what + " " + text + " outside the valid range " + std::to_string(lo) + ".." + std::to_string(hi));
  }
  return static_cast<int64_t>(value);
}

// The id a subject or trial cell stands for. Ids are names ("P07", "clip_a") or integers; a
// cell that reads as a number must be an integer, and is keyed by its value so that "2" and
// "2.0" are one id. Empty cells and fractions are errors naming the line and column.
std::string id_key(const CsvTable& t, size_t row, int64_t column) {
  const std::string& text = t.rows[row][column];
  const std::string where = "line " + std::to_string(t.lines[row]) + ", column '" + t.header[column] + "'";
  if (text.find_first_not_of(" \t") == std::string::npos) throw DataError(t.path, where, "empty id");
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || *end != '\0') return text;  // a name
  if (!std::isfinite(value) || value != std::floor(value) || std::abs(value) > 9.0e15) {
    throw DataError(t.path, where, "id '" + text + "' is a number but not an integer");
  }
  return std::to_string(static_cast<int64_t>(value));
}

// Maps the ids of a column (id_key) to dense ids in order of first appearance; `names` receives
// each id's cell text as first seen.
torch::Tensor dense_ids(const CsvTable& t, int64_t column, std::vector<std::string>* names) {
  std::map<std::string, int64_t> ids;
  std::vector<int64_t> out;
  for (size_t r = 0; r < t.rows.size(); ++r) {
    const std::string key = id_key(t, r, column);
    auto it = ids.find(key);
    if (it == ids.end()) {
      it = ids.emplace(key, static_cast<int64_t>(ids.size())).first;
      if (names) names->push_back(t.rows[r][column]);  // as first written, e.g. "02"
    }
    out.push_back(it->second);
  }
  return torch::tensor(out, torch::kInt64);
}

torch::Tensor one_hot_targets(const torch::Tensor& labels, int64_t classes) {
  return torch::one_hot(labels, classes).to(torch::kFloat32);
}

// A whitespace-separated table: its cells as text, and the 1-based line of each row (blank
// lines are skipped).
struct TextTable {
  std::vector<std::vector<std::string>> rows;
  std::vector<int64_t> lines;
};

TextTable read_whitespace_table(const std::string& path, int64_t expected_columns) {
  std::ifstream in(path);
  if (!in) throw DataError(path, "", "cannot open file");
  TextTable table;
  std::string line;
  int64_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    std::istringstream fields(line);
    std::vector<std::string> row;
    std::string field;
    while (fields >> field) row.push_back(field);
    if (row.empty()) continue;
    if (static_cast<int64_t>(row.size()) != expected_columns) {
      throw DataError(path, "line " + std::to_string(number),
                      "expected " + std::to_string(expected_columns) + " columns, got " + std::to_string(row.size()));
    }
    table.rows.push_back(std::move(row));
    table.lines.push_back(number);
  }
  return table;
}

std::string line_column(int64_t line, int64_t column) {
  return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

}  // namespace

MultimodalDataset load_feature_csv(const YAML::Node& spec, const std::string& base_dir, const std::string& spec_source,
                                   bool renormalise) {
  OptionReader r(spec, spec_source);
  r.get<std::string>("format", "csv");
  const auto rel = r.get<std::string>("path", "");
  const auto subject_column = r.get<std::string>("subject_column", "subject");
  const auto trial_column = r.get<std::string>("trial_column", "");
  const auto label_column = r.get<std::string>("label_column", "");
  auto distribution_columns = r.get<std::vector<std::string>>("distribution_columns", {});
  auto classes = r.get<std::vector<std::string>>("classes", {});
  auto modality_nodes = r.node("modalities");
  r.get<std::vector<std::string>>("select", {});  // modality subset, applied by the caller
  renormalise = r.get<bool>("renormalise", false) || renormalise;
  r.finish();
  if (rel.empty()) throw OptionError(r.full("path"), "required: the feature CSV file");
  if (label_column.empty() == distribution_columns.empty()) {
    throw OptionError(r.full("label_column"), "give exactly one of label_column and distribution_columns");
  }
  if (!distribution_columns.empty() && distribution_columns.size() < 2) {
    throw OptionError(r.full("distribution_columns"), "lists 1 column; a label distribution needs at least 2 classes");
  }
  if (renormalise && distribution_columns.empty()) {
    throw OptionError(r.full("renormalise"), "applies to distribution_columns only (label_column gives one-hot rows)");
  }
  if (!modality_nodes.IsDefined() || !modality_nodes.IsSequence() || modality_nodes.size() == 0) {
    throw OptionError(r.full("modalities"), "required: a list of {name, role, prefix | columns}");
  }
  const fs::path csv_path = fs::path(rel).is_absolute() ? fs::path(rel) : fs::path(base_dir) / rel;
  const auto table = read_csv(csv_path.string());
  const std::string path = csv_path.string();
  if (table.rows.empty()) throw DataError(path, "", "no data rows");

  std::vector<std::string> subject_names;
  auto subjects = dense_ids(table, table.column(subject_column), &subject_names);
  auto trials = trial_column.empty() ? torch::arange(static_cast<int64_t>(table.rows.size()), torch::kInt64)
                                     : dense_ids(table, table.column(trial_column), nullptr);

  torch::Tensor targets, labels;
  std::string source_note = path;  // the source, with a note when rows were renormalised
  if (!label_column.empty()) {
    const auto col = table.column(label_column);
    if (classes.empty()) {
      std::set<std::string> distinct;
      for (const auto& row : table.rows) distinct.insert(row[col]);
      classes.assign(distinct.begin(), distinct.end());
      if (classes.size() < 2) {
        throw DataError(path, "column '" + label_column + "'",
                        "holds a single label ('" + classes.front() +
                            "'); at least 2 classes are needed (list them with the option classes)");
      }
    }
    if (classes.size() < 2) throw OptionError(r.full("classes"), "lists 1 class; at least 2 are needed");
    std::vector<int64_t> ids;
    for (size_t i = 0; i < table.rows.size(); ++i) {
      const auto& value = table.rows[i][col];
      auto it = std::find(classes.begin(), classes.end(), value);
      if (it != classes.end()) {
        ids.push_back(it - classes.begin());
        continue;
      }
      char* end = nullptr;
      long index = std::strtol(value.c_str(), &end, 10);
      if (!value.empty() && *end == '\0' && index >= 0 && index < static_cast<long>(classes.size())) {
        ids.push_back(index);
        continue;
      }
      throw DataError(path, "line " + std::to_string(table.lines[i]) + ", column '" + label_column + "'",
                      "label '" + value + "' is not one of the " + std::to_string(classes.size()) + " classes");
    }
    labels = torch::tensor(ids, torch::kInt64);
    targets = one_hot_targets(labels, static_cast<int64_t>(classes.size()));
  } else {
    std::vector<int64_t> cols;
    for (const auto& name : distribution_columns) cols.push_back(table.column(name));
    targets = numeric_columns(table, cols);
    if (renormalise) {
      // Negative or all-zero rows stay errors: only the scale of a row is repaired.
      auto bad = (targets < 0).any(1) | (targets.sum(1) <= 0);
      if (bad.any().item<bool>()) {
        const int64_t i = bad.nonzero()[0][0].item<int64_t>();
        throw DataError(path, "line " + std::to_string(table.lines[i]),
                        "distribution columns must be non-negative with a positive sum to be renormalised");
      }
      const int64_t changed = renormalise_rows(targets, path, "targets");
      source_note = note_renormalised(path, changed, targets.size(0));
    }
    if (classes.empty()) classes = distribution_columns;
    if (classes.size() != distribution_columns.size()) {
      throw OptionError(r.full("classes"), "must name one class per distribution column");
    }
  }

  std::vector<ModalitySpec> specs;
  std::vector<torch::Tensor> features;
  for (size_t m = 0; m < modality_nodes.size(); ++m) {
    OptionReader mr(modality_nodes[m], r.full("modalities") + "[" + std::to_string(m) + "]");
    ModalitySpec spec;
    spec.name = mr.get<std::string>("name", "");
    spec.role = role_from_name(mr.get<std::string>("role", "physiological"), mr.full("role"));
    const auto prefix = mr.get<std::string>("prefix", "");
    auto columns = mr.get<std::vector<std::string>>("columns", {});
    spec.shape = mr.get<std::vector<int64_t>>("shape", {});
    mr.finish();
    if (spec.name.empty()) throw OptionError(mr.full("name"), "required");
    std::vector<int64_t> idx;
    if (!prefix.empty()) {
      for (size_t c = 0; c < table.header.size(); ++c) {
        if (table.header[c].rfind(prefix, 0) == 0) idx.push_back(static_cast<int64_t>(c));
      }
    }
    for (const auto& c : columns) idx.push_back(table.column(c));
    if (idx.empty()) {
      throw DataError(path, "header", "no columns for modality '" + spec.name + "' (prefix '" + prefix + "')");
    }
    auto x = numeric_columns(table, idx);
    if (spec.shape.empty()) spec.shape = {x.size(1)};
    specs.push_back(spec);
    features.push_back(x);
  }
  MultimodalDataset dataset(std::move(specs), std::move(features), targets, subjects, trials, classes, source_note);
  if (labels.defined()) dataset.set_hard_labels(labels);
  dataset.set_subject_names(subject_names);
  return dataset;
}

MultimodalDataset load_wesad_features(const std::string& path, const std::string& columns) {
  if (columns != "informative" && columns != "all") {
    throw OptionError("data.columns", "expected informative or all, got '" + columns + "'");
  }
  const auto table = read_csv(path);
  if (table.rows.empty()) throw DataError(path, "", "no data rows");
  const bool informative = columns == "informative";
  struct Group {
    const char* name;
    ModalityRole role;
    std::vector<std::string> prefixes;
  };
  const std::vector<Group> groups{{"eda", ModalityRole::kPhysiological, {"EDA_"}},
                                  {"bvp", ModalityRole::kPhysiological, {"BVP_"}},
                                  {"temp", ModalityRole::kPhysiological, {"TEMP_"}},
                                  {"resp", ModalityRole::kPhysiological, {"Resp_"}},
                                  {"acc", ModalityRole::kBehavioural, {"ACC_", "net_acc_"}}};
  auto keep = [&](const std::string& column) {
    if (!informative) return true;
    return column.size() > 4 &&
           (column.compare(column.size() - 4, 4, "_std") == 0 || column == "BVP_peak_freq" || column == "TEMP_slope");
  };
  std::vector<ModalitySpec> specs;
  std::vector<torch::Tensor> features;
  for (const auto& g : groups) {
    std::vector<int64_t> idx;
    for (size_t c = 0; c < table.header.size(); ++c) {
      for (const auto& p : g.prefixes) {
        if (table.header[c].rfind(p, 0) == 0 && keep(table.header[c])) idx.push_back(static_cast<int64_t>(c));
      }
    }
    if (idx.empty()) throw DataError(path, "header", std::string("no columns for modality '") + g.name + "'");
    auto x = numeric_columns(table, idx);
    specs.push_back({g.name, g.role, {x.size(1)}});
    features.push_back(x);
  }
  // Labels are class indices: a fraction is an error, never rounded or truncated.
  const int64_t label_col = table.column("label");
  std::vector<int64_t> label_list;
  for (size_t i = 0; i < table.rows.size(); ++i) {
    const auto& text = table.rows[i][label_col];
    const double value = parse_number(text, path, table.lines[i], "label");
    if (value != 0 && value != 1 && value != 2) {
      throw DataError(path, "line " + std::to_string(table.lines[i]) + ", column 'label'",
                      "expected 0, 1 or 2, got '" + text + "'");
    }
    label_list.push_back(static_cast<int64_t>(value));
  }
  auto label_values = torch::tensor(label_list, torch::kInt64);
  // Subjects are WESAD's S2..S17: integers, so that "2" and "2.0" cannot become two subjects.
  const int64_t subject_col = table.column("subject");
  for (size_t i = 0; i < table.rows.size(); ++i) {
    parse_integer_in(table.rows[i][subject_col], path, "line " + std::to_string(table.lines[i]) + ", column 'subject'",
                     2, 17, "subject id");
  }
  std::vector<std::string> subject_names;
  auto subjects = dense_ids(table, subject_col, &subject_names);
  for (auto& s : subject_names) s = "S" + s;
  MultimodalDataset dataset(std::move(specs), std::move(features), one_hot_targets(label_values, 3), subjects,
                            label_values, {"amusement", "baseline", "stress"}, path);
  dataset.set_hard_labels(label_values);
  dataset.set_subject_names(subject_names);
  return dataset;
}

MultimodalDataset load_deap(const std::string& folder, const std::string& task) {
  if (task != "valence" && task != "arousal") {
    throw OptionError("data.task", "expected valence or arousal, got '" + task + "'");
  }
  const auto feature_path = (fs::path(folder) / "EEG_feature.txt").string();
  const auto subject_path = (fs::path(folder) / "subject_video.txt").string();
  const auto label_path = (fs::path(folder) / "valence_arousal_label.txt").string();
  auto features = read_whitespace_table(feature_path, 160);
  auto subject_video = read_whitespace_table(subject_path, 2);
  auto labels = read_whitespace_table(label_path, 2);
  if (subject_video.rows.size() != features.rows.size() || labels.rows.size() != features.rows.size()) {
    throw DataError(folder, "rows",
                    "EEG_feature.txt has " + std::to_string(features.rows.size()) + " rows, subject_video.txt " +
                        std::to_string(subject_video.rows.size()) + ", valence_arousal_label.txt " +
                        std::to_string(labels.rows.size()));
  }
  // DEAP: 32 participants (ids 1-32) watched 40 music videos (ids 1-40); labels 1 or 2.
  constexpr int64_t kSubjects = 32, kVideos = 40;
  const int64_t n = static_cast<int64_t>(features.rows.size());
  auto x = torch::empty({n, 160}, torch::kFloat32);
  auto xa = x.accessor<float, 2>();
  std::vector<int64_t> subjects, videos, classes;
  const int64_t label_column = task == "valence" ? 0 : 1;
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < 160; ++j) {
      xa[i][j] = parse_float32(features.rows[i][j], feature_path, features.lines[i], std::to_string(j + 1));
    }
    const int64_t sv_line = subject_video.lines[i];
    subjects.push_back(parse_integer_in(subject_video.rows[i][0], subject_path, line_column(sv_line, 1) + " (subject)",
                                        1, kSubjects, "subject id") -
                       1);
    videos.push_back(parse_integer_in(subject_video.rows[i][1], subject_path, line_column(sv_line, 2) + " (video)", 1,
                                      kVideos, "video id"));
    const int64_t value =
        parse_integer_in(labels.rows[i][label_column], label_path,
                         line_column(labels.lines[i], label_column + 1) + " (" + task + ")", 1, 2, "label");
    classes.push_back(value - 1);
  }
  // Band-major [N, 5 bands, 32 electrodes] -> channel-major [N, 32, 5].
  auto eeg = x.view({n, 5, 32}).permute({0, 2, 1}).contiguous();
  auto label_tensor = torch::tensor(classes, torch::kInt64);
  std::vector<std::string> names =
      task == "valence" ? std::vector<std::string>{"positive", "negative"} : std::vector<std::string>{"high", "low"};
  MultimodalDataset dataset({{"eeg", ModalityRole::kPhysiological, {32, 5}}}, {eeg}, one_hot_targets(label_tensor, 2),
                            torch::tensor(subjects, torch::kInt64), torch::tensor(videos, torch::kInt64), names,
                            folder);
  dataset.set_hard_labels(label_tensor);
  std::vector<std::string> subject_names;
  for (int64_t s = 1; s <= 32; ++s) subject_names.push_back("s" + std::to_string(s));
  dataset.set_subject_names(subject_names);
  return dataset;
}

}  // namespace emofuse::data
