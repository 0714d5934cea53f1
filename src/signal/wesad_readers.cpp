#include "signal/wesad_readers.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <map>

#include "core/error.h"
#include "core/io.h"
#include "signal/recording_fields.h"

namespace emofuse::signal {

namespace fs = std::filesystem;

E4Channel read_e4_csv(const std::string& path, std::size_t expected_columns) {
  const std::vector<std::string> lines = split_lines(read_file(path));
  E4Channel out;
  out.columns.assign(expected_columns, {});
  // Signal names for errors: the file's stem ("BVP"), with the column for ACC's three axes.
  std::vector<std::string> signals;
  for (std::size_t c = 0; c < expected_columns; ++c) {
    signals.push_back(fs::path(path).stem().string() +
                      (expected_columns > 1 ? " column " + std::to_string(c + 1) : ""));
  }
  std::size_t row = 0;  // non-blank rows seen
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (is_blank(lines[i])) continue;
    const std::vector<std::string> fields = split_fields(lines[i], ',');
    if (fields.size() != expected_columns) {
      throw DataError(
          path, line_ref(i + 1),
          "expected " + std::to_string(expected_columns) + " columns, got " + std::to_string(fields.size()));
    }
    std::vector<double> values(fields.size());
    for (std::size_t c = 0; c < fields.size(); ++c) {
      // Rows 0 and 1 are the start time and the sampling rate, then sample index row - 2.
      const std::string& signal = signals[c];
      values[c] = row < 2 ? parse_finite_field(fields[c], path, i + 1, c + 1,
                                               "signal " + signal + (row == 0 ? ", start time" : ", sampling rate"))
                          : parse_sample_field(fields[c], path, i + 1, c + 1, signal, row - 2);
    }
    if (row == 0) {
      out.start_time_unix = values[0];
    } else if (row == 1) {
      out.sampling_rate = values[0];
      for (double r : values) {
        if (r <= 0 || r != values[0]) {
          throw DataError(path, line_ref(i + 1), "sampling rate must be > 0 and equal for all columns");
        }
      }
    } else {
      for (std::size_t c = 0; c < fields.size(); ++c) out.columns[c].push_back(values[c]);
    }
    ++row;
  }
  if (row < 3) {
    throw DataError(path, line_ref(lines.size()),
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
  for (const std::string& f : split_fields(header.substr(open + 1, close - open - 1), ',')) {
    std::string s = f;
    s.erase(std::remove(s.begin(), s.end(), '"'), s.end());
    labels.push_back(trim(s));
  }
  return labels;
}

}  // namespace

RespibanRecording read_respiban(const std::string& path) {
  const std::string text = read_file(path);
  RespibanRecording out;
  std::vector<std::string> labels = {"ECG", "EDA", "EMG", "TEMP", "XYZ", "XYZ", "XYZ", "RESPIRATION"};
  const double vcc = 3.0, chan_bit = 65536.0, cmin = 28000.0, cmax = 38000.0;
  std::size_t pos = 0, line_no = 0;
  std::vector<std::vector<double>*> targets;
  auto resolve_targets = [&]() {
    targets.clear();
    int xyz = 0;
    for (const std::string& l : labels) {
      if (l == "ECG")
        targets.push_back(&out.ecg);
      else if (l == "EDA")
        targets.push_back(&out.eda);
      else if (l == "EMG")
        targets.push_back(&out.emg);
      else if (l == "TEMP")
        targets.push_back(&out.temp);
      else if (l == "RESPIRATION" || l == "RESP")
        targets.push_back(&out.resp);
      else if (l == "XYZ" && xyz < 3) {
        std::vector<double>* axes[3] = {&out.acc_x, &out.acc_y, &out.acc_z};
        targets.push_back(axes[xyz++]);
      } else
        throw DataError(path, "header", "unknown channel label '" + l + "'");
    }
    if (targets.size() != 8 || xyz != 3) {
      throw DataError(path, "header", "expected 8 channels ECG, EDA, EMG, TEMP, XYZ x3, RESPIRATION");
    }
  };
  resolve_targets();
  std::vector<std::vector<std::uint16_t>> raw(8);   // 16-bit ADC values
  for (auto& r : raw) r.reserve(text.size() / 32);  // a sample row is ~40 characters
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
          throw DataError(path, line_ref(line_no), "expected sampling rate 700 Hz, got " + std::to_string(fs));
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
        throw DataError(path, line_ref(line_no) + ", field " + std::to_string(count + 1),
                        "expected an integer ADC value");
      }
      if (count < 10) values[count] = v;
      ++count;
      p = next;
      while (p < line_end && std::isspace(static_cast<unsigned char>(*p))) ++p;
    }
    if (count != 10) {
      throw DataError(path, line_ref(line_no),
                      "expected 10 columns (nSeq, DI, 8 channels), got " + std::to_string(count));
    }
    for (int c = 0; c < 8; ++c) {
      if (values[c + 2] < 0 || values[c + 2] > 65535) {
        throw DataError(path, line_ref(line_no) + ", field " + std::to_string(c + 3),
                        "ADC value " + std::to_string(values[c + 2]) + " outside [0, 65535]");
      }
      raw[c].push_back(static_cast<std::uint16_t>(values[c + 2]));
    }
  }
  if (raw[0].empty()) throw DataError(path, line_ref(line_no), "truncated: no samples");
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

