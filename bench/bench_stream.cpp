// How many live wearable streams one core serves in real time (`emofuse stream`'s pipeline).
//
//   bench_stream --model DIR [--streams 1000] [--seconds 75] [--recordings 8] [--seed 1] [--batch-per-tick]
//                [--tick-ms T]
//
// DIR is a model bundle trained on causal window features (`emofuse features --causal`, see
// docs/streaming.md; bench/stream_models.sh trains the two the docs report). Every stream is one
// simulated wearable with the bundle's declared streams (WESAD wrist: BVP 64 Hz, EDA 4 Hz,
// TEMP 4 Hz, ACC 32 Hz), started at a random moment within one hop (independent devices hop at
// different moments), its samples taken from one of `--recordings` simulated recordings. The
// server wakes every tick (--tick-ms, default 1 ms; 10 ms with --batch-per-tick), takes the
// samples that arrived since and pushes them, device by device, into one LiveFeatureExtractor
// each; every window is predicted as soon as it is decided (batch 1, as `emofuse stream` does),
// or with --batch-per-tick all windows of the tick in one batch at its end.
//
// Prints, on one thread, over the steady state (after the first context):
//   - per window: the features (the push that completes the window) and the prediction;
//   - the hop latency a device sees: from the arrival of the window's last sample to its
//     prediction = the wait for the server's next tick + the server's work in that tick up to
//     this window (other devices' samples and windows come first);
//   - real-time capacity: stream-seconds served per CPU-second in the steady state = how many
//     such streams one core keeps up with;
//   - memory: resident set growth per stream over the run.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <random>
#include <string>
#include <vector>

#include "bench_memory.h"
#include "cli/window_predictor.h"
#include "core/memory.h"
#include "core/runtime.h"
#include "signal/live_features.h"
#include "signal/simulate.h"
#include "signal/stats.h"

namespace es = emofuse::signal;

