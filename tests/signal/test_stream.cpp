// The causal window pipeline of `emofuse stream` (signal/live_features.h): chunking changes
// nothing, a window equals the offline functions on its segment, and real-stream troubles (gaps,
// NaN, jitter, a stalled stream, malformed declarations) are reported instead of hidden.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "core/error.h"
#include "signal/eda.h"
#include "signal/live_features.h"
#include "signal/ppg.h"
#include "signal/rsp_temp_acc.h"
#include "signal/simulate.h"

namespace emofuse::signal {
namespace {

constexpr double kWindow = 20, kContext = 30, kHop = 1;

// A wrist recording in E4 units: EDA 4 Hz (uS), BVP 64 Hz, ACC 32 Hz (counts of 1/64 g), TEMP
// 4 Hz (deg C), all starting at `start_s`.
std::vector<RecordedStream> wrist_recording(double seconds, double start_s = 0, std::uint64_t seed = 3) {
  std::vector<RecordedStream> r(4);
  r[0] = {start_s,
          {eda_simulate(seconds, 4, 2.0, {5, 17, 33, 48, 70, 95}, {0.4, 0.3, 0.5, 0.2, 0.6, 0.3}, 0.005, seed).signal}};
  r[1] = {start_s, {ppg_simulate(seconds, 64, 72, 0.02, seed + 1).signal}};
  std::mt19937_64 rng(seed + 2);
  std::normal_distribution<double> noise(0, 3);
  const auto acc_n = static_cast<std::size_t>(seconds * 32);
  r[2] = {start_s, std::vector<std::vector<double>>(3, std::vector<double>(acc_n))};
  for (std::size_t i = 0; i < acc_n; ++i) {
    r[2].channels[0][i] = 10 + noise(rng);
    r[2].channels[1][i] = -20 + noise(rng);
    r[2].channels[2][i] = 58 + noise(rng);
  }
  const auto temp_n = static_cast<std::size_t>(seconds * 4);
  r[3] = {start_s, {std::vector<double>(temp_n)}};
  for (std::size_t i = 0; i < temp_n; ++i)
    r[3].channels[0][i] = 33 + 0.002 * static_cast<double>(i) + 0.01 * noise(rng);
  return r;
}

// Feeds `recording` to `extractor` in random chunks of 0 to 2.5 s per stream, always advancing
// the stream that is furthest behind, so the order of samples across streams is random too.
// `timestamp` maps (stream, sample index) to the time sent.
template <typename TimeOf>
std::vector<LiveWindow> feed_in_random_chunks(LiveFeatureExtractor& extractor, const std::vector<RecordedStream>& rec,
                                              std::uint64_t seed, TimeOf timestamp) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> chunk_s(0.0, 2.5);
  std::vector<std::size_t> next(rec.size(), 0);
  std::vector<LiveWindow> windows;
  double values[3];
  for (;;) {
    std::size_t s = rec.size();
    for (std::size_t i = 0; i < rec.size(); ++i) {
      if (next[i] >= rec[i].channels[0].size()) continue;
      auto time_of = [&](std::size_t k) {
        return rec[k].start_s + static_cast<double>(next[k]) / extractor.pipeline().streams[k].sampling_rate;
      };
      if (s == rec.size() || time_of(i) < time_of(s)) s = i;
    }
    if (s == rec.size()) break;
    const auto count = static_cast<std::size_t>(chunk_s(rng) * extractor.pipeline().streams[s].sampling_rate);
    for (std::size_t k = 0; k < count && next[s] < rec[s].channels[0].size(); ++k, ++next[s]) {
      for (std::size_t c = 0; c < rec[s].channels.size(); ++c) values[c] = rec[s].channels[c][next[s]];
      extractor.push(s, timestamp(s, next[s]), values);
    }
    for (auto& w : extractor.take_windows()) windows.push_back(std::move(w));
  }
  extractor.finish();
  for (auto& w : extractor.take_windows()) windows.push_back(std::move(w));
  return windows;
}

std::vector<LiveWindow> feed_in_random_chunks(LiveFeatureExtractor& extractor, const std::vector<RecordedStream>& rec,
                                              std::uint64_t seed) {
  return feed_in_random_chunks(extractor, rec, seed, [&](std::size_t s, std::size_t i) {
    return rec[s].start_s + static_cast<double>(i) / extractor.pipeline().streams[s].sampling_rate;
  });
}

void expect_same_windows(const std::vector<LiveWindow>& a, const std::vector<LiveWindow>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t w = 0; w < a.size(); ++w) {
    EXPECT_EQ(a[w].end_s, b[w].end_s);
    ASSERT_EQ(a[w].valid, b[w].valid) << "window ending " << a[w].end_s << ": " << a[w].reason << " / " << b[w].reason;
    ASSERT_EQ(a[w].features.size(), b[w].features.size());
    for (std::size_t f = 0; f < a[w].features.size(); ++f) {
      EXPECT_NEAR(a[w].features[f], b[w].features[f], 1e-6 * std::max(1.0, std::abs(a[w].features[f])))
          << "window ending " << a[w].end_s << ", feature " << f;
    }
  }
}

