#include "signal/windows.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.h"

namespace emofuse::signal {

std::vector<Window> signal_windows(std::size_t n_samples, double sampling_rate, double window_s, double step_s,
                                   double start_s, double end_s) {
  require_option(sampling_rate > 0, "sampling_rate", "must be > 0");
  require_option(window_s > 0, "window_s", "must be > 0");
  require_option(step_s > 0, "step_s", "must be > 0");
  const double signal_end = static_cast<double>(n_samples) / sampling_rate;
  const double stop = end_s < 0 ? signal_end : std::min(end_s, signal_end);
  const std::size_t length = static_cast<std::size_t>(std::llround(window_s * sampling_rate));
  std::vector<Window> windows;
  for (std::size_t k = 0;; ++k) {
    const double t = start_s + static_cast<double>(k) * step_s;
    if (t + window_s > stop + 1e-9) break;
    const std::size_t begin = static_cast<std::size_t>(std::llround(t * sampling_rate));
    if (begin + length > n_samples) break;
    windows.push_back({begin, begin + length, t});
  }
  return windows;
}

Window time_range(std::size_t n_samples, double sampling_rate, double start_s, double end_s) {
  auto index = [&](double t) {
    const double i = std::round(t * sampling_rate);
    return static_cast<std::size_t>(std::clamp(i, 0.0, static_cast<double>(n_samples)));
  };
  return {index(start_s), index(end_s), start_s};
}

void FeatureTable::append(const std::string& subject_id, int trial_id, double time_s, const std::string& label_name,
                          std::vector<double> values) {
  if (values.size() != feature_names.size()) {
    throw Error("FeatureTable::append: row has " + std::to_string(values.size()) + " values, table has " +
                std::to_string(feature_names.size()) + " features");
  }
  rows.push_back(std::move(values));
  subject.push_back(subject_id);
  trial.push_back(trial_id);
  time.push_back(time_s);
  label.push_back(label_name);
}

void FeatureTable::extend(const FeatureTable& other) {
  if (feature_names.empty() && rows.empty()) {
    feature_names = other.feature_names;
  } else if (feature_names != other.feature_names) {
    throw Error("FeatureTable::extend: the tables have different feature columns (" +
                std::to_string(feature_names.size()) + " vs " + std::to_string(other.feature_names.size()) + ")");
  }
  for (std::size_t r = 0; r < other.rows.size(); ++r) {
    append(other.subject[r], other.trial[r], other.time[r], other.label[r], other.rows[r]);
  }
  for (const auto& c : other.classes) {
    if (std::find(classes.begin(), classes.end(), c) == classes.end()) classes.push_back(c);
  }
  for (const auto& m : other.modalities) {
    const bool present = std::any_of(modalities.begin(), modalities.end(),
                                     [&](const FeatureModality& x) { return x.prefix == m.prefix; });
    if (!present) modalities.push_back(m);
  }
}

namespace {

std::string format_value(double v) {
  if (!std::isfinite(v)) return "nan";
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.10g", v);
  return buffer;
}

// YAML flow-style scalar in double quotes.
std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// Plain YAML scalar when it is made of letters, digits, '_', '-', '.' or inner spaces; quoted
// otherwise (":", "[", "#", ... would change the meaning of the flow sequence).
std::string yaml_scalar(const std::string& s) {
  const bool plain = !s.empty() && s.front() != ' ' && s.back() != ' ' && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.' || c == ' ';
  });
  return plain ? s : quoted(s);
}

void write_file(const std::filesystem::path& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw Error("cannot open " + path.string() + " for writing");
  out << content;
  out.flush();
  if (!out) throw Error("write failed: " + path.string());
}

}  // namespace

void write_feature_dataset(const FeatureTable& table, const std::string& out_dir) {
  // Validate everything before touching the file system.
  const std::size_t n = table.rows.size();
  if (table.subject.size() != n || table.trial.size() != n || table.time.size() != n || table.label.size() != n) {
    throw Error("write_feature_dataset: subject/trial/time/label columns must have " + std::to_string(n) + " entries");
  }
  if (table.classes.empty()) throw Error("write_feature_dataset: table.classes is empty");
  for (std::size_t r = 0; r < n; ++r) {
    if (table.rows[r].size() != table.feature_names.size()) {
      throw Error("write_feature_dataset: row " + std::to_string(r) + " has " + std::to_string(table.rows[r].size()) +
                  " values, expected " + std::to_string(table.feature_names.size()));
    }
    if (std::find(table.classes.begin(), table.classes.end(), table.label[r]) == table.classes.end()) {
      throw Error("write_feature_dataset: row " + std::to_string(r) + " has label '" + table.label[r] +
                  "' which is not in classes");
    }
  }
  for (const auto& m : table.modalities) {
    const bool used = std::any_of(table.feature_names.begin(), table.feature_names.end(),
                                  [&](const std::string& f) { return f.rfind(m.prefix, 0) == 0; });
    if (!used)
      throw Error("write_feature_dataset: modality '" + m.name + "' prefix '" + m.prefix +
                  "' matches no feature column");
  }
  auto check_csv_text = [](const std::string& what, const std::string& text) {
    if (text.empty() || text.find_first_of(",\"\r\n") != std::string::npos) {
      throw Error("write_feature_dataset: " + what + " '" + text + "' is empty or contains a comma, quote or newline");
    }
  };
  for (const auto& name : table.feature_names) check_csv_text("feature name", name);
  for (const auto& c : table.classes) check_csv_text("class", c);
  for (std::size_t r = 0; r < n; ++r) check_csv_text("subject of row " + std::to_string(r), table.subject[r]);

  std::ostringstream csv;
  csv << "subject,trial,time,label";
  for (const auto& name : table.feature_names) csv << ',' << name;
  csv << '\n';
  for (std::size_t r = 0; r < n; ++r) {
    csv << table.subject[r] << ',' << table.trial[r] << ',' << format_value(table.time[r]) << ',' << table.label[r];
    for (double v : table.rows[r]) csv << ',' << format_value(v);
    csv << '\n';
  }

  std::ostringstream yaml;
  yaml << "format: csv\n"
       << "path: features.csv            # relative to this yaml\n"
       << "subject_column: subject\n"
       << "trial_column: trial\n"
       << "label_column: label           # class names -> one-hot targets\n"
       << "classes: [";
  for (std::size_t c = 0; c < table.classes.size(); ++c) {
    yaml << (c ? ", " : "") << yaml_scalar(table.classes[c]);
  }
  yaml << "]   # order of the target columns\n"
       << "modalities:\n";
  for (const auto& m : table.modalities) {
    yaml << "  - {name: " << yaml_scalar(m.name) << ", role: " << yaml_scalar(m.role)
         << ", prefix: " << quoted(m.prefix) << "}\n";
  }

  namespace fs = std::filesystem;
  const fs::path dir(out_dir);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw Error("cannot create directory " + out_dir + ": " + ec.message());
  const fs::path csv_tmp = dir / ".features.csv.tmp";
  const fs::path yaml_tmp = dir / ".dataset.yaml.tmp";
  try {
    write_file(csv_tmp, csv.str());
    write_file(yaml_tmp, yaml.str());
    fs::rename(csv_tmp, dir / "features.csv");
    fs::rename(yaml_tmp, dir / "dataset.yaml");
  } catch (const std::exception& e) {
    fs::remove(csv_tmp, ec);
    fs::remove(yaml_tmp, ec);
    throw Error(std::string("write_feature_dataset: ") + e.what());
  }
}

}  // namespace emofuse::signal
