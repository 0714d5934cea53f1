#include "signal/csv_recording.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <filesystem>
#include <map>

#include "core/error.h"
#include "core/io.h"
#include "signal/feature_sources.h"
#include "signal/recording_fields.h"
#include "signal/stats.h"

namespace emofuse::signal {
namespace {

namespace fs = std::filesystem;

// One row of the annotation CSV: a labelled interval in seconds; row k (1-based) is trial k.
struct Annotation {
  double start, end;
  std::string label;
};

// A recording CSV as read: its columns by channel and its samples.
struct Recording {
  std::string path;
  std::vector<std::string> original_header;   // as written (EEG names keep their case)
  std::size_t header_line = 0;                // 1-based
  std::map<std::string, std::size_t> column;  // channel (time, eda, ppg, ...) -> column
  std::vector<std::size_t> eeg_columns;       // "eeg_<name>" columns, in file order
  std::vector<std::vector<double>> data;      // [column][sample]
  std::vector<std::size_t> sample_lines;      // 1-based line of each sample
  std::size_t samples() const { return data.empty() ? 0 : data[0].size(); }
  bool has(const char* channel) const { return column.count(channel) > 0; }
  std::vector<double> channel(const char* name) const { return data[column.at(name)]; }
};

// Sampling rate and the time of the first sample (0 without a time column), in seconds.
struct RecordingClock {
  double sampling_rate = 0;
  double origin_s = 0;
};

// Reads `start,end,label` rows: end > start, a label, at least one row.
std::vector<Annotation> read_annotations(const std::string& annotation_csv) {
  std::vector<Annotation> annotations;
  const auto lines = split_lines(read_file(annotation_csv));
  bool header = false;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (is_blank(lines[i])) continue;
    const auto fields = split_fields(lines[i], ',');
    if (!header) {
      if (fields.size() != 3 || to_lower(fields[0]) != "start" || to_lower(fields[1]) != "end" ||
          to_lower(fields[2]) != "label") {
        throw DataError(annotation_csv, line_ref(i + 1), "expected the header 'start,end,label'");
      }
      header = true;
      continue;
    }
    if (fields.size() != 3) {
      throw DataError(annotation_csv, line_ref(i + 1), "expected 3 columns, got " + std::to_string(fields.size()));
    }
    const std::string k = "annotation " + std::to_string(annotations.size() + 1);
    Annotation a{parse_finite_field(fields[0], annotation_csv, i + 1, 1, k + " start"),
                 parse_finite_field(fields[1], annotation_csv, i + 1, 2, k + " end"), fields[2]};
    if (a.end <= a.start) throw DataError(annotation_csv, line_ref(i + 1), "end must be > start");
    if (a.label.empty()) throw DataError(annotation_csv, line_ref(i + 1), "empty label");
    annotations.push_back(a);
  }
  if (annotations.empty()) throw DataError(annotation_csv, "", "no annotations");
  return annotations;
}

// Maps the header's channel names (case-insensitive, with aliases) to columns.
void read_recording_header(Recording& r, const std::string& header_text) {
  r.original_header = split_fields(header_text, ',');
  std::vector<std::string> header = r.original_header;
  for (auto& h : header) h = to_lower(h);
  const std::map<std::string, std::string> aliases = {
      {"time", "time"}, {"eda", "eda"}, {"gsr", "eda"},   {"bvp", "ppg"},     {"ppg", "ppg"},     {"ecg", "ecg"},
      {"resp", "rsp"},  {"rsp", "rsp"}, {"temp", "temp"}, {"acc_x", "acc_x"}, {"acc_y", "acc_y"}, {"acc_z", "acc_z"}};
  for (std::size_t c = 0; c < header.size(); ++c) {
    if (header[c].rfind("eeg_", 0) == 0 && header[c].size() > 4) {
      r.eeg_columns.push_back(c);
      continue;
    }
    const auto it = aliases.find(header[c]);
    if (it == aliases.end()) {
      throw DataError(r.path, line_ref(r.header_line) + ", field " + std::to_string(c + 1),
                      "unknown channel '" + header[c] +
                          "' (expected time, eda/gsr, bvp/ppg, ecg, resp/rsp, temp, acc_x, acc_y, acc_z, eeg_<name>)");
    }
    if (r.column.count(it->second)) {
      throw DataError(r.path, line_ref(r.header_line), "channel '" + it->second + "' appears twice");
    }
    r.column[it->second] = c;
  }
  const int acc_axes = static_cast<int>(r.column.count("acc_x") + r.column.count("acc_y") + r.column.count("acc_z"));
  if (acc_axes != 0 && acc_axes != 3) {
    throw DataError(r.path, line_ref(r.header_line), "needs all of acc_x, acc_y, acc_z or none");
  }
}

// Reads a recording: a header row, then one row of numbers per sample (at least 2).
Recording read_recording(const std::string& recording_csv) {
  Recording r;
  r.path = recording_csv;
  const auto lines = split_lines(read_file(recording_csv));
  std::size_t first = 0;
  while (first < lines.size() && is_blank(lines[first])) ++first;
  if (first == lines.size()) throw DataError(recording_csv, "", "empty file");
  r.header_line = first + 1;
  read_recording_header(r, lines[first]);
  const std::size_t columns = r.original_header.size();
  r.data.assign(columns, {});
  std::size_t last_line = first + 1;
  for (std::size_t i = first + 1; i < lines.size(); ++i) {
    if (is_blank(lines[i])) continue;
    const auto fields = split_fields(lines[i], ',');
    if (fields.size() != columns) {
      throw DataError(recording_csv, line_ref(i + 1),
                      "expected " + std::to_string(columns) + " columns, got " + std::to_string(fields.size()));
    }
    for (std::size_t c = 0; c < fields.size(); ++c) {
      r.data[c].push_back(
          parse_sample_field(fields[c], recording_csv, i + 1, c + 1, r.original_header[c], r.data[c].size()));
    }
    r.sample_lines.push_back(i + 1);
    last_line = i + 1;
  }
  if (r.samples() < 2) throw DataError(recording_csv, line_ref(last_line), "truncated: fewer than 2 samples");
  return r;
}

// The sampling rate: from the time column when there is one (evenly stepped, agreeing with a
// given rate within 1 %), else `given_rate`.
RecordingClock recording_clock(const Recording& r, double given_rate) {
  RecordingClock clock{given_rate, 0.0};
  if (r.has("time")) {
    const std::size_t n = r.samples();
    const auto& t = r.data[r.column.at("time")];
    std::vector<double> steps;
    for (std::size_t i = 1; i < n; ++i) steps.push_back(t[i] - t[i - 1]);
    const double step = vector_quantile(steps, 0.5);
    if (!(step > 0)) throw DataError(r.path, "column 'time'", "time must increase");
    for (std::size_t i = 0; i < steps.size(); ++i) {
      if (std::abs(steps[i] - step) > 0.5 * step) {
        throw DataError(r.path, line_ref(r.sample_lines[i + 1]),
                        "time step " + std::to_string(steps[i]) + " s differs from the median step " +
                            std::to_string(step) + " s by more than 50 % (gap or jump)");
      }
    }
    // Rate from the whole span, so timestamps rounded to milliseconds still give 64 Hz.
    const double derived = static_cast<double>(n - 1) / (t.back() - t.front());
    if (given_rate > 0 && std::abs(derived - given_rate) > 0.01 * given_rate) {
      throw DataError(r.path, "column 'time'",
                      "time column gives " + std::to_string(derived) + " Hz, option sampling_rate says " +
                          std::to_string(given_rate));
    }
    if (clock.sampling_rate <= 0) clock.sampling_rate = derived;
    clock.origin_s = t.front();
  }
  if (clock.sampling_rate <= 0) {
    throw OptionError("sampling_rate", "must be given when " + r.path + " has no time column");
  }
  return clock;
}

// One source per signal the recording holds, and its modality in `table`; throws when none.
std::vector<PlacedSource> recording_sources(const Recording& r, const RecordingClock& clock, FeatureTable& table) {
  const double fs = clock.sampling_rate, t_origin = clock.origin_s;
  std::vector<PlacedSource> sources;
  if (r.has("eda")) {
    sources.push_back({eda_source(r.channel("eda"), fs, "EDA_"), t_origin});
    table.modalities.push_back({"eda", "physiological", "EDA_"});
  }
  if (r.has("ppg")) {
    sources.push_back({ppg_source(r.channel("ppg"), fs, "PPG_"), t_origin});
    table.modalities.push_back({"bvp", "physiological", "PPG_"});
  }
  if (r.has("ecg")) {
    sources.push_back({ecg_source(r.channel("ecg"), fs, "ECG_"), t_origin});
    table.modalities.push_back({"ecg", "physiological", "ECG_"});
  }
  if (r.has("rsp")) {
    sources.push_back({rsp_source(r.channel("rsp"), fs, "RSP_"), t_origin});
    table.modalities.push_back({"resp", "physiological", "RSP_"});
  }
  if (r.has("temp")) {
    sources.push_back({temp_source(r.channel("temp"), fs, "TEMP_"), t_origin});
    table.modalities.push_back({"temp", "physiological", "TEMP_"});
  }
  if (r.has("acc_x")) {  // the header has all three axes or none
    sources.push_back({acc_source(r.channel("acc_x"), r.channel("acc_y"), r.channel("acc_z"), fs, "ACC_"), t_origin});
    table.modalities.push_back({"acc", "behavioural", "ACC_"});
  }
  if (!r.eeg_columns.empty()) {
    std::vector<std::vector<double>> channels;
    std::vector<std::string> names;
    for (std::size_t c : r.eeg_columns) {
      channels.push_back(r.data[c]);
      names.push_back(r.original_header[c].substr(4));
    }
    sources.push_back({eeg_source(channels, names, fs), t_origin});
    table.modalities.push_back({"eeg", "physiological", "EEG_"});
  }
  if (sources.empty()) throw DataError(r.path, line_ref(r.header_line), "no signal columns");
  return sources;
}

// The class order: `given`, else the labels in order of first appearance; every label must be in it.
std::vector<std::string> annotation_classes(const std::vector<Annotation>& annotations,
                                            const std::vector<std::string>& given, const std::string& annotation_csv) {
  std::vector<std::string> classes = given;
  if (classes.empty()) {
    for (const auto& a : annotations) {
      if (std::find(classes.begin(), classes.end(), a.label) == classes.end()) classes.push_back(a.label);
    }
  }
  for (std::size_t k = 0; k < annotations.size(); ++k) {
    if (std::find(classes.begin(), classes.end(), annotations[k].label) == classes.end()) {
      throw DataError(annotation_csv, "annotation " + std::to_string(k + 1),
                      "label '" + annotations[k].label + "' is not in option classes");
    }
  }
  return classes;
}

}  // namespace