LivePipeline pipeline() {
  return wesad_wrist_pipeline(kWindow, kHop, kContext);
}

TEST(Stream, RandomChunksGiveTheOfflineWindows) {
  const auto rec = wrist_recording(120);
  const auto offline = extract_recording_windows(pipeline(), rec);
  // Windows end every hop from the first full context (30 s) to the recording's end (120 s).
  ASSERT_EQ(offline.size(), 91u);
  EXPECT_EQ(offline.front().end_s, 30.0);
  EXPECT_EQ(offline.back().end_s, 120.0);
  for (const auto& w : offline) {
    EXPECT_TRUE(w.valid) << w.end_s << ": " << w.reason;
    EXPECT_EQ(w.features.size(), pipeline().feature_names().size());
  }
  for (std::uint64_t seed : {1, 2, 3}) {
    LiveFeatureExtractor live(pipeline());
    expect_same_windows(offline, feed_in_random_chunks(live, rec, seed));
  }
}

TEST(Stream, AWindowIsTheOfflineFunctionsOnItsSegment) {
  const auto rec = wrist_recording(80);
  const auto windows = extract_recording_windows(pipeline(), rec);
  const LiveWindow* w = nullptr;
  for (const auto& x : windows) {
    if (x.end_s == 57.0) w = &x;
  }
  ASSERT_NE(w, nullptr);
  // The segment of a stream at fs Hz is samples [(57 - 30) fs, 57 fs); the window its last 20 s.
  auto segment = [&](std::size_t s, std::size_t c, double fs, double scale) {
    const auto b = static_cast<std::size_t>(27 * fs), e = static_cast<std::size_t>(57 * fs);
    std::vector<double> x(rec[s].channels[c].begin() + static_cast<std::ptrdiff_t>(b),
                          rec[s].channels[c].begin() + static_cast<std::ptrdiff_t>(e));
    for (double& v : x) v *= scale;
    return x;
  };
  std::vector<double> expected = eda_window_features(eda_process(segment(0, 0, 4, 1), 4), 40, 120);
  for (double v : ppg_window_features(ppg_process(segment(1, 0, 64, 1), 64), 640, 1920, 0, 1920)) expected.push_back(v);
  for (double v : acc_window_features(segment(2, 0, 32, 1.0 / 64), segment(2, 1, 32, 1.0 / 64),
                                      segment(2, 2, 32, 1.0 / 64), 320, 960)) {
    expected.push_back(v);
  }
  for (double v : temp_window_features(segment(3, 0, 4, 1), 4, 40, 120)) expected.push_back(v);
  ASSERT_EQ(w->features.size(), expected.size());
  for (std::size_t f = 0; f < expected.size(); ++f) EXPECT_EQ(w->features[f], expected[f]) << f;
}

