#include "signal/datasets.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <sstream>

#include "core/error.h"
#include "signal/ecg.h"
#include "signal/eda.h"
#include "signal/eeg.h"
#include "signal/filter.h"
#include "signal/ppg.h"
#include "signal/rsp_temp_acc.h"
#include "signal/stats.h"

namespace emofuse::signal {
namespace {

namespace fs = std::filesystem;

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw DataError(path, "", "cannot open file");
  const std::streamsize size = in.tellg();
  std::string text(static_cast<std::size_t>(std::max<std::streamsize>(size, 0)), '\0');
  in.seekg(0);
  if (size > 0 && !in.read(text.data(), size)) throw DataError(path, "", "read failed");
  return text;
}

// Lines without their '\r\n' / '\n'; line numbers are index + 1.
std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
    start = end + 1;
  }
  return lines;
}

std::string trim(const std::string& s) {
  std::size_t a = 0, b = s.size();
  while (a < b && std::isspace(static_cast<unsigned char>(s[a]))) ++a;
  while (b > a && std::isspace(static_cast<unsigned char>(s[b - 1]))) --b;
  return s.substr(a, b - a);
}

std::vector<std::string> split(const std::string& line, char sep) {
  std::vector<std::string> fields;
  std::size_t start = 0;
  while (true) {
    const std::size_t end = line.find(sep, start);
    fields.push_back(trim(line.substr(start, end == std::string::npos ? std::string::npos : end - start)));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return fields;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string where(std::size_t line) { return "line " + std::to_string(line); }

double parse_number(const std::string& field, const std::string& file, std::size_t line,
                    std::size_t column) {
  const std::string f = trim(field);
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(f.c_str(), &end);
  if (f.empty() || end != f.c_str() + f.size() || errno == ERANGE) {
    throw DataError(file, where(line) + ", field " + std::to_string(column),
                    "expected a number, got '" + f + "'");
  }
  return v;
}

bool blank(const std::string& line) { return trim(line).empty(); }

// A finite number: NaN or Inf in a recording is reported where it is (file, line, field and
// `context`, e.g. "signal eda, sample index 17") instead of surfacing later as windows that all
// fail.
double parse_finite(const std::string& field, const std::string& file, std::size_t line, std::size_t column,
                    const std::string& context) {
  const double v = parse_number(field, file, line, column);
  if (!std::isfinite(v)) {
    throw DataError(file, where(line) + ", field " + std::to_string(column) + " (" + context + ")",
                    "'" + trim(field) + "' is not a finite number; recordings must not contain NaN or Inf");
  }
  return v;
}

// parse_finite for one sample of a recording; the context is built only for the error, as this
// runs once per value of recordings with millions of samples.
double parse_sample(const std::string& field, const std::string& file, std::size_t line, std::size_t column,
                    const std::string& signal, std::size_t sample) {
  const double v = parse_number(field, file, line, column);
  if (std::isfinite(v)) return v;
  return parse_finite(field, file, line, column, "signal " + signal + ", sample index " + std::to_string(sample));
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// WESAD readers

E4Channel read_e4_csv(const std::string& path, std::size_t expected_columns) {
  const std::vector<std::string> lines = split_lines(read_text(path));
  E4Channel out;
  out.columns.assign(expected_columns, {});
  // Signal names for errors: the file's stem ("BVP"), with the column for ACC's three axes.
  std::vector<std::string> signals;
  for (std::size_t c = 0; c < expected_columns; ++c) {
    signals.push_back(fs::path(path).stem().string() + (expected_columns > 1 ? " column " + std::to_string(c + 1) : ""));
  }
  std::size_t row = 0;  // non-blank rows seen
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (blank(lines[i])) continue;
    const std::vector<std::string> fields = split(lines[i], ',');
    if (fields.size() != expected_columns) {
      throw DataError(path, where(i + 1), "expected " + std::to_string(expected_columns) +
                                              " columns, got " + std::to_string(fields.size()));
    }
    std::vector<double> values(fields.size());
    for (std::size_t c = 0; c < fields.size(); ++c) {
      // Rows 0 and 1 are the start time and the sampling rate, then sample index row - 2.
      const std::string& signal = signals[c];
      values[c] = row < 2 ? parse_finite(fields[c], path, i + 1, c + 1,
                                         "signal " + signal + (row == 0 ? ", start time" : ", sampling rate"))
                          : parse_sample(fields[c], path, i + 1, c + 1, signal, row - 2);
    }
    if (row == 0) {
      out.start_time_unix = values[0];
    } else if (row == 1) {
      out.sampling_rate = values[0];
      for (double r : values) {
        if (r <= 0 || r != values[0]) {
          throw DataError(path, where(i + 1), "sampling rate must be > 0 and equal for all columns");
        }
      }
    } else {
      for (std::size_t c = 0; c < fields.size(); ++c) out.columns[c].push_back(values[c]);
    }
    ++row;
  }
  if (row < 3) {
    throw DataError(path, where(lines.size()),
                    "truncated: expected a start-time row, a sampling-rate row and samples");
  }
  return out;
}

namespace {

// Channel order from the OpenSignals header: the list after "label":.
std::vector<std::string> respiban_labels(const std::string& header) {
  const std::size_t key = header.find("\"label\"");
  if (key == std::string::npos) return {};
  const std::size_t open = header.find('[', key), close = header.find(']', key);
  if (open == std::string::npos || close == std::string::npos || close < open) return {};
  std::vector<std::string> labels;
  for (const std::string& f : split(header.substr(open + 1, close - open - 1), ',')) {
    std::string s = f;
    s.erase(std::remove(s.begin(), s.end(), '"'), s.end());
    labels.push_back(trim(s));
  }
  return labels;
}

}  // namespace

RespibanRecording read_respiban(const std::string& path) {
  const std::string text = read_text(path);
  RespibanRecording out;
  std::vector<std::string> labels = {"ECG", "EDA", "EMG", "TEMP", "XYZ", "XYZ", "XYZ", "RESPIRATION"};
  const double vcc = 3.0, chan_bit = 65536.0, cmin = 28000.0, cmax = 38000.0;
  std::size_t pos = 0, line_no = 0;
  std::vector<std::vector<double>*> targets;
  auto resolve_targets = [&]() {
    targets.clear();
    int xyz = 0;
    for (const std::string& l : labels) {
      if (l == "ECG") targets.push_back(&out.ecg);
      else if (l == "EDA") targets.push_back(&out.eda);
      else if (l == "EMG") targets.push_back(&out.emg);
      else if (l == "TEMP") targets.push_back(&out.temp);
      else if (l == "RESPIRATION" || l == "RESP") targets.push_back(&out.resp);
      else if (l == "XYZ" && xyz < 3) {
        std::vector<double>* axes[3] = {&out.acc_x, &out.acc_y, &out.acc_z};
        targets.push_back(axes[xyz++]);
      }
      else throw DataError(path, "header", "unknown channel label '" + l + "'");
    }
    if (targets.size() != 8 || xyz != 3) {
      throw DataError(path, "header", "expected 8 channels ECG, EDA, EMG, TEMP, XYZ x3, RESPIRATION");
    }
  };
  resolve_targets();
  std::vector<std::vector<std::uint16_t>> raw(8);  // 16-bit ADC values
  for (auto& r : raw) r.reserve(text.size() / 32);   // a sample row is ~40 characters
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    ++line_no;
    const char* p = text.c_str() + pos;
    const char* line_end = text.c_str() + end;
    pos = end + 1;
    while (p < line_end && (*p == ' ' || *p == '\t' || *p == '\r')) ++p;
    if (p == line_end) continue;
    if (*p == '#') {
      const std::string header(p, line_end);
      const auto found = respiban_labels(header);
      if (!found.empty()) {
        labels = found;
        resolve_targets();
      }
      const std::size_t rate = header.find("\"sampling rate\"");
      if (rate != std::string::npos) {
        const double fs = std::strtod(header.c_str() + header.find(':', rate) + 1, nullptr);
        if (fs != 700.0) {
          throw DataError(path, where(line_no), "expected sampling rate 700 Hz, got " + std::to_string(fs));
        }
      }
      continue;
    }
    long values[10];
    int count = 0;
    while (p < line_end) {
      char* next = nullptr;
      const long v = std::strtol(p, &next, 10);
      if (next == p || (next < line_end && !std::isspace(static_cast<unsigned char>(*next)))) {
        throw DataError(path, where(line_no) + ", field " + std::to_string(count + 1),
                        "expected an integer ADC value");
      }
      if (count < 10) values[count] = v;
      ++count;
      p = next;
      while (p < line_end && std::isspace(static_cast<unsigned char>(*p))) ++p;
    }
    if (count != 10) {
      throw DataError(path, where(line_no), "expected 10 columns (nSeq, DI, 8 channels), got " +
                                                std::to_string(count));
    }
    for (int c = 0; c < 8; ++c) {
      if (values[c + 2] < 0 || values[c + 2] > 65535) {
        throw DataError(path, where(line_no) + ", field " + std::to_string(c + 3),
                        "ADC value " + std::to_string(values[c + 2]) + " outside [0, 65535]");
      }
      raw[c].push_back(static_cast<std::uint16_t>(values[c + 2]));
    }
  }
  if (raw[0].empty()) throw DataError(path, where(line_no), "truncated: no samples");
  // WESAD readme transfer functions (signal = raw ADC value).
  for (int c = 0; c < 8; ++c) {
    std::vector<double>& dst = *targets[c];
    dst.resize(raw[c].size());
    for (std::size_t i = 0; i < raw[c].size(); ++i) {
      const double s = static_cast<double>(raw[c][i]);
      if (&dst == &out.ecg || &dst == &out.emg) {
        dst[i] = (s / chan_bit - 0.5) * vcc;  // mV
      } else if (&dst == &out.eda) {
        dst[i] = (s / chan_bit) * vcc / 0.12;  // uS
      } else if (&dst == &out.temp) {
        const double vout = s * vcc / (chan_bit - 1.0);
        const double rntc = 1e4 * vout / (vcc - vout);
        const double l = std::log(rntc);
        dst[i] = -273.15 + 1.0 / (1.12764514e-3 + 2.34282709e-4 * l + 8.77303013e-8 * l * l * l);
      } else if (&dst == &out.resp) {
        dst[i] = (s / chan_bit - 0.5) * 100.0;  // %
      } else {
        dst[i] = (s - cmin) / (cmax - cmin) * 2.0 - 1.0;  // g
      }
    }
  }
  return out;
}

namespace {

double parse_minutes_seconds(const std::string& field, const std::string& file, std::size_t line,
                             std::size_t column) {
  const std::string f = trim(field);
  const std::size_t dot = f.find('.');
  const std::string mins = f.substr(0, dot), secs = dot == std::string::npos ? "" : f.substr(dot + 1);
  auto digits = [](const std::string& s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
  };
  if (!digits(mins) || (!secs.empty() && (!digits(secs) || secs.size() > 2))) {
    throw DataError(file, where(line) + ", field " + std::to_string(column),
                    "expected a time as minutes.seconds (e.g. 7.08), got '" + f + "'");
  }
  // "7.1" reads as the number 7.10: one digit means tens of seconds.
  const int s = secs.empty() ? 0 : (secs.size() == 1 ? 10 * std::stoi(secs) : std::stoi(secs));
  if (s >= 60) {
    throw DataError(file, where(line) + ", field " + std::to_string(column),
                    "seconds must be < 60 in '" + f + "'");
  }
  return 60.0 * std::stoi(mins) + s;
}

}  // namespace

std::vector<WesadCondition> read_wesad_quest(const std::string& path) {
  const std::vector<std::string> lines = split_lines(read_text(path));
  std::vector<std::string> order, starts, ends;
  std::size_t order_line = 0, start_line = 0, end_line = 0;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    std::vector<std::string> fields = split(lines[i], ';');
    const std::string key = fields.front();
    fields.erase(fields.begin());
    while (!fields.empty() && fields.back().empty()) fields.pop_back();
    if (key == "# ORDER") { order = fields; order_line = i + 1; }
    else if (key == "# START") { starts = fields; start_line = i + 1; }
    else if (key == "# END") { ends = fields; end_line = i + 1; }
  }
  if (!order_line) throw DataError(path, "", "missing '# ORDER' row");
  if (!start_line) throw DataError(path, "", "missing '# START' row");
  if (!end_line) throw DataError(path, "", "missing '# END' row");
  if (starts.size() < order.size()) {
    throw DataError(path, where(start_line), "expected " + std::to_string(order.size()) +
                                                 " start times, got " + std::to_string(starts.size()));
  }
  if (ends.size() < order.size()) {
    throw DataError(path, where(end_line), "expected " + std::to_string(order.size()) +
                                               " end times, got " + std::to_string(ends.size()));
  }
  const std::map<std::string, std::string> labels = {{"Base", "baseline"}, {"TSST", "stress"},
                                                     {"Fun", "amusement"}, {"Medi 1", "meditation"},
                                                     {"Medi 2", "meditation"}};
  std::vector<WesadCondition> out;
  for (std::size_t k = 0; k < order.size(); ++k) {
    const std::string& name = order[k];
    if (name == "sRead" || name == "fRead" || name == "bRead") continue;
    const auto it = labels.find(name);
    if (it == labels.end()) {
      throw DataError(path, where(order_line) + ", field " + std::to_string(k + 2),
                      "unknown condition '" + name + "' (expected Base, TSST, Fun, Medi 1, Medi 2, sRead, fRead, bRead)");
    }
    WesadCondition c;
    c.name = name;
    c.label = it->second;
    c.trial = static_cast<int>(out.size()) + 1;
    c.start_s = parse_minutes_seconds(starts[k], path, start_line, k + 2);
    c.end_s = parse_minutes_seconds(ends[k], path, end_line, k + 2);
    if (c.end_s <= c.start_s) {
      throw DataError(path, where(end_line) + ", field " + std::to_string(k + 2),
                      "condition '" + name + "' ends before it starts");
    }
    out.push_back(c);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Feature extraction shared by both layouts

namespace {

// A processed stream that yields its features for a window [t0, t0 + window) with a context
// [c0, c1) (seconds on the stream's own clock); returns {} when the stream does not cover it.
struct FeatureSource {
  std::vector<std::string> names;
  std::function<std::vector<double>(double t0, double window, double c0, double c1)> features;
};

// Sample range of [t0, t0 + window) or {0, 0} when it is not fully inside n samples.
std::pair<std::size_t, std::size_t> window_samples(std::size_t n, double fs, double t0, double window) {
  if (t0 < -1e-9) return {0, 0};
  const std::size_t begin = static_cast<std::size_t>(std::llround(t0 * fs));
  const std::size_t end = begin + static_cast<std::size_t>(std::llround(window * fs));
  if (end > n || end <= begin) return {0, 0};
  return {begin, end};
}

FeatureSource eda_source(std::vector<double> eda, double fs, const std::string& prefix) {
  auto processed = std::make_shared<EdaProcessed>(eda_process(eda, fs));
  return {eda_feature_names(prefix), [processed, fs](double t0, double w, double, double) {
            const auto [b, e] = window_samples(processed->clean.size(), fs, t0, w);
            return e ? eda_window_features(*processed, b, e) : std::vector<double>{};
          }};
}

FeatureSource ppg_source(const std::vector<double>& ppg, double fs, const std::string& prefix) {
  auto processed = std::make_shared<PpgProcessed>(ppg_process(ppg, fs));
  return {ppg_feature_names(prefix), [processed, fs](double t0, double w, double c0, double c1) {
            const std::size_t n = processed->clean.size();
            const auto [b, e] = window_samples(n, fs, t0, w);
            if (!e) return std::vector<double>{};
            const Window ctx = time_range(n, fs, c0, c1);
            return ppg_window_features(*processed, b, e, ctx.begin, ctx.end);
          }};
}

FeatureSource ecg_source(const std::vector<double>& ecg, double fs, const std::string& prefix) {
  auto processed = std::make_shared<EcgProcessed>(ecg_process(ecg, fs));
  return {ecg_feature_names(prefix), [processed, fs](double t0, double w, double c0, double c1) {
            const std::size_t n = processed->clean.size();
            const auto [b, e] = window_samples(n, fs, t0, w);
            if (!e) return std::vector<double>{};
            const Window ctx = time_range(n, fs, c0, c1);
            return ecg_window_features(*processed, b, e, ctx.begin, ctx.end);
          }};
}

FeatureSource rsp_source(const std::vector<double>& rsp, double fs, const std::string& prefix) {
  auto processed = std::make_shared<RspProcessed>(rsp_process(rsp, fs));
  return {rsp_feature_names(prefix), [processed, fs](double t0, double w, double, double) {
            const auto [b, e] = window_samples(processed->clean.size(), fs, t0, w);
            return e ? rsp_window_features(*processed, b, e) : std::vector<double>{};
          }};
}

FeatureSource temp_source(std::vector<double> temp, double fs, const std::string& prefix) {
  auto data = std::make_shared<std::vector<double>>(std::move(temp));
  return {temp_feature_names(prefix), [data, fs](double t0, double w, double, double) {
            const auto [b, e] = window_samples(data->size(), fs, t0, w);
            return e ? temp_window_features(*data, fs, b, e) : std::vector<double>{};
          }};
}

FeatureSource acc_source(std::vector<double> x, std::vector<double> y, std::vector<double> z,
                         double fs, const std::string& prefix) {
  auto data = std::make_shared<std::array<std::vector<double>, 3>>(
      std::array<std::vector<double>, 3>{std::move(x), std::move(y), std::move(z)});
  return {acc_feature_names(prefix), [data, fs](double t0, double w, double, double) {
            const auto [b, e] = window_samples((*data)[0].size(), fs, t0, w);
            return e ? acc_window_features((*data)[0], (*data)[1], (*data)[2], b, e) : std::vector<double>{};
          }};
}

// A source living on a clock shifted by `offset_s` (stream time = recording time - offset).
struct PlacedSource {
  FeatureSource source;
  double offset_s = 0;
};

std::vector<std::string> all_names(const std::vector<PlacedSource>& sources) {
  std::vector<std::string> names;
  for (const auto& s : sources) names.insert(names.end(), s.source.names.begin(), s.source.names.end());
  return names;
}

// Appends the windows of the labelled interval [start_s, end_s) to `table`. Returns the
// number of windows dropped (not covered by every stream, or non-finite with drop_incomplete).
std::size_t add_interval_windows(FeatureTable& table, const std::vector<PlacedSource>& sources,
                                 const std::string& subject, int trial, const std::string& label,
                                 double start_s, double end_s, double window_s, double step_s,
                                 double context_s, bool drop_incomplete) {
  std::size_t dropped = 0;
  for (std::size_t k = 0;; ++k) {
    const double t0 = start_s + static_cast<double>(k) * step_s;
    if (t0 + window_s > end_s + 1e-9) break;
    const double center = t0 + window_s / 2;
    const double c0 = std::max(start_s, center - context_s / 2);
    const double c1 = std::min(end_s, center + context_s / 2);
    std::vector<double> row;
    bool covered = true;
    for (const auto& s : sources) {
      const auto values = s.source.features(t0 - s.offset_s, window_s, c0 - s.offset_s, c1 - s.offset_s);
      if (values.empty()) { covered = false; break; }
      row.insert(row.end(), values.begin(), values.end());
    }
    const bool finite = covered && std::all_of(row.begin(), row.end(), [](double v) { return std::isfinite(v); });
    if (!covered || (drop_incomplete && !finite)) { ++dropped; continue; }
    table.append(subject, trial, t0, label, std::move(row));
  }
  return dropped;
}

// Window options checked against the fastest stream's sampling rate (0 = not known yet): a step
// below one sample only repeats windows, and a tiny one (1e-9 s) would make the window loop run
// for days.
void validate_window_options(double window_s, double step_s, double context_s, double fastest_rate_hz) {
  require_option(window_s > 0, "window_s", "must be > 0");
  require_option(step_s > 0, "step_s", "must be > 0");
  require_option(context_s >= window_s, "hrv_context_s", "must be >= window_s");
  if (fastest_rate_hz > 0) {
    require_option(step_s * fastest_rate_hz >= 1.0, "step_s",
                   "must be at least one sample (" + std::to_string(1.0 / fastest_rate_hz) + " s at " +
                       std::to_string(fastest_rate_hz) + " Hz), got " + std::to_string(step_s) + " s");
  }
}

}  // namespace

FeatureTable extract_wesad_features(const std::string& wesad_root, const WesadFeatureOptions& options) {
  constexpr double kFastestWesadRateHz = 700.0;  // the chest device; the wrist's E4 is slower
  validate_window_options(options.window_s, options.step_s, options.hrv_context_s, kFastestWesadRateHz);
  require_option(options.wrist || options.chest, "wrist/chest", "at least one must be true");
  std::vector<std::string> subjects = options.subjects;
  if (subjects.empty()) {
    std::error_code ec;
    if (!fs::is_directory(wesad_root, ec)) throw DataError(wesad_root, "", "not a directory");
    for (const auto& entry : fs::directory_iterator(wesad_root)) {
      const std::string name = entry.path().filename().string();
      if (entry.is_directory() && name.size() > 1 && name[0] == 'S' &&
          std::all_of(name.begin() + 1, name.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
        subjects.push_back(name);
      }
    }
    std::sort(subjects.begin(), subjects.end(), [](const std::string& a, const std::string& b) {
      return std::stoi(a.substr(1)) < std::stoi(b.substr(1));
    });
    if (subjects.empty()) throw DataError(wesad_root, "", "no S<k> subject folders found");
  }

  FeatureTable table;
  table.classes = {"baseline", "stress", "amusement", "meditation"};
  if (options.wrist) {
    table.modalities.push_back({"eda", "physiological", "EDA_"});
    table.modalities.push_back({"bvp", "physiological", "PPG_"});
    table.modalities.push_back({"acc", "behavioural", "ACC_"});
    table.modalities.push_back({"temp", "physiological", "TEMP_"});
  }
  if (options.chest) {
    table.modalities.push_back({"ecg", "physiological", "ECG_"});
    table.modalities.push_back({"resp", "physiological", "RSP_"});
    table.modalities.push_back({"chest_eda", "physiological", "CHEST_EDA_"});
    table.modalities.push_back({"chest_temp", "physiological", "CHEST_TEMP_"});
    table.modalities.push_back({"chest_acc", "behavioural", "CHEST_ACC_"});
  }

  for (const std::string& id : subjects) {
    const fs::path dir = fs::path(wesad_root) / id;
    const auto conditions = read_wesad_quest((dir / (id + "_quest.csv")).string());
    std::vector<PlacedSource> sources;
    if (options.wrist) {
      const fs::path e4 = dir / (id + "_E4_Data");
      auto read = [&](const char* file, std::size_t columns, double rate) {
        const std::string path = (e4 / file).string();
        E4Channel c = read_e4_csv(path, columns);
        if (c.sampling_rate != rate) {
          throw DataError(path, "line 2", "expected sampling rate " + std::to_string(rate) +
                                              " Hz, got " + std::to_string(c.sampling_rate));
        }
        return c;
      };
      E4Channel acc = read("ACC.csv", 3, 32.0), bvp = read("BVP.csv", 1, 64.0);
      E4Channel eda = read("EDA.csv", 1, 4.0), temp = read("TEMP.csv", 1, 4.0);
      for (auto& axis : acc.columns) for (double& v : axis) v /= 64.0;  // 1/64 g -> g
      const double off = options.e4_offset_s;
      sources.push_back({eda_source(eda.columns[0], 4.0, "EDA_"), off});
      sources.push_back({ppg_source(bvp.columns[0], 64.0, "PPG_"), off});
      sources.push_back({acc_source(acc.columns[0], acc.columns[1], acc.columns[2], 32.0, "ACC_"), off});
      sources.push_back({temp_source(temp.columns[0], 4.0, "TEMP_"), off});
    }
    if (options.chest) {
      RespibanRecording r = read_respiban((dir / (id + "_respiban.txt")).string());
      sources.push_back({ecg_source(r.ecg, 700.0, "ECG_"), 0.0});
      sources.push_back({rsp_source(r.resp, 700.0, "RSP_"), 0.0});
      // Chest EDA is brought to 32 Hz first (anti-aliased); its content lies below 3 Hz.
      sources.push_back({eda_source(signal_resample(r.eda, 700.0, 32.0), 32.0, "CHEST_EDA_"), 0.0});
      sources.push_back({temp_source(signal_resample(r.temp, 700.0, 32.0), 32.0, "CHEST_TEMP_"), 0.0});
      sources.push_back({acc_source(std::move(r.acc_x), std::move(r.acc_y), std::move(r.acc_z), 700.0, "CHEST_ACC_"), 0.0});
    }
    if (table.feature_names.empty()) table.feature_names = all_names(sources);
    for (const auto& c : conditions) {
      add_interval_windows(table, sources, id, c.trial, c.label, c.start_s, c.end_s, options.window_s,
                           options.step_s, options.hrv_context_s, options.drop_incomplete);
    }
  }
  return table;
}

FeatureTable extract_csv_features(const std::string& recording_csv, const std::string& annotation_csv,
                                  const CsvRecordingOptions& options) {
  validate_window_options(options.window_s, options.step_s, options.hrv_context_s, options.sampling_rate);
  require_option(options.sampling_rate >= 0, "sampling_rate", "must be >= 0 (0 = from the time column)");

  // Annotations first (small): start,end,label.
  struct Annotation { double start, end; std::string label; };
  std::vector<Annotation> annotations;
  {
    const auto lines = split_lines(read_text(annotation_csv));
    bool header = false;
    for (std::size_t i = 0; i < lines.size(); ++i) {
      if (blank(lines[i])) continue;
      const auto fields = split(lines[i], ',');
      if (!header) {
        if (fields.size() != 3 || lower(fields[0]) != "start" || lower(fields[1]) != "end" ||
            lower(fields[2]) != "label") {
          throw DataError(annotation_csv, where(i + 1), "expected the header 'start,end,label'");
        }
        header = true;
        continue;
      }
      if (fields.size() != 3) {
        throw DataError(annotation_csv, where(i + 1), "expected 3 columns, got " + std::to_string(fields.size()));
      }
      const std::string k = "annotation " + std::to_string(annotations.size() + 1);
      Annotation a{parse_finite(fields[0], annotation_csv, i + 1, 1, k + " start"),
                   parse_finite(fields[1], annotation_csv, i + 1, 2, k + " end"), fields[2]};
      if (a.end <= a.start) throw DataError(annotation_csv, where(i + 1), "end must be > start");
      if (a.label.empty()) throw DataError(annotation_csv, where(i + 1), "empty label");
      annotations.push_back(a);
    }
    if (annotations.empty()) throw DataError(annotation_csv, "", "no annotations");
  }

  // Recording: header row, then numbers.
  const auto lines = split_lines(read_text(recording_csv));
  std::size_t first = 0;
  while (first < lines.size() && blank(lines[first])) ++first;
  if (first == lines.size()) throw DataError(recording_csv, "", "empty file");
  const std::vector<std::string> original_header = split(lines[first], ',');
  std::vector<std::string> header = original_header;
  for (auto& h : header) h = lower(h);
  std::map<std::string, std::size_t> column;
  std::vector<std::size_t> eeg_columns;  // "eeg_<name>" columns, in file order
  const std::map<std::string, std::string> aliases = {
      {"time", "time"}, {"eda", "eda"}, {"gsr", "eda"},   {"bvp", "ppg"},     {"ppg", "ppg"},
      {"ecg", "ecg"},   {"resp", "rsp"}, {"rsp", "rsp"},  {"temp", "temp"},   {"acc_x", "acc_x"},
      {"acc_y", "acc_y"}, {"acc_z", "acc_z"}};
  for (std::size_t c = 0; c < header.size(); ++c) {
    if (header[c].rfind("eeg_", 0) == 0 && header[c].size() > 4) {
      eeg_columns.push_back(c);
      continue;
    }
    const auto it = aliases.find(header[c]);
    if (it == aliases.end()) {
      throw DataError(recording_csv, where(first + 1) + ", field " + std::to_string(c + 1),
                      "unknown channel '" + header[c] + "' (expected time, eda/gsr, bvp/ppg, ecg, resp/rsp, temp, acc_x, acc_y, acc_z, eeg_<name>)");
    }
    if (column.count(it->second)) {
      throw DataError(recording_csv, where(first + 1), "channel '" + it->second + "' appears twice");
    }
    column[it->second] = c;
  }
  const int acc_axes = static_cast<int>(column.count("acc_x") + column.count("acc_y") + column.count("acc_z"));
  if (acc_axes != 0 && acc_axes != 3) {
    throw DataError(recording_csv, where(first + 1), "needs all of acc_x, acc_y, acc_z or none");
  }
  std::vector<std::vector<double>> data(header.size());
  std::size_t last_line = first + 1;
  for (std::size_t i = first + 1; i < lines.size(); ++i) {
    if (blank(lines[i])) continue;
    const auto fields = split(lines[i], ',');
    if (fields.size() != header.size()) {
      throw DataError(recording_csv, where(i + 1), "expected " + std::to_string(header.size()) +
                                                       " columns, got " + std::to_string(fields.size()));
    }
    for (std::size_t c = 0; c < fields.size(); ++c) {
      data[c].push_back(parse_sample(fields[c], recording_csv, i + 1, c + 1, original_header[c], data[c].size()));
    }
    last_line = i + 1;
  }
  const std::size_t n = data.empty() ? 0 : data[0].size();
  if (n < 2) throw DataError(recording_csv, where(last_line), "truncated: fewer than 2 samples");

  double fs = options.sampling_rate, t_origin = 0.0;
  if (column.count("time")) {
    const auto& t = data[column["time"]];
    std::vector<double> steps;
    for (std::size_t i = 1; i < n; ++i) steps.push_back(t[i] - t[i - 1]);
    const double step = vector_quantile(steps, 0.5);
    if (!(step > 0)) throw DataError(recording_csv, "column 'time'", "time must increase");
    for (std::size_t i = 0; i < steps.size(); ++i) {
      if (std::abs(steps[i] - step) > 0.5 * step) {
        // Data line of sample i + 1: count the non-blank lines.
        std::size_t seen = 0, line = first + 1;
        for (std::size_t l = first + 1; l < lines.size(); ++l) {
          if (blank(lines[l])) continue;
          if (seen++ == i + 1) { line = l + 1; break; }
        }
        throw DataError(recording_csv, where(line), "time step " + std::to_string(steps[i]) +
                                                        " s differs from the median step " +
                                                        std::to_string(step) + " s by more than 50 % (gap or jump)");
      }
    }
    // Rate from the whole span, so timestamps rounded to milliseconds still give 64 Hz.
    const double derived = static_cast<double>(n - 1) / (t.back() - t.front());
    if (fs > 0 && std::abs(derived - fs) > 0.01 * fs) {
      throw DataError(recording_csv, "column 'time'", "time column gives " + std::to_string(derived) +
                                                          " Hz, option sampling_rate says " + std::to_string(fs));
    }
    if (fs <= 0) fs = derived;
    t_origin = t.front();
  }
  if (fs <= 0) {
    throw OptionError("sampling_rate", "must be given when " + recording_csv + " has no time column");
  }
  validate_window_options(options.window_s, options.step_s, options.hrv_context_s, fs);

  std::vector<PlacedSource> sources;
  FeatureTable table;
  auto channel = [&](const char* name) { return data[column[name]]; };
  if (column.count("eda")) {
    sources.push_back({eda_source(channel("eda"), fs, "EDA_"), t_origin});
    table.modalities.push_back({"eda", "physiological", "EDA_"});
  }
  if (column.count("ppg")) {
    sources.push_back({ppg_source(channel("ppg"), fs, "PPG_"), t_origin});
    table.modalities.push_back({"bvp", "physiological", "PPG_"});
  }
  if (column.count("ecg")) {
    sources.push_back({ecg_source(channel("ecg"), fs, "ECG_"), t_origin});
    table.modalities.push_back({"ecg", "physiological", "ECG_"});
  }
  if (column.count("rsp")) {
    sources.push_back({rsp_source(channel("rsp"), fs, "RSP_"), t_origin});
    table.modalities.push_back({"resp", "physiological", "RSP_"});
  }
  if (column.count("temp")) {
    sources.push_back({temp_source(channel("temp"), fs, "TEMP_"), t_origin});
    table.modalities.push_back({"temp", "physiological", "TEMP_"});
  }
  if (acc_axes == 3) {
    sources.push_back({acc_source(channel("acc_x"), channel("acc_y"), channel("acc_z"), fs, "ACC_"), t_origin});
    table.modalities.push_back({"acc", "behavioural", "ACC_"});
  }
  if (!eeg_columns.empty()) {
    std::vector<std::vector<double>> channels;
    std::vector<std::string> names;
    for (std::size_t c : eeg_columns) {
      channels.push_back(data[c]);
      names.push_back(original_header[c].substr(4));
    }
    auto bands = std::make_shared<EegBandSignals>(eeg_band_signals(channels, names, fs));
    FeatureSource eeg{bands->names, [bands, fs](double t0, double w, double, double) {
                        const auto [b, e] = window_samples(bands->band[0][0].size(), fs, t0, w);
                        return e ? eeg_window_differential_entropy(*bands, b, e) : std::vector<double>{};
                      }};
    sources.push_back({std::move(eeg), t_origin});
    table.modalities.push_back({"eeg", "physiological", "EEG_"});
  }
  if (sources.empty()) throw DataError(recording_csv, where(first + 1), "no signal columns");
  table.feature_names = all_names(sources);

  table.classes = options.classes;
  if (table.classes.empty()) {
    for (const auto& a : annotations) {
      if (std::find(table.classes.begin(), table.classes.end(), a.label) == table.classes.end()) {
        table.classes.push_back(a.label);
      }
    }
  }
  for (std::size_t k = 0; k < annotations.size(); ++k) {
    if (std::find(table.classes.begin(), table.classes.end(), annotations[k].label) == table.classes.end()) {
      throw DataError(annotation_csv, "annotation " + std::to_string(k + 1),
                      "label '" + annotations[k].label + "' is not in option classes");
    }
  }
  std::string subject = options.subject;
  if (subject.empty()) subject = fs::path(recording_csv).stem().string();
  for (std::size_t k = 0; k < annotations.size(); ++k) {
    add_interval_windows(table, sources, subject, static_cast<int>(k) + 1, annotations[k].label,
                         annotations[k].start, annotations[k].end, options.window_s, options.step_s,
                         options.hrv_context_s, options.drop_incomplete);
  }
  return table;
}

}  // namespace emofuse::signal
