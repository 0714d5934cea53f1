#include "signal/live_features.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <limits>
#include <sstream>

#include "core/error.h"
#include "core/options.h"
#include "signal/ecg.h"
#include "signal/eda.h"
#include "signal/ppg.h"
#include "signal/rsp_temp_acc.h"
#include "signal/wesad_features.h"

namespace emofuse::signal {
namespace {

namespace fs = std::filesystem;

constexpr std::array<Choice<StreamKind>, 6> kStreamKinds{{{"eda", StreamKind::kEda},
                                                          {"ppg", StreamKind::kPpg},
                                                          {"ecg", StreamKind::kEcg},
                                                          {"rsp", StreamKind::kRsp},
                                                          {"temp", StreamKind::kTemp},
                                                          {"acc", StreamKind::kAcc}}};

// A sample index tolerance: (end - start) * rate lands a hair above an integer in floating point
// when end falls exactly on a sample time; that sample belongs to the next window.
constexpr double kIndexTolerance = 1e-6;

// More windows than this decidable at once only happen after a clock jump (a stream at a time
// far ahead of the others); they are skipped in one invalid window instead of one line each.
constexpr std::int64_t kMaxBacklogWindows = 100000;

std::vector<std::string> kind_feature_names(StreamKind kind, const std::string& prefix) {
  switch (kind) {
    case StreamKind::kEda:
      return eda_feature_names(prefix);
    case StreamKind::kPpg:
      return ppg_feature_names(prefix);
    case StreamKind::kEcg:
      return ecg_feature_names(prefix);
    case StreamKind::kRsp:
      return rsp_feature_names(prefix);
    case StreamKind::kTemp:
      return temp_feature_names(prefix);
    case StreamKind::kAcc:
      return acc_feature_names(prefix);
  }
  return {};
}

std::size_t kind_channels(StreamKind kind) {
  return kind == StreamKind::kAcc ? 3 : 1;
}

// The features of the last `window` samples of `segment` ([channel][sample], n samples), the
// segment processed as a whole: the offline functions on a recording that is this segment.
std::vector<double> segment_features(const StreamSpec& spec, const std::vector<std::vector<double>>& segment,
                                     std::size_t window) {
  const std::size_t n = segment[0].size();
  const std::size_t begin = n - window;
  const double fs = spec.sampling_rate;
  switch (spec.kind) {
    case StreamKind::kEda:
      return eda_window_features(eda_process(segment[0], fs), begin, n);
    case StreamKind::kPpg:
      return ppg_window_features(ppg_process(segment[0], fs), begin, n, 0, n);
    case StreamKind::kEcg:
      return ecg_window_features(ecg_process(segment[0], fs), begin, n, 0, n);
    case StreamKind::kRsp:
      return rsp_window_features(rsp_process(segment[0], fs), begin, n);
    case StreamKind::kTemp:
      return temp_window_features(segment[0], fs, begin, n);
    case StreamKind::kAcc:
      return acc_window_features(segment[0], segment[1], segment[2], begin, n);
  }
  return {};
}

// Number of samples of a run starting at start_s whose time start_s + i / rate lies before end_s.
std::int64_t samples_before(double start_s, double rate, double end_s) {
  const double x = (end_s - start_s) * rate - kIndexTolerance;
  return x <= 0 ? 0 : static_cast<std::int64_t>(std::ceil(x));
}

std::string seconds_text(double t) {
  std::ostringstream out;
  out.precision(3);
  out << std::fixed << t << " s";
  return out.str();
}

}  // namespace

std::string stream_kind_name(StreamKind kind) {
  return choice_name(kind, kStreamKinds);
}

std::vector<std::string> LivePipeline::feature_names() const {
  std::vector<std::string> names;
  for (const auto& s : streams) {
    for (auto& n : kind_feature_names(s.kind, s.prefix)) names.push_back(std::move(n));
  }
  return names;
}

int LivePipeline::stream_index(const std::string& name) const {
  for (std::size_t i = 0; i < streams.size(); ++i) {
    if (streams[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

void LivePipeline::validate() const {
  require_option(!streams.empty(), "streams", "declare at least one stream");
  require_option(window_s > 0, "window_s", "must be > 0");
  require_option(hop_s > 0, "hop_s", "must be > 0");
  require_option(context_s >= window_s, "context_s", "must be >= window_s");
  require_option(context_s <= 3600, "context_s", "must be <= 3600 s (every window reprocesses its context)");
  for (std::size_t i = 0; i < streams.size(); ++i) {
    const auto& s = streams[i];
    const std::string field = "streams[" + std::to_string(i) + "]";
    require_option(!s.name.empty() && s.name.find_first_of(",\r\n") == std::string::npos, field + ".name",
                   "must be non-empty without a comma or newline");
    for (std::size_t j = 0; j < i; ++j) {
      require_option(streams[j].name != s.name, field + ".name", "'" + s.name + "' is declared twice");
      require_option(streams[j].prefix != s.prefix, field + ".prefix", "'" + s.prefix + "' is used twice");
    }
    check_choice(s.kind, field + ".kind", kStreamKinds);
    require_option(std::isfinite(s.sampling_rate) && s.sampling_rate > 0 && s.sampling_rate <= 100000,
                   field + ".sampling_rate", "must be in (0, 100000] Hz");
    require_option(
        s.channels == kind_channels(s.kind), field + ".channels",
        "a " + stream_kind_name(s.kind) + " stream has " + std::to_string(kind_channels(s.kind)) + " channel(s)");
    require_option(std::isfinite(s.scale) && s.scale != 0, field + ".scale", "must be finite and non-zero");
    require_option(!s.prefix.empty(), field + ".prefix", "must be non-empty");
    require_option(hop_s * s.sampling_rate >= 1.0, "hop_s", "must be at least one sample of " + s.name);
    require_option(std::llround(window_s * s.sampling_rate) >= 3, "window_s",
                   "must hold at least 3 samples of " + s.name);
  }
  const auto names = feature_names();
  for (std::size_t m = 0; m < modalities.size(); ++m) {
    const auto& mod = modalities[m];
    const std::string field = "modalities[" + std::to_string(m) + "]";
    require_option(!mod.name.empty(), field + ".name", "must be non-empty");
    const bool used =
        std::any_of(names.begin(), names.end(), [&](const std::string& f) { return f.rfind(mod.prefix, 0) == 0; });
    require_option(!mod.prefix.empty() && used, field + ".prefix",
                   "'" + mod.prefix + "' matches none of the streams' feature names");
  }
}

LivePipeline live_pipeline_from_yaml(const YAML::Node& node, const std::string& source) {
  try {
    OptionReader r(node, "");
    LivePipeline p;
    p.window_s = r.get<double>("window_s", p.window_s);
    p.hop_s = r.get<double>("hop_s", p.hop_s);
    p.context_s = r.get<double>("context_s", p.window_s);
    const YAML::Node streams = r.node("streams");
    if (!streams || !streams.IsSequence()) throw OptionError("streams", "required: a list of streams");
    for (std::size_t i = 0; i < streams.size(); ++i) {
      OptionReader s(streams[i], "streams[" + std::to_string(i) + "]");
      StreamSpec spec;
      spec.name = s.get<std::string>("name", "");
      spec.kind = parse_choice(s.get<std::string>("kind", ""), s.full("kind"), kStreamKinds);
      spec.sampling_rate = s.get<double>("sampling_rate", 0.0);
      spec.channels = s.get<std::size_t>("channels", kind_channels(spec.kind));
      spec.scale = s.get<double>("scale", 1.0);
      spec.prefix = s.get<std::string>("prefix", "");
      s.finish();
      p.streams.push_back(spec);
    }
    const YAML::Node modalities = r.node("modalities");
    if (!modalities || !modalities.IsSequence()) throw OptionError("modalities", "required: a list of modalities");
    for (std::size_t i = 0; i < modalities.size(); ++i) {
      OptionReader m(modalities[i], "modalities[" + std::to_string(i) + "]");
      FeatureModality mod;
      mod.name = m.get<std::string>("name", "");
      mod.role = m.get<std::string>("role", "physiological");
      mod.prefix = m.get<std::string>("prefix", "");
      m.finish();
      p.modalities.push_back(mod);
    }
    r.finish();
    p.validate();
    return p;
  } catch (const DataError&) {
    throw;
  } catch (const Error& e) {
    throw DataError(source, "", e.what());
  }
}

std::string live_pipeline_yaml(const LivePipeline& p) {
  std::ostringstream y;
  y << "# The feature pipeline of a model that streams (docs/streaming.md): written by\n"
    << "# `emofuse features --causal`, copied into the model bundle by `emofuse train`, read by\n"
    << "# `emofuse stream`. Each window's features come from the last context_s seconds of every\n"
    << "# stream before its end; a window ends every hop_s seconds.\n"
    << "window_s: " << short_double_text(p.window_s) << "\n"
    << "hop_s: " << short_double_text(p.hop_s) << "\n"
    << "context_s: " << short_double_text(p.context_s) << "\n"
    << "streams:\n";
  for (const auto& s : p.streams) {
    y << "  - {name: \"" << s.name << "\", kind: " << stream_kind_name(s.kind)
      << ", sampling_rate: " << short_double_text(s.sampling_rate) << ", channels: " << s.channels
      << ", scale: " << short_double_text(s.scale) << ", prefix: \"" << s.prefix << "\"}\n";
  }
  y << "modalities:\n";
  for (const auto& m : p.modalities) {
    y << "  - {name: \"" << m.name << "\", role: " << m.role << ", prefix: \"" << m.prefix << "\"}\n";
  }
  return y.str();
}

LivePipeline wesad_wrist_pipeline(double window_s, double hop_s, double context_s) {
  LivePipeline p;
  p.window_s = window_s;
  p.hop_s = hop_s;
  p.context_s = context_s;
  // E4 ACC arrives in counts of 1/64 g (exactly representable: the offline path divides by 64).
  p.streams = {{"EDA", StreamKind::kEda, 4.0, 1, 1.0, "EDA_"},
               {"BVP", StreamKind::kPpg, 64.0, 1, 1.0, "PPG_"},
               {"ACC", StreamKind::kAcc, 32.0, 3, 1.0 / 64.0, "ACC_"},
               {"TEMP", StreamKind::kTemp, 4.0, 1, 1.0, "TEMP_"}};
  p.modalities = wesad_wrist_modalities();
  p.validate();
  return p;
}

// ---------------------------------------------------------------------------------- input lines

namespace {

std::string_view trimmed(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  return text;
}

bool parse_double(std::string_view text, double& value) {
  text = trimmed(text);
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  if (text.empty()) return false;
  const auto r = std::from_chars(text.data(), text.data() + text.size(), value);
  return r.ec == std::errc() && r.ptr == text.data() + text.size();
}

}  // namespace

LiveSample parse_live_sample(std::string_view line, const LivePipeline& pipeline) {
  LiveSample p;
  std::array<std::string_view, 6> fields;
  std::size_t count = 0;
  for (std::string_view rest = line;; ++count) {
    const auto comma = rest.find(',');
    if (count < fields.size()) fields[count] = rest.substr(0, comma);
    if (comma == std::string_view::npos) {
      ++count;
      break;
    }
    rest.remove_prefix(comma + 1);
  }
  if (count < 3) {
    p.error = "expected timestamp,stream,value[,value...], got " + std::to_string(count) + " field(s)";
    return p;
  }
  if (!parse_double(fields[0], p.timestamp) || !std::isfinite(p.timestamp)) {
    p.error = "timestamp '" + std::string(fields[0].substr(0, 64)) + "' is not a finite number";
    return p;
  }
  if (std::abs(p.timestamp) > kMaxTimestampS) {
    p.error = "timestamp '" + std::string(fields[0].substr(0, 64)) + "' is outside +-1e12 s";
    return p;
  }
  const std::string name(trimmed(fields[1]));
  p.stream = pipeline.stream_index(name);
  if (p.stream < 0) {
    p.error = "unknown stream '" + name.substr(0, 64) + "'";
    return p;
  }
  const auto& spec = pipeline.streams[static_cast<std::size_t>(p.stream)];
  if (count - 2 != spec.channels) {
    p.error = spec.name + " has " + std::to_string(spec.channels) + " value(s) per sample, the line " +
              std::to_string(count - 2);
    return p;
  }
  for (std::size_t c = 0; c < spec.channels; ++c) {
    // "nan" (any case) is a missing sample: the windows that contain it are reported invalid.
    if (!parse_double(fields[2 + c], p.values[c])) {
      p.error = spec.name + " value " + std::to_string(c + 1) + " '" + std::string(fields[2 + c].substr(0, 64)) +
                "' is not a number";
      return p;
    }
  }
  return p;
}

// ---------------------------------------------------------------------------------- extractor

LiveFeatureExtractor::LiveFeatureExtractor(LivePipeline pipeline, LiveTolerances tolerances)
    : pipeline_(std::move(pipeline)), tolerances_(tolerances) {
  pipeline_.validate();
  require_option(tolerances_.max_gap_s > 0, "max_gap_s", "must be > 0");
  require_option(tolerances_.max_lag_s > 0, "max_lag_s", "must be > 0");
  streams_.resize(pipeline_.streams.size());
}

double LiveFeatureExtractor::next_expected_time(const StreamState& s, std::size_t stream) const {
  if (s.runs.empty()) return -std::numeric_limits<double>::infinity();
  const Run& r = s.runs.back();
  return r.start_s + static_cast<double>(r.count) / pipeline_.streams[stream].sampling_rate;
}

void LiveFeatureExtractor::push(std::size_t stream, double timestamp_s, const double* values) {
  if (stream >= streams_.size()) throw Error("LiveFeatureExtractor::push: no stream " + std::to_string(stream));
  if (!(std::abs(timestamp_s) <= kMaxTimestampS)) {
    throw Error("LiveFeatureExtractor::push: timestamp " + short_double_text(timestamp_s) + " is outside +-1e12 s");
  }
  const StreamSpec& spec = pipeline_.streams[stream];
  StreamState& s = streams_[stream];
  s.stalled = false;
  if (!s.has_data) {
    s.has_data = true;
    s.first_time_s = timestamp_s;
  }
  // Sample i of the current run is expected at start + i / rate; jitter within max_gap_s keeps
  // the run, anything further (a dropout, a clock jump) starts a new one.
  const bool continues =
      !s.runs.empty() && std::abs(timestamp_s - next_expected_time(s, stream)) <= tolerances_.max_gap_s;
  if (!continues) {
    Run run;
    run.start_s = timestamp_s;
    run.values.resize(spec.channels);
    s.runs.push_back(std::move(run));
  }
  Run& run = s.runs.back();
  for (std::size_t c = 0; c < spec.channels; ++c) run.values[c].push_back(values[c] * spec.scale);
  ++run.count;
  apply_lag_rule();
  decide_ready_windows();
}

void LiveFeatureExtractor::mark_stalled(std::size_t stream) {
  if (stream >= streams_.size()) throw Error("LiveFeatureExtractor::mark_stalled: no stream " + std::to_string(stream));
  streams_[stream].stalled = true;
  decide_ready_windows();
}

void LiveFeatureExtractor::finish() {
  for (auto& s : streams_) s.stalled = true;
  decide_ready_windows();
}

std::vector<LiveWindow> LiveFeatureExtractor::take_windows() {
  std::vector<LiveWindow> out;
  out.swap(decided_);
  return out;
}

std::vector<std::string> LiveFeatureExtractor::take_stall_notices() {
  std::vector<std::string> out;
  out.swap(stall_notices_);
  return out;
}

std::size_t LiveFeatureExtractor::buffered_samples() const {
  std::size_t total = 0;
  for (const auto& s : streams_) {
    for (const auto& r : s.runs) {
      for (const auto& v : r.values) total += v.size();
    }
  }
  return total;
}

void LiveFeatureExtractor::apply_lag_rule() {
  double most_advanced = -std::numeric_limits<double>::infinity();
  for (std::size_t i = 0; i < streams_.size(); ++i) {
    most_advanced = std::max(most_advanced, next_expected_time(streams_[i], i));
  }
  for (std::size_t i = 0; i < streams_.size(); ++i) {
    StreamState& s = streams_[i];
    if (s.stalled) continue;
    // A stream that never sent a sample lags from the first sample any stream sent.
    double reach = next_expected_time(s, i);
    if (!s.has_data) {
      reach = std::numeric_limits<double>::infinity();
      for (const auto& o : streams_) {
        if (o.has_data) reach = std::min(reach, o.first_time_s);
      }
    }
    if (most_advanced - reach > tolerances_.max_lag_s) {
      s.stalled = true;
      stall_notices_.push_back(pipeline_.streams[i].name);
    }
  }
}

bool LiveFeatureExtractor::stream_decided(std::size_t stream, double end_s) const {
  const StreamState& s = streams_[stream];
  if (s.stalled) return true;
  if (s.runs.empty()) return false;
  const Run& r = s.runs.back();
  return r.count >= samples_before(r.start_s, pipeline_.streams[stream].sampling_rate, end_s);
}

double LiveFeatureExtractor::window_end(std::int64_t k) const {
  return grid_origin_s_ + static_cast<double>(k) * pipeline_.hop_s;
}

void LiveFeatureExtractor::decide_ready_windows() {
  if (!started_) {
    // The first window waits for every stream's first sample (or its stall), so that the grid does
    // not depend on which stream happened to send first: it starts one context after the earliest
    // first sample.
    double first = std::numeric_limits<double>::infinity();
    for (const auto& s : streams_) {
      if (!s.has_data && !s.stalled) return;
      if (s.has_data) first = std::min(first, s.first_time_s);
    }
    if (!std::isfinite(first)) return;
    grid_origin_s_ = first + pipeline_.context_s;
    next_window_ = 0;
    started_ = true;
  }
  double reach = -std::numeric_limits<double>::infinity();
  for (std::size_t i = 0; i < streams_.size(); ++i) reach = std::max(reach, next_expected_time(streams_[i], i));
  for (;;) {
    const double end_s = window_end(next_window_);
    if (end_s > reach + 1e-9) return;  // no stream has got there yet
    for (std::size_t i = 0; i < streams_.size(); ++i) {
      if (!stream_decided(i, end_s)) return;
    }
    LiveWindow w = compute_window(end_s);
    const double backlog = (reach - end_s) / pipeline_.hop_s;
    if (!w.valid && backlog > static_cast<double>(kMaxBacklogWindows)) {
      // A clock jump: the windows up to the last context and lag allowance before the furthest
      // stream are skipped, said in this window's reason, instead of one invalid line each.
      const auto keep =
          static_cast<std::int64_t>(std::ceil((pipeline_.context_s + tolerances_.max_lag_s) / pipeline_.hop_s)) + 1;
      const auto skip = static_cast<std::int64_t>(backlog) - keep;
      w.reason += "; clock jump: the next " + std::to_string(skip) + " windows are skipped";
      next_window_ += skip;
    }
    decided_.push_back(std::move(w));
    ++next_window_;
    prune(window_end(next_window_) - pipeline_.context_s);
  }
}

LiveWindow LiveFeatureExtractor::compute_window(double end_s) {
  LiveWindow w;
  w.end_s = end_s;
  const double segment_start = end_s - pipeline_.context_s;
  std::vector<double> row;
  for (std::size_t i = 0; i < streams_.size(); ++i) {
    const StreamSpec& spec = pipeline_.streams[i];
    const StreamState& s = streams_[i];
    // The newest run that started before the window's end holds its segment, if any does.
    const Run* run = nullptr;
    for (auto it = s.runs.rbegin(); it != s.runs.rend(); ++it) {
      if (it->start_s < end_s) {
        run = &*it;
        break;
      }
    }
    auto invalid = [&](const std::string& reason) {
      w.valid = false;
      w.reason = reason;
      return w;
    };
    if (run == nullptr) {
      return invalid(s.stalled ? spec.name + " stalled: no sample before " + seconds_text(end_s)
                               : spec.name + ": no sample before " + seconds_text(end_s));
    }
    const std::int64_t n = std::llround(pipeline_.context_s * spec.sampling_rate);
    const std::int64_t window = std::llround(pipeline_.window_s * spec.sampling_rate);
    const std::int64_t m = samples_before(run->start_s, spec.sampling_rate, end_s);
    const double run_end = run->start_s + static_cast<double>(run->count) / spec.sampling_rate;
    if (run->count < m) {
      const bool later_run = run != &s.runs.back();
      return invalid(later_run || !s.stalled ? "gap in " + spec.name + " from " + seconds_text(run_end)
                                             : spec.name + " stalled: no sample since " + seconds_text(run_end));
    }
    if (m < n) {
      const bool first_run = run == &s.runs.front() && run->start_s == s.first_time_s;
      return invalid(first_run ? spec.name + ": " + seconds_text(end_s - run->start_s) +
                                     " of data, the context needs " + seconds_text(pipeline_.context_s)
                               : "gap in " + spec.name + " before " + seconds_text(run->start_s));
    }
    if (m - n < run->first_index) {
      return invalid("clock of " + spec.name + " went back before " + seconds_text(segment_start));
    }
    std::vector<std::vector<double>> segment(spec.channels);
    const std::size_t from = static_cast<std::size_t>(m - n - run->first_index);
    for (std::size_t c = 0; c < spec.channels; ++c) {
      segment[c].assign(run->values[c].begin() + static_cast<std::ptrdiff_t>(from),
                        run->values[c].begin() + static_cast<std::ptrdiff_t>(from + static_cast<std::size_t>(n)));
      for (std::size_t k = 0; k < segment[c].size(); ++k) {
        if (!std::isfinite(segment[c][k])) {
          const double t =
              run->start_s + static_cast<double>(m - n + static_cast<std::int64_t>(k)) / spec.sampling_rate;
          return invalid("non-finite sample in " + spec.name + " at " + seconds_text(t));
        }
      }
    }
    const auto values = segment_features(spec, segment, static_cast<std::size_t>(window));
    row.insert(row.end(), values.begin(), values.end());
  }
  // A feature that is not finite (HRV of a segment with too few beats, ...) would reach the model
  // as NaN: the window is invalid, as offline drops such windows.
  for (std::size_t f = 0; f < row.size(); ++f) {
    if (!std::isfinite(row[f])) {
      w.valid = false;
      w.reason = "feature " + pipeline_.feature_names()[f] + " is not finite";
      return w;
    }
  }
  w.valid = true;
  w.features = std::move(row);
  return w;
}

void LiveFeatureExtractor::prune(double keep_from_s) {
  for (std::size_t i = 0; i < streams_.size(); ++i) {
    const double rate = pipeline_.streams[i].sampling_rate;
    auto& runs = streams_[i].runs;
    // A run that ends before the next window's segment starts is of no use any more.
    while (runs.size() > 1) {
      const Run& r = runs.front();
      if (r.start_s + static_cast<double>(r.count) / rate > keep_from_s) break;
      runs.erase(runs.begin());
    }
    for (Run& r : runs) {
      const std::int64_t keep = std::min(r.count, samples_before(r.start_s, rate, keep_from_s));
      const std::int64_t drop = keep - r.first_index;
      // Erase in blocks (amortised O(1) a sample) rather than one sample at a time.
      if (drop <= 0 || drop < static_cast<std::int64_t>(r.values[0].size()) / 2) continue;
      for (auto& v : r.values) v.erase(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(drop));
      r.first_index = keep;
    }
  }
}

// ---------------------------------------------------------------------------- offline driver

std::vector<LiveWindow> extract_recording_windows(const LivePipeline& pipeline,
                                                  const std::vector<RecordedStream>& recording,
                                                  const LiveTolerances& tolerances) {
  require_option(recording.size() == pipeline.streams.size(), "recording",
                 "has " + std::to_string(recording.size()) + " streams, the pipeline declares " +
                     std::to_string(pipeline.streams.size()));
  LiveFeatureExtractor extractor(pipeline, tolerances);
  std::vector<std::size_t> next(recording.size(), 0);
  double begin = std::numeric_limits<double>::infinity();
  for (std::size_t i = 0; i < recording.size(); ++i) {
    require_option(recording[i].channels.size() == pipeline.streams[i].channels, "recording",
                   pipeline.streams[i].name + " has the wrong number of channels");
    for (const auto& c : recording[i].channels) {
      require_option(c.size() == recording[i].channels[0].size(), "recording",
                     pipeline.streams[i].name + "'s channels differ in length");
    }
    begin = std::min(begin, recording[i].start_s);
  }
  std::vector<LiveWindow> windows;
  std::vector<double> values;
  for (double round_end = std::floor(begin) + 1;;) {
    bool left = false;
    for (std::size_t i = 0; i < recording.size(); ++i) {
      const RecordedStream& r = recording[i];
      const double rate = pipeline.streams[i].sampling_rate;
      const std::size_t total = r.channels[0].size();
      for (; next[i] < total; ++next[i]) {
        const double t = r.start_s + static_cast<double>(next[i]) / rate;
        if (t >= round_end) break;
        values.resize(r.channels.size());
        for (std::size_t c = 0; c < r.channels.size(); ++c) values[c] = r.channels[c][next[i]];
        extractor.push(i, t, values.data());
      }
      left = left || next[i] < total;
    }
    for (auto& w : extractor.take_windows()) windows.push_back(std::move(w));
    if (!left) break;
    // The next round holds the earliest sample left (streams far apart skip the empty seconds).
    double earliest = std::numeric_limits<double>::infinity();
    for (std::size_t i = 0; i < recording.size(); ++i) {
      if (next[i] < recording[i].channels[0].size()) {
        earliest =
            std::min(earliest, recording[i].start_s + static_cast<double>(next[i]) / pipeline.streams[i].sampling_rate);
      }
    }
    round_end = std::max(round_end + 1, std::floor(earliest) + 1);
  }
  extractor.finish();
  for (auto& w : extractor.take_windows()) windows.push_back(std::move(w));
  return windows;
}

std::vector<RecordedStream> read_wesad_wrist_recording(const std::string& subject_dir, const std::string& id) {
  std::vector<E4Channel> files = read_wesad_wrist_files(subject_dir, id);
  double earliest = std::numeric_limits<double>::infinity();
  for (const auto& f : files) earliest = std::min(earliest, f.start_time_unix);
  std::vector<RecordedStream> recording;
  for (auto& f : files) recording.push_back({f.start_time_unix - earliest, std::move(f.columns)});
  return recording;
}

FeatureTable extract_wesad_causal_features(const std::string& wesad_root, const WesadCausalOptions& options,
                                           LivePipeline& pipeline) {
  pipeline = wesad_wrist_pipeline(options.window_s, options.hop_s, options.context_s);
  FeatureTable table;
  table.classes = wesad_classes();
  table.modalities = pipeline.modalities;
  table.feature_names = pipeline.feature_names();
  for (const std::string& id : wesad_subject_folders(wesad_root, options.subjects)) {
    const fs::path dir = fs::path(wesad_root) / id;
    const auto conditions = read_wesad_quest((dir / (id + "_quest.csv")).string());
    for (const auto& w : extract_recording_windows(pipeline, read_wesad_wrist_recording(dir.string(), id))) {
      if (!w.valid) continue;
      const double start = w.end_s - options.window_s;
      for (const auto& c : conditions) {
        const double c0 = c.start_s - options.e4_offset_s, c1 = c.end_s - options.e4_offset_s;
        if (start >= c0 - 1e-9 && w.end_s <= c1 + 1e-9) {
          table.append(id, c.trial, start, c.label, w.features);
          break;
        }
      }
    }
  }
  return table;
}

}  // namespace emofuse::signal