TEST(Stream, JitterWithinTheToleranceChangesNothing) {
  const auto rec = wrist_recording(90);
  const auto clean = extract_recording_windows(pipeline(), rec);
  LiveFeatureExtractor live(pipeline());  // max_gap_s 0.5
  std::mt19937_64 rng(9);
  std::uniform_real_distribution<double> jitter(-0.02, 0.02);
  // A run is anchored at its first sample's timestamp, so that one is sent on time.
  const auto jittered = feed_in_random_chunks(live, rec, 4, [&](std::size_t s, std::size_t i) {
    return static_cast<double>(i) / live.pipeline().streams[s].sampling_rate + (i > 0 ? jitter(rng) : 0.0);
  });
  expect_same_windows(clean, jittered);
}

TEST(Stream, AGapMakesTheWindowsOverItInvalid) {
  auto rec = wrist_recording(120);
  const auto clean = extract_recording_windows(pipeline(), rec);
  // BVP loses 60.0 s .. 63.0 s: its samples there never arrive (the timestamps jump).
  LiveFeatureExtractor live(pipeline());
  const auto windows = feed_in_random_chunks(live, rec, 5, [&](std::size_t s, std::size_t i) {
    const double t = static_cast<double>(i) / live.pipeline().streams[s].sampling_rate;
    return s == 1 && t >= 60 ? t + 3 : t;
  });
  // Every hop still has its line: none is dropped silently.
  ASSERT_EQ(windows.size(), clean.size() + 3);
  for (const auto& w : windows) {
    // Windows ending up to 60 s come before the gap; from 63 + 30 s the context is whole again.
    // BVP, shifted, runs on to 123 s, where the other streams have ended.
    if (w.end_s <= 60.0 || (w.end_s >= 93.0 && w.end_s <= 120.0)) {
      EXPECT_TRUE(w.valid) << w.end_s << ": " << w.reason;
    } else if (w.end_s > 120.0) {
      EXPECT_FALSE(w.valid) << w.end_s;
      EXPECT_NE(w.reason.find("stalled"), std::string::npos) << w.reason;
    } else {
      EXPECT_FALSE(w.valid) << w.end_s;
      EXPECT_NE(w.reason.find("BVP"), std::string::npos) << w.reason;
      EXPECT_TRUE(w.features.empty());
    }
  }
  // Before the gap, the features are those of the clean recording.
  for (std::size_t k = 0; windows[k].end_s <= 60.0; ++k) expect_same_windows({clean[k]}, {windows[k]});
}

TEST(Stream, ANonFiniteSampleMakesTheWindowsThatHoldItInvalid) {
  auto rec = wrist_recording(100);
  const auto clean = extract_recording_windows(pipeline(), rec);
  rec[0].channels[0][4 * 50] = std::nan("");  // EDA at 50.0 s
  const auto windows = extract_recording_windows(pipeline(), rec);
  ASSERT_EQ(windows.size(), clean.size());
  for (std::size_t k = 0; k < windows.size(); ++k) {
    const auto& w = windows[k];
    if (w.end_s > 50.0 && w.end_s <= 80.0) {
      EXPECT_FALSE(w.valid) << w.end_s;
      EXPECT_NE(w.reason.find("non-finite sample in EDA at 50.000 s"), std::string::npos) << w.reason;
    } else {
      expect_same_windows({clean[k]}, {w});
    }
  }
}