FeatureTable extract_csv_features(const std::string& recording_csv, const std::string& annotation_csv,
                                  const CsvRecordingOptions& options) {
  validate_window_options(options.window_s, options.step_s, options.hrv_context_s, options.sampling_rate);
  require_option(options.sampling_rate >= 0, "sampling_rate", "must be >= 0 (0 = from the time column)");
  const std::vector<Annotation> annotations = read_annotations(annotation_csv);  // small: first
  const Recording recording = read_recording(recording_csv);
  const RecordingClock clock = recording_clock(recording, options.sampling_rate);
  validate_window_options(options.window_s, options.step_s, options.hrv_context_s, clock.sampling_rate);

  FeatureTable table;
  const std::vector<PlacedSource> sources = recording_sources(recording, clock, table);
  table.feature_names = all_names(sources);
  table.classes = annotation_classes(annotations, options.classes, annotation_csv);
  const std::string subject = options.subject.empty() ? fs::path(recording_csv).stem().string() : options.subject;
  for (std::size_t k = 0; k < annotations.size(); ++k) {
    add_interval_windows(table, sources, subject, static_cast<int>(k) + 1, annotations[k].label, annotations[k].start,
                         annotations[k].end, options.window_s, options.step_s, options.hrv_context_s,
                         options.drop_incomplete);
  }
  return table;
}

}  // namespace emofuse::signal
