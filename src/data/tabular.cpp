#include "data/tabular.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "core/error.h"
#include "core/io.h"
#include "core/options.h"

namespace fs = std::filesystem;

namespace emofuse::data {
namespace {

// Numeric matrix [rows, columns] of the named columns.
torch::Tensor numeric_columns(const CsvTable& t, const std::vector<int64_t>& columns) {
  auto out = torch::empty({static_cast<int64_t>(t.rows.size()), static_cast<int64_t>(columns.size())}, torch::kFloat32);
  auto acc = out.accessor<float, 2>();
  for (size_t r = 0; r < t.rows.size(); ++r) {
    for (size_t c = 0; c < columns.size(); ++c) {
      acc[r][c] = static_cast<float>(parse_number(t.rows[r][columns[c]], t.path, t.lines[r], t.header[columns[c]]));
    }
  }
  return out;
}

// Maps the string values of a column to dense ids in order of first appearance.
torch::Tensor dense_ids(const CsvTable& t, int64_t column, std::vector<std::string>* names) {
  std::map<std::string, int64_t> ids;
  std::vector<int64_t> out;
  for (const auto& row : t.rows) {
    auto it = ids.find(row[column]);
    if (it == ids.end()) {
      it = ids.emplace(row[column], static_cast<int64_t>(ids.size())).first;
      if (names) names->push_back(row[column]);
    }
    out.push_back(it->second);
  }
  return torch::tensor(out, torch::kInt64);
}

torch::Tensor one_hot_targets(const torch::Tensor& labels, int64_t classes) {
  return torch::one_hot(labels, classes).to(torch::kFloat32);
}

std::vector<std::vector<double>> read_whitespace_table(const std::string& path, int64_t expected_columns) {
  std::ifstream in(path);
  if (!in) throw DataError(path, "", "cannot open file");
  std::vector<std::vector<double>> rows;
  std::string line;
  int64_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    std::istringstream fields(line);
    std::vector<double> row;
    std::string field;
    while (fields >> field) row.push_back(parse_number(field, path, number, "column " + std::to_string(row.size() + 1)));
    if (row.empty()) continue;
    if (static_cast<int64_t>(row.size()) != expected_columns) {
      throw DataError(path, "line " + std::to_string(number),
                      "expected " + std::to_string(expected_columns) + " columns, got " + std::to_string(row.size()));
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace

MultimodalDataset load_feature_csv(const YAML::Node& spec, const std::string& base_dir,
                                   const std::string& spec_source) {
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
  r.finish();
  if (rel.empty()) throw OptionError(r.full("path"), "required: the feature CSV file");
  if (label_column.empty() == distribution_columns.empty()) {
    throw OptionError(r.full("label_column"), "give exactly one of label_column and distribution_columns");
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
  if (!label_column.empty()) {
    const auto col = table.column(label_column);
    if (classes.empty()) {
      std::set<std::string> distinct;
      for (const auto& row : table.rows) distinct.insert(row[col]);
      classes.assign(distinct.begin(), distinct.end());
    }
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
  MultimodalDataset dataset(std::move(specs), std::move(features), targets, subjects, trials, classes, path);
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
    return column.size() > 4 && (column.compare(column.size() - 4, 4, "_std") == 0 || column == "BVP_peak_freq" ||
                                 column == "TEMP_slope");
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
  auto label_values = numeric_columns(table, {table.column("label")}).flatten().to(torch::kInt64);
  if ((label_values < 0).any().item<bool>() || (label_values > 2).any().item<bool>()) {
    auto row = ((label_values < 0) | (label_values > 2)).nonzero()[0][0].item<int64_t>();
    throw DataError(path, "line " + std::to_string(table.lines[row]) + ", column 'label'", "expected 0, 1 or 2");
  }
  std::vector<std::string> subject_names;
  auto subjects = dense_ids(table, table.column("subject"), &subject_names);
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
  if (subject_video.size() != features.size() || labels.size() != features.size()) {
    throw DataError(folder, "rows", "EEG_feature.txt has " + std::to_string(features.size()) +
                                        " rows, subject_video.txt " + std::to_string(subject_video.size()) +
                                        ", valence_arousal_label.txt " + std::to_string(labels.size()));
  }
  const int64_t n = static_cast<int64_t>(features.size());
  auto x = torch::empty({n, 160}, torch::kFloat32);
  std::vector<int64_t> subjects, videos, classes;
  const int64_t label_column = task == "valence" ? 0 : 1;
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < 160; ++j) x[i][j] = features[i][j];
    subjects.push_back(static_cast<int64_t>(subject_video[i][0]) - 1);
    videos.push_back(static_cast<int64_t>(subject_video[i][1]));
    const auto value = static_cast<int64_t>(labels[i][label_column]);
    if (value != 1 && value != 2) {
      throw DataError(label_path, "line " + std::to_string(i + 1), "expected label 1 or 2, got " + std::to_string(value));
    }
    classes.push_back(value - 1);
  }
  // Band-major [N, 5 bands, 32 electrodes] -> channel-major [N, 32, 5].
  auto eeg = x.view({n, 5, 32}).permute({0, 2, 1}).contiguous();
  auto label_tensor = torch::tensor(classes, torch::kInt64);
  std::vector<std::string> names = task == "valence" ? std::vector<std::string>{"positive", "negative"}
                                                     : std::vector<std::string>{"high", "low"};
  MultimodalDataset dataset({{"eeg", ModalityRole::kPhysiological, {32, 5}}}, {eeg}, one_hot_targets(label_tensor, 2),
                            torch::tensor(subjects, torch::kInt64), torch::tensor(videos, torch::kInt64), names, folder);
  dataset.set_hard_labels(label_tensor);
  std::vector<std::string> subject_names;
  for (int64_t s = 1; s <= 32; ++s) subject_names.push_back("s" + std::to_string(s));
  dataset.set_subject_names(subject_names);
  return dataset;
}

}  // namespace emofuse::data