TEST(Stream, AStalledStreamDoesNotHoldTheOthersBackAndMemoryStaysBounded) {
  // TEMP stops at 40 s; the others go on for 20 minutes.
  auto rec = wrist_recording(1200);
  rec[3].channels[0].resize(4 * 40);
  LiveTolerances tolerances;
  tolerances.max_lag_s = 5;
  LiveFeatureExtractor live(pipeline(), tolerances);
  std::size_t most_buffered = 0;
  std::vector<LiveWindow> windows;
  std::vector<std::size_t> next(4, 0);
  double values[3];
  for (double round = 1; round <= 1200; round += 1) {
    for (std::size_t s = 0; s < 4; ++s) {
      const double fs = live.pipeline().streams[s].sampling_rate;
      for (; next[s] < rec[s].channels[0].size() && static_cast<double>(next[s]) / fs < round; ++next[s]) {
        for (std::size_t c = 0; c < rec[s].channels.size(); ++c) values[c] = rec[s].channels[c][next[s]];
        live.push(s, static_cast<double>(next[s]) / fs, values);
      }
    }
    for (auto& w : live.take_windows()) windows.push_back(std::move(w));
    most_buffered = std::max(most_buffered, live.buffered_samples());
  }
  EXPECT_EQ(live.take_stall_notices(), std::vector<std::string>{"TEMP"});
  // Windows keep coming, one per hop, up to the stall allowance behind the live edge.
  ASSERT_GE(windows.size(), 1150u);
  for (const auto& w : windows) {
    if (w.end_s <= 40.0) {
      EXPECT_TRUE(w.valid) << w.end_s << ": " << w.reason;
    } else {
      EXPECT_FALSE(w.valid);
      EXPECT_NE(w.reason.find("TEMP stalled"), std::string::npos) << w.reason;
    }
  }
  // Bounded: about context + lag + 2 rounds of every stream (EDA 4 + BVP 64 + ACC 3 x 32 Hz), never the
  // 20 minutes pushed.
  const double per_second = 4 + 64 + 3 * 32;
  EXPECT_LT(static_cast<double>(most_buffered), 2.2 * (kContext + tolerances.max_lag_s + 2) * per_second);
}

TEST(Stream, AClockJumpIsOneInvalidWindowNotOneLinePerSkippedHop) {
  const auto rec = wrist_recording(120);
  LiveFeatureExtractor live(pipeline());
  // From 50 s on, every stream's clock reads 1e9 s later (a device clock reset to another epoch).
  const auto windows = feed_in_random_chunks(live, rec, 7, [&](std::size_t s, std::size_t i) {
    const double t = static_cast<double>(i) / live.pipeline().streams[s].sampling_rate;
    return t >= 50 ? t + 1e9 : t;
  });
  ASSERT_LT(windows.size(), 300u);  // not the 1e9 hops in between
  std::size_t jumps = 0, valid_after = 0;
  for (const auto& w : windows) {
    jumps += w.reason.find("clock jump") != std::string::npos;
    // Before the jump the windows are whole; the last few before 50 s may be invalid: a stream that
    // jumped first makes the lag rule count one still before 50 s (its chunk of up to 2.5 s) as stalled.
    if (w.end_s <= 47.0) {
      EXPECT_TRUE(w.valid) << w.end_s << ": " << w.reason;
    }
    if (w.end_s > 1e9 && w.valid) ++valid_after;
  }
  EXPECT_EQ(jumps, 1u);
  // After the jump, a whole context of the new clock gives valid windows again: those ending at
  // 1e9 + 80 s ... 1e9 + 120 s.
  EXPECT_EQ(valid_after, 41u);
  // Timestamps beyond +-1e12 s are refused.
  const double values[3] = {1, 1, 1};
  EXPECT_THROW(live.push(0, 1e13, values), Error);
  EXPECT_NE(parse_live_sample("1e13,EDA,1", pipeline()).error.find("outside"), std::string::npos);
}

TEST(Stream, SampleLinesParseOrSayWhy) {
  const LivePipeline p = pipeline();
  const auto ok = parse_live_sample(" 12.5 , ACC ,1,-2, +3", p);
  EXPECT_EQ(ok.error, "");
  EXPECT_EQ(ok.stream, 2);
  EXPECT_EQ(ok.timestamp, 12.5);
  EXPECT_EQ(ok.values[2], 3.0);
  EXPECT_TRUE(std::isnan(parse_live_sample("1,EDA,NaN", p).values[0]));
  EXPECT_NE(parse_live_sample("1,EDA", p).error.find("got 2 field(s)"), std::string::npos);
  EXPECT_NE(parse_live_sample("1,EDA,1,2,3,4,5,6,7", p).error.find("the line 7"), std::string::npos);
  EXPECT_NE(parse_live_sample("x,EDA,1", p).error.find("timestamp 'x'"), std::string::npos);
  EXPECT_NE(parse_live_sample("inf,EDA,1", p).error.find("not a finite number"), std::string::npos);
  EXPECT_NE(parse_live_sample("1,eda,1", p).error.find("unknown stream 'eda'"), std::string::npos);
  EXPECT_NE(parse_live_sample("1,EDA,", p).error.find("EDA value 1 ''"), std::string::npos);
  EXPECT_NE(parse_live_sample("1,EDA,1x", p).error.find("'1x' is not a number"), std::string::npos);
}

