// Window features of live sample streams, the signal half of `emofuse stream`: samples arrive one
// at a time, per stream, each at its own rate, and every hop a window's features come out.
//
// The causal window pipeline. Windows end every hop_s seconds on the samples' clock, the first one
// context_s after the earliest first sample of the streams (so devices started at different
// moments hop at different moments). A window ending at t_end is computed from the last
// context_s seconds of every stream before t_end: each stream's segment
// [t_end - context_s, t_end) is processed on its own by the same functions as the offline features
// (eda_process, ppg_process, ..., with their zero-phase filters applied to the segment), and the
// window's features are those of the segment's last window_s seconds (HRV uses the whole segment).
// A window therefore depends on past samples only and on nothing before its context: however the
// samples are chunked, the numbers are the same, and `emofuse features --causal` computes a
// recording's windows with this same class. The filter transient at the segment's start is the
// same in both paths; context_s > window_s keeps it out of the window. Offline features of whole
// recordings (filtfilt over the recording, an HRV context centred on the window) look into the
// future, so a model that streams is trained on causal features (docs/streaming.md).
//
// Real streams: timestamps are seconds on any clock shared by the streams (unix time or from the
// recording start). Within a run of samples, sample i sits at run_start + i / rate; a timestamp
// more than max_gap_s away from that starts a new run, and a window whose segment is not inside
// one run is emitted invalid ("gap") instead of being filled with invented data. A non-finite
// sample makes the windows that contain it invalid. A stream that falls more than max_lag_s
// behind the most advanced one (or is marked stalled by the caller's clock) no longer holds the
// others back: the windows it cannot fill are emitted invalid. Memory stays bounded: a stream
// keeps the samples of the pending window's context plus at most max_lag_s.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "signal/windows.h"

namespace emofuse::signal {

/// Which processing a stream gets: the *_process and *_window_features of its signal.
enum class StreamKind { kEda, kPpg, kEcg, kRsp, kTemp, kAcc };

/// "eda", "ppg", "ecg", "rsp", "temp", "acc".
std::string stream_kind_name(StreamKind kind);

/// One declared input stream.
struct StreamSpec {
  std::string name;  ///< as in the input lines: "EDA", "BVP", "TEMP", "ACC"
  StreamKind kind = StreamKind::kEda;
  double sampling_rate = 0;  ///< Hz
  std::size_t channels = 1;  ///< values per sample: 3 for acc, 1 otherwise
  double scale = 1;          ///< multiplies every value (Empatica E4 ACC counts: 1/64 -> g)
  std::string prefix;        ///< feature name prefix, "EDA_"
};

/// The feature pipeline a model was trained on: streams, window geometry and the modalities its
/// feature columns form. Written as feature_pipeline.yaml by `emofuse features --causal`, copied
/// into the model bundle by `emofuse train`, read by `emofuse stream`.
struct LivePipeline {
  std::vector<StreamSpec> streams;
  std::vector<FeatureModality> modalities;
  double window_s = 60;
  double hop_s = 1;
  double context_s = 60;  ///< >= window_s; the segment each window is processed from

  /// Index of the stream named `name`, or -1.
  int stream_index(const std::string& name) const;
  /// Every feature name, stream by stream in declaration order: the row layout of LiveWindow.
  std::vector<std::string> feature_names() const;
  /// Throws OptionError naming the field ("streams[1].sampling_rate", "hop_s", ...).
  void validate() const;
};

/// Reads a pipeline (keys as written by live_pipeline_yaml); errors name `source` and the field.
LivePipeline live_pipeline_from_yaml(const YAML::Node& node, const std::string& source);
/// The YAML text of `pipeline`, with a comment header.
std::string live_pipeline_yaml(const LivePipeline& pipeline);

/// The Empatica E4 wrist streams of WESAD (and of the simulator's WESAD layout): EDA 4 Hz, BVP
/// 64 Hz, ACC 32 Hz (3 axes, counts of 1/64 g), TEMP 4 Hz, with the offline feature prefixes and
/// modalities (EDA_, PPG_, ACC_, TEMP_).
LivePipeline wesad_wrist_pipeline(double window_s, double hop_s, double context_s);

/// The largest timestamp magnitude a sample may carry (seconds; unix time is ~1.7e9).
inline constexpr double kMaxTimestampS = 1e12;

/// How strict the extractor is with real streams.
struct LiveTolerances {
  double max_gap_s = 0.5;  ///< a timestamp this far from its expected time starts a new run
  double max_lag_s = 10;   ///< a stream this far behind the most advanced one counts as stalled
};

/// One decided window.
struct LiveWindow {
  double end_s = 0;              ///< t_end on the samples' clock: first sample + context_s + k hop_s
  bool valid = false;            ///< false: no features, see `reason`
  std::string reason;            ///< why the window is invalid ("gap in BVP at 12.5 s", ...)
  std::vector<double> features;  ///< LivePipeline::feature_names() order; empty when invalid
};

/// One input line of `emofuse stream` (docs/streaming.md), `timestamp,stream,v1[,v2,...]`: the
/// stream's index in the pipeline, the timestamp and `channels` values ("nan" is a missing
/// sample), or why the line is malformed.
struct LiveSample {
  int stream = -1;
  double timestamp = 0;
  double values[3] = {};  // channels <= 3 (acc)
  std::string error;      // empty: parsed
};

/// Parses one line (without its end): a finite timestamp within +-kMaxTimestampS, a declared
/// stream name (spaces around fields are ignored) and exactly its channel count of numbers.
LiveSample parse_live_sample(std::string_view line, const LivePipeline& pipeline);

/// The streaming extractor: push samples as they come, take the windows decided so far.
class LiveFeatureExtractor {
 public:
  LiveFeatureExtractor(LivePipeline pipeline, LiveTolerances tolerances = {});

