// The cost of averaging gradients over ranks: dist::Distributed::all_reduce_mean (one Gloo
// all-reduce of a flat float32 buffer, then a division) for buffer sizes from 4 KiB to 16 MiB.
// Start it as a distributed run, e.g. on one machine:
//
//   scripts/launch_local.sh 2 build/bench/bench_allreduce --repeats 50
//
// Rank 0 prints, per size, the median and p90 time of one call and the algorithm bandwidth
// (buffer bytes / median time), and the fitted cost model t(bytes) = latency + bytes / bandwidth
// (least squares over the sizes), which docs/distributed.md uses to estimate larger clusters.
// Options: --repeats N (default 30), --threads N (default 1), --json FILE.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/runtime.h"
#include "dist/distributed.h"

using Clock = std::chrono::steady_clock;
using namespace emofuse;

int main(int argc, char** argv) {
  ensure_passive_omp_wait(argv);
  int repeats = 30, threads = 1;
  std::string json_path;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--repeats") && i + 1 < argc) {
      repeats = std::max(3, std::atoi(argv[++i]));
    } else if (!std::strcmp(argv[i], "--threads") && i + 1 < argc) {
      threads = std::atoi(argv[++i]);
    } else if (!std::strcmp(argv[i], "--json") && i + 1 < argc) {
      json_path = argv[++i];
    } else {
      std::fprintf(stderr,
                   "usage: bench_allreduce [--repeats N] [--threads N] [--json FILE] (as ranks: see the file)\n");
      return std::strcmp(argv[i], "--help") ? 2 : 0;
    }
  }
  set_thread_count(threads);
  auto options = dist::DistributedOptions::from_environment();
  options.validate();
  if (!options.enabled()) {
    std::fprintf(stderr, "bench_allreduce: WORLD_SIZE is 1; start it with scripts/launch_local.sh N ...\n");
    return 2;
  }
  dist::Distributed ranks(options);
  nlohmann::json out;
  out["world_size"] = ranks.world_size();
  out["repeats"] = repeats;
  if (ranks.is_main()) {
    std::printf("all_reduce_mean over %d ranks (Gloo, float32), %d calls per size\n", ranks.world_size(), repeats);
    std::printf("%12s %12s %12s %14s\n", "bytes", "median ms", "p90 ms", "MB/s (alg.)");
  }
  std::vector<double> xs, ys;
  for (int64_t bytes : {int64_t(4) << 10, int64_t(64) << 10, int64_t(256) << 10, int64_t(1) << 20, int64_t(4) << 20,
                        int64_t(16) << 20}) {
    std::vector<torch::Tensor> buffer{torch::ones({bytes / 4}, torch::kFloat32)};
    ranks.all_reduce_mean(buffer);  // warm-up (and the process group's creation)
    std::vector<double> ms;
    for (int r = 0; r < repeats; ++r) {
      const auto start = Clock::now();
      ranks.all_reduce_mean(buffer);
      ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    }
    std::sort(ms.begin(), ms.end());
    const double median = ms[ms.size() / 2], p90 = ms[ms.size() * 9 / 10];
    xs.push_back(double(bytes));
    ys.push_back(median);
    out["sizes"].push_back({{"bytes", bytes}, {"median_ms", median}, {"p90_ms", p90}});
    if (ranks.is_main()) {
      std::printf("%12lld %12.3f %12.3f %14.1f\n", static_cast<long long>(bytes), median, p90,
                  bytes / 1e6 / (median / 1e3));
    }
  }
  // t = a + b * bytes by least squares.
  const double n = double(xs.size());
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (size_t i = 0; i < xs.size(); ++i) {
    sx += xs[i];
    sy += ys[i];
    sxx += xs[i] * xs[i];
    sxy += xs[i] * ys[i];
  }
  const double slope = (n * sxy - sx * sy) / (n * sxx - sx * sx), latency = (sy - slope * sx) / n;
  out["latency_ms"] = latency;
  out["ms_per_mb"] = slope * 1e6;
  if (ranks.is_main()) {
    std::printf("cost model: %.3f ms + %.3f ms per MB\n", latency, slope * 1e6);
    if (!json_path.empty()) {
      std::ofstream(json_path) << out.dump(2) << "\n";
      std::printf("JSON: %s\n", json_path.c_str());
    }
  }
  ranks.finish();
  return 0;
}