TEST(Stream, StreamsStartingAtDifferentTimesAlignByTimestamp) {
  auto rec = wrist_recording(90, 1000.0);
  rec[1].start_s = 1010.0;  // BVP starts 10 s later (and runs 10 s longer)
  const auto windows = extract_recording_windows(pipeline(), rec);
  ASSERT_FALSE(windows.empty());
  EXPECT_EQ(windows.front().end_s, 1030.0);
  for (const auto& w : windows) {
    if (w.end_s < 1040.0) {
      EXPECT_FALSE(w.valid);
      EXPECT_NE(w.reason.find("BVP:"), std::string::npos) << w.reason;
    } else if (w.end_s <= 1090.0) {
      EXPECT_TRUE(w.valid) << w.end_s << ": " << w.reason;
    }
  }
  LiveFeatureExtractor live(pipeline());
  expect_same_windows(windows, feed_in_random_chunks(live, rec, 6));
}

TEST(Stream, PipelineYamlReadsBackAndBadDeclarationsAreNamed) {
  const LivePipeline p = pipeline();
  const LivePipeline q = live_pipeline_from_yaml(YAML::Load(live_pipeline_yaml(p)), "feature_pipeline.yaml");
  EXPECT_EQ(q.feature_names(), p.feature_names());
  EXPECT_EQ(q.window_s, p.window_s);
  EXPECT_EQ(q.context_s, p.context_s);
  ASSERT_EQ(q.streams.size(), 4u);
  EXPECT_EQ(q.streams[2].scale, 1.0 / 64);
  auto error_of = [](const std::string& yaml) {
    try {
      live_pipeline_from_yaml(YAML::Load(yaml), "p.yaml");
    } catch (const DataError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  const std::string modalities = "modalities: [{name: eda, role: physiological, prefix: EDA_}]\n";
  EXPECT_NE(error_of("streams: [{name: EDA, kind: gsr, sampling_rate: 4, prefix: EDA_}]\n" + modalities)
                .find("streams[0].kind"),
            std::string::npos);
  EXPECT_NE(error_of("streams: [{name: EDA, kind: eda, sampling_rate: 0, prefix: EDA_}]\n" + modalities)
                .find("streams[0].sampling_rate"),
            std::string::npos);
  EXPECT_NE(error_of("streams: [{name: EDA, kind: eda, sampling_rate: 4, prefix: EDA_, rate: 4}]\n" + modalities)
                .find("streams[0].rate"),
            std::string::npos);
  EXPECT_NE(error_of("window_s: 10\ncontext_s: 5\nstreams: [{name: EDA, kind: eda, sampling_rate: 4, prefix: EDA_}]\n" +
                     modalities)
                .find("context_s"),
            std::string::npos);
  EXPECT_NE(error_of("streams: [{name: EDA, kind: eda, sampling_rate: 4, prefix: EDA_}]\n"
                     "modalities: [{name: bvp, prefix: PPG_}]\n")
                .find("modalities[0].prefix"),
            std::string::npos);
  EXPECT_NE(error_of("modalities: []\n").find("streams"), std::string::npos);
  EXPECT_NE(
      error_of("streams: [{name: EDA, kind: eda, sampling_rate: -4, prefix: EDA_}]\n" + modalities).find("p.yaml"),
      std::string::npos);
  EXPECT_EQ(error_of("streams: [{name: EDA, kind: eda, sampling_rate: 4, prefix: EDA_}]\n" + modalities), "no error");
}

}  // namespace
}  // namespace emofuse::signal