  const LivePipeline& pipeline() const { return pipeline_; }
  /// One sample of stream `stream` at `timestamp_s` (|t| <= kMaxTimestampS, else Error) with
  /// `channels` values (raw units: the stream's scale is applied here). Windows it completes
  /// become available to take_windows().
  void push(std::size_t stream, double timestamp_s, const double* values);
  /// The caller's clock says `stream` stopped: windows it cannot fill are decided (invalid) from
  /// now on, until its next sample.
  void mark_stalled(std::size_t stream);
  /// End of input: every stream counts as stalled, every window the data reaches is decided.
  void finish();
  /// The windows decided since the last call, in time order.
  std::vector<LiveWindow> take_windows();
  /// Samples held over all streams and channels (the memory bound's measure).
  std::size_t buffered_samples() const;
  /// Streams marked stalled by the lag rule since the last call (names, for a message).
  std::vector<std::string> take_stall_notices();

 private:
  // A stretch of regularly spaced samples: sample `first_index + i` of the run sits at
  // start_s + (first_index + i) / rate and is values[c][i].
  struct Run {
    double start_s = 0;
    std::int64_t count = 0;        // samples received in this run
    std::int64_t first_index = 0;  // run index of values[c][0]
    std::vector<std::vector<double>> values;
  };
  struct StreamState {
    std::vector<Run> runs;  // oldest first
    bool stalled = false;
    bool lag_notice_pending = false;
    double first_time_s = 0;  // first sample ever (for the first window)
    bool has_data = false;
  };

  double next_expected_time(const StreamState& s, std::size_t stream) const;
  bool stream_decided(std::size_t stream, double end_s) const;
  void apply_lag_rule();
  void decide_ready_windows();
  LiveWindow compute_window(double end_s);
  void prune(double keep_from_s);

  LivePipeline pipeline_;
  LiveTolerances tolerances_;
  std::vector<StreamState> streams_;
  double window_end(std::int64_t k) const;  // grid_origin_s_ + k * hop_s

  double grid_origin_s_ = 0;      // the first window's end: the earliest first sample + context_s
  std::int64_t next_window_ = 0;  // index of the next window to decide
  bool started_ = false;
  std::vector<LiveWindow> decided_;
  std::vector<std::string> stall_notices_;
};

/// A whole recording of the declared streams (e.g. one WESAD subject's E4 files): per stream its
/// first sample's time and the samples, [channel][sample], in raw units.
struct RecordedStream {
  double start_s = 0;
  std::vector<std::vector<double>> channels;
};

/// Feeds `recording` (one entry per pipeline stream) to an extractor in time order, one second
/// of every stream per round, and returns every decided window: the offline driver of
/// `emofuse features --causal` and `emofuse replay`'s ordering.
std::vector<LiveWindow> extract_recording_windows(const LivePipeline& pipeline,
                                                  const std::vector<RecordedStream>& recording,
                                                  const LiveTolerances& tolerances = {});

/// Reads one WESAD-layout subject's E4 files (<subject_dir>/<id>_E4_Data/{EDA,BVP,ACC,TEMP}.csv)
/// in wesad_wrist_pipeline's stream order; times in seconds from the earliest file's start.
/// Throws DataError naming the file.
std::vector<RecordedStream> read_wesad_wrist_recording(const std::string& subject_dir, const std::string& id);

/// Options of extract_wesad_causal_features.
struct WesadCausalOptions {
  double window_s = 60;
  double hop_s = 1;
  double context_s = 60;
  std::vector<std::string> subjects;  ///< empty: every S<k> folder
  double e4_offset_s = 0;             ///< E4 start relative to the RespiBAN start (condition times)
};

/// `emofuse features --dataset wesad --causal`: the wrist streams of every subject through
/// extract_recording_windows; a valid window lying fully inside a labelled condition becomes a row
/// (time = window start). Returns the table and sets `pipeline` to what produced it.
FeatureTable extract_wesad_causal_features(const std::string& wesad_root, const WesadCausalOptions& options,
                                           LivePipeline& pipeline);

}  // namespace emofuse::signal