namespace {

double cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

// One simulated recording of `pipeline`'s streams, `seconds` long, in the streams' raw units.
std::vector<es::RecordedStream> simulate(const es::LivePipeline& pipeline, double seconds, std::uint64_t seed) {
  std::vector<es::RecordedStream> out;
  std::mt19937_64 rng(seed);
  for (const auto& s : pipeline.streams) {
    const double fs = s.sampling_rate;
    const auto n = static_cast<std::size_t>(seconds * fs);
    es::RecordedStream r;
    switch (s.kind) {
      case es::StreamKind::kEda: {
        std::vector<double> onsets, amplitudes;
        for (double t = 3; t < seconds; t += 9 + static_cast<double>(rng() % 7)) {
          onsets.push_back(t);
          amplitudes.push_back(0.2 + 0.05 * static_cast<double>(rng() % 6));
        }
        r.channels = {es::eda_simulate(seconds, fs, 2.0, onsets, amplitudes, 0.005, rng()).signal};
        break;
      }
      case es::StreamKind::kPpg:
        r.channels = {es::ppg_simulate(seconds, fs, 65 + rng() % 20, 0.02, rng()).signal};
        break;
      case es::StreamKind::kEcg: {
        es::EcgSimulationOptions o;
        o.duration_s = seconds;
        o.sampling_rate = fs;
        r.channels = {es::ecg_simulate(o, rng()).signal};
        break;
      }
      case es::StreamKind::kRsp:
        r.channels = {es::rsp_simulate(seconds, fs, 15, 1, 0.02, rng()).signal};
        break;
      case es::StreamKind::kTemp:
      case es::StreamKind::kAcc: {
        std::normal_distribution<double> noise(0, 2);
        r.channels.assign(s.channels, std::vector<double>(n));
        for (std::size_t c = 0; c < s.channels; ++c) {
          for (std::size_t i = 0; i < n; ++i) {
            r.channels[c][i] = s.kind == es::StreamKind::kTemp ? 33 + 0.001 * static_cast<double>(i) + 0.01 * noise(rng)
                                                               : (c == 2 ? 60 : 5) + noise(rng);
          }
        }
        break;
      }
    }
    for (auto& c : r.channels) c.resize(std::min(c.size(), n));
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::string model;
  int streams = 1000, recordings = 8;
  double seconds = 75;
  std::uint64_t seed = 1;
  bool batch_per_tick = false;
  double tick_ms = 0;  // 0: 1 ms, or 10 ms with --batch-per-tick
  for (int i = 1; i < argc; i += 2) {
    if (i + 1 >= argc && std::strcmp(argv[i], "--batch-per-tick") != 0) {
      std::fprintf(stderr, "bench_stream: %s needs a value\n", argv[i]);
      return 2;
    }
    const std::string flag = argv[i];
    if (flag == "--model")
      model = argv[i + 1];
    else if (flag == "--streams")
      streams = std::atoi(argv[i + 1]);
    else if (flag == "--seconds")
      seconds = std::atof(argv[i + 1]);
    else if (flag == "--recordings")
      recordings = std::atoi(argv[i + 1]);
    else if (flag == "--seed")
      seed = std::strtoull(argv[i + 1], nullptr, 10);
    else if (flag == "--tick-ms")
      tick_ms = std::atof(argv[i + 1]);
    else if (flag == "--batch-per-tick") {
      batch_per_tick = true;
      --i;  // a flag without a value
    } else {
      std::fprintf(stderr, "bench_stream: unknown flag %s\n", argv[i]);
      return 2;
    }
  }
  if (tick_ms == 0) tick_ms = batch_per_tick ? 10 : 1;
  if (model.empty() || streams < 1 || recordings < 1 || seconds <= 0 || tick_ms <= 0) {
    std::fprintf(stderr,
                 "usage: bench_stream --model DIR [--streams N] [--seconds S] [--recordings R] [--seed K] "
                 "[--batch-per-tick] [--tick-ms T]\n");
    return 2;
  }
  emofuse::reuse_freed_memory();
  emofuse::set_thread_count(1);
  try {
    emofuse::cli::WindowPredictor predictor(model);
    const auto& pipeline = predictor.pipeline();
    std::vector<std::vector<es::RecordedStream>> recorded;
    for (int r = 0; r < recordings; ++r) recorded.push_back(simulate(pipeline, seconds + 1, seed * 1000 + r));
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> phase(0.0, pipeline.hop_s);
    std::vector<double> start(streams);
    for (double& s : start) s = phase(rng);
    // Warm the predictor (first-call allocations) before anything is measured.
    {
      std::vector<double> row(pipeline.feature_names().size(), 0.5);
      predictor.predict({&row});
    }
    const double rss_before = emofuse::bench::resident_mb();
    std::vector<es::LiveFeatureExtractor> live;
    live.reserve(static_cast<std::size_t>(streams));
    for (int k = 0; k < streams; ++k) live.emplace_back(pipeline);
    std::vector<std::vector<std::size_t>> next(static_cast<std::size_t>(streams),
                                               std::vector<std::size_t>(pipeline.streams.size(), 0));
    std::vector<double> feature_ms, predict_ms, latency_ms, batch_ms, batch_rows;
    std::vector<es::LiveWindow> tick_windows;  // --batch-per-tick: the windows of the current tick
    std::vector<double> tick_arrivals;         // and the arrival time of each one's last sample
    std::int64_t windows = 0, valid = 0;
    double steady_cpu = 0, steady_sim = 0;
    const double steady_from = pipeline.context_s + pipeline.hop_s;
    double values[3];
    const double tick = tick_ms / 1000.0;
    const auto ticks = static_cast<std::int64_t>(seconds / tick);
    for (std::int64_t tick_index = 1; tick_index <= ticks; ++tick_index) {
      const double tick_end = static_cast<double>(tick_index) * tick;
      const double cpu0 = cpu_seconds();
      const auto woke = std::chrono::steady_clock::now();
      auto since_wake_ms = [&woke] {
        return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - woke).count();
      };
      for (int k = 0; k < streams; ++k) {
        const auto& rec = recorded[static_cast<std::size_t>(k % recordings)];
        for (std::size_t s = 0; s < pipeline.streams.size(); ++s) {
          const double fs = pipeline.streams[s].sampling_rate;
          auto& i = next[static_cast<std::size_t>(k)][s];
          for (; i < rec[s].channels[0].size(); ++i) {
            const double t = start[static_cast<std::size_t>(k)] + static_cast<double>(i) / fs;
            if (t >= tick_end) break;
            for (std::size_t c = 0; c < rec[s].channels.size(); ++c) values[c] = rec[s].channels[c][i];
            const auto t0 = std::chrono::steady_clock::now();
            live[static_cast<std::size_t>(k)].push(s, t, values);
            auto decided = live[static_cast<std::size_t>(k)].take_windows();
            if (decided.empty()) continue;
            const auto t1 = std::chrono::steady_clock::now();
            for (auto& w : decided) {
              ++windows;
              if (!w.valid) continue;
              ++valid;
              if (batch_per_tick) {
                tick_windows.push_back(std::move(w));
                tick_arrivals.push_back(t);
              } else {
                predictor.predict({&w.features});
                if (t >= steady_from) latency_ms.push_back((tick_end - t) * 1e3 + since_wake_ms());
              }
            }
            const auto t2 = std::chrono::steady_clock::now();
            if (t >= steady_from) {
              feature_ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
              if (!batch_per_tick) predict_ms.push_back(std::chrono::duration<double, std::milli>(t2 - t1).count());
            }
          }
        }
      }
      if (!tick_windows.empty()) {
        std::vector<const std::vector<double>*> rows;
        for (const auto& w : tick_windows) rows.push_back(&w.features);
        const auto t0 = std::chrono::steady_clock::now();
        predictor.predict(rows);
        if (tick_end > steady_from) {
          batch_ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
          batch_rows.push_back(static_cast<double>(rows.size()));
          const double done = since_wake_ms();
          for (double t : tick_arrivals) latency_ms.push_back((tick_end - t) * 1e3 + done);
        }
        tick_windows.clear();
        tick_arrivals.clear();
      }
      if (tick_end > steady_from) {
        steady_cpu += cpu_seconds() - cpu0;
        steady_sim += tick;
      }
    }
    const double rss_after = emofuse::bench::resident_mb();
    const double capacity = static_cast<double>(streams) * steady_sim / steady_cpu;
    std::printf("bench_stream: model %s, %d streams (%zu signals: ", predictor.model_name().c_str(), streams,
                pipeline.streams.size());
    for (std::size_t s = 0; s < pipeline.streams.size(); ++s) {
      std::printf("%s%s %.0f Hz", s ? ", " : "", pipeline.streams[s].name.c_str(), pipeline.streams[s].sampling_rate);
    }
    std::printf("), window %.0f s every %.0f s (context %.0f s), %.0f s simulated, 1 thread, BLAS %s\n",
                pipeline.window_s, pipeline.hop_s, pipeline.context_s, seconds, emofuse::blas_library_name().c_str());
    std::printf("  windows: %lld (%lld valid)\n", static_cast<long long>(windows), static_cast<long long>(valid));
    auto line = [](const char* what, const std::vector<double>& v) {
      std::printf("  %-34s p50 %7.3f  p99 %7.3f  max %7.3f  (%zu)\n", what, es::vector_quantile(v, 0.5),
                  es::vector_quantile(v, 0.99), es::vector_quantile(v, 1.0), v.size());
    };
    std::printf("  per hop, ms:\n");
    line("features (the completing push)", feature_ms);
    if (batch_per_tick) {
      double mean_rows = 0;
      for (double r : batch_rows) mean_rows += r / static_cast<double>(batch_rows.size());
      std::printf("  prediction: one batch per tick, %.1f windows per batch on average\n", mean_rows);
      line("batch prediction", batch_ms);
    } else {
      line("prediction (batch 1)", predict_ms);
    }
    std::printf("  hop latency, ms (last sample -> prediction; server tick %.0f ms):\n", tick_ms);
    line("wait for the tick + work before it", latency_ms);
    std::printf("  steady state: %.2f CPU s for %.2f s of %d streams -> %.0f streams per core in real time\n",
                steady_cpu, steady_sim, streams, capacity);
    if (capacity < streams) {
      std::printf(
          "  OVERLOADED: one core does not keep up with %d streams; the latencies above assume every tick is\n"
          "  served on time, which it is not\n",
          streams);
    }
    std::printf("  memory: RSS %.1f MB before the streams, %.1f MB after -> %.1f KB per stream\n", rss_before,
                rss_after, (rss_after - rss_before) * 1000.0 / streams);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_stream: %s\n", e.what());
    return 1;
  }
  return 0;
}