double parse_minutes_seconds(const std::string& field, const std::string& file, std::size_t line, std::size_t column) {
  const std::string f = trim(field);
  const std::size_t dot = f.find('.');
  const std::string mins = f.substr(0, dot), secs = dot == std::string::npos ? "" : f.substr(dot + 1);
  auto digits = [](const std::string& s) {
    return !s.empty() &&
           std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
  };
  if (!digits(mins) || (!secs.empty() && (!digits(secs) || secs.size() > 2))) {
    throw DataError(file, line_ref(line) + ", field " + std::to_string(column),
                    "expected a time as minutes.seconds (e.g. 7.08), got '" + f + "'");
  }
  // "7.1" reads as the number 7.10: one digit means tens of seconds.
  const int s = secs.empty() ? 0 : (secs.size() == 1 ? 10 * std::stoi(secs) : std::stoi(secs));
  if (s >= 60) {
    throw DataError(file, line_ref(line) + ", field " + std::to_string(column), "seconds must be < 60 in '" + f + "'");
  }
  return 60.0 * std::stoi(mins) + s;
}

}  // namespace

std::vector<WesadCondition> read_wesad_quest(const std::string& path) {
  const std::vector<std::string> lines = split_lines(read_file(path));
  std::vector<std::string> order, starts, ends;
  std::size_t order_line = 0, start_line = 0, end_line = 0;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    std::vector<std::string> fields = split_fields(lines[i], ';');
    const std::string key = fields.front();
    fields.erase(fields.begin());
    while (!fields.empty() && fields.back().empty()) fields.pop_back();
    if (key == "# ORDER") {
      order = fields;
      order_line = i + 1;
    } else if (key == "# START") {
      starts = fields;
      start_line = i + 1;
    } else if (key == "# END") {
      ends = fields;
      end_line = i + 1;
    }
  }
  if (!order_line) throw DataError(path, "", "missing '# ORDER' row");
  if (!start_line) throw DataError(path, "", "missing '# START' row");
  if (!end_line) throw DataError(path, "", "missing '# END' row");
  if (starts.size() < order.size()) {
    throw DataError(path, line_ref(start_line),
                    "expected " + std::to_string(order.size()) + " start times, got " + std::to_string(starts.size()));
  }
  if (ends.size() < order.size()) {
    throw DataError(path, line_ref(end_line),
                    "expected " + std::to_string(order.size()) + " end times, got " + std::to_string(ends.size()));
  }
  const std::map<std::string, std::string> labels = {{"Base", "baseline"},
                                                     {"TSST", "stress"},
                                                     {"Fun", "amusement"},
                                                     {"Medi 1", "meditation"},
                                                     {"Medi 2", "meditation"}};
  std::vector<WesadCondition> out;
  for (std::size_t k = 0; k < order.size(); ++k) {
    const std::string& name = order[k];
    if (name == "sRead" || name == "fRead" || name == "bRead") continue;
    const auto it = labels.find(name);
    if (it == labels.end()) {
      throw DataError(
          path, line_ref(order_line) + ", field " + std::to_string(k + 2),
          "unknown condition '" + name + "' (expected Base, TSST, Fun, Medi 1, Medi 2, sRead, fRead, bRead)");
    }
    WesadCondition c;
    c.name = name;
    c.label = it->second;
    c.trial = static_cast<int>(out.size()) + 1;
    c.start_s = parse_minutes_seconds(starts[k], path, start_line, k + 2);
    c.end_s = parse_minutes_seconds(ends[k], path, end_line, k + 2);
    if (c.end_s <= c.start_s) {
      throw DataError(path, line_ref(end_line) + ", field " + std::to_string(k + 2),
                      "condition '" + name + "' ends before it starts");
    }
    out.push_back(c);
  }
  return out;
}

}  // namespace emofuse::signal
