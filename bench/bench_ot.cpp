// Optimal-transport solver speed on HeLo's problem size (n = m = 36 tokens of width 128), plan
// only (no autograd), as HeLo uses them: batch-1 latency (median, p99) and batch-128 throughput of
//   - the thresholded intra-set cosine costs + entropic GW with IPOT (5 x 20 steps), fused kernel
//   - the same GW through the log-domain tensor path (fused_cpu = false)
//   - log-domain Sinkhorn on the cross cosine cost (50 iterations)
// Usage: bench_ot [--threads N] (default 1)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <vector>

#include "core/runtime.h"
#include "ot/costs.h"
#include "ot/gromov_wasserstein.h"
#include "ot/sinkhorn.h"

using Clock = std::chrono::steady_clock;
using namespace emofuse;

static double elapsed_ms(Clock::time_point a) {
  return std::chrono::duration<double, std::milli>(Clock::now() - a).count();
}

// Median and p99 of `reps` timed calls (after 10 warm-up calls), in milliseconds.
static std::pair<double, double> time_calls(const std::function<void()>& call, int reps) {
  for (int i = 0; i < 10; ++i) call();
  std::vector<double> ms;
  for (int i = 0; i < reps; ++i) {
    auto t0 = Clock::now();
    call();
    ms.push_back(elapsed_ms(t0));
  }
  std::sort(ms.begin(), ms.end());
  return {ms[ms.size() / 2], ms[ms.size() * 99 / 100]};
}

int main(int argc, char** argv) {
  ensure_passive_omp_wait(argv);
  int threads = 1;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--threads") && i + 1 < argc)
      threads = std::atoi(argv[++i]);
    else {
      std::fprintf(stderr, "unknown option %s (use --threads N)\n", argv[i]);
      return 2;
    }
  }
  set_thread_count(threads);
  c10::InferenceMode inference;
  const int64_t n = 36, d = 128;
  std::printf("OT benchmark: n = m = %lld tokens, d = %lld, %d thread(s)\n", (long long)n, (long long)d, threads);
  std::printf("%-34s %-14s %-14s %-16s\n", "solver", "batch-1 median", "batch-1 p99", "batch-128 problems/s");
  for (const std::string solver : {"gw_ipot_fused", "gw_ipot_tensor", "sinkhorn_log"}) {
    auto run = [&](int64_t batch) {
      auto x = torch::randn({batch, n, d}), y = torch::randn({batch, n, d});
      auto a = ot::uniform_marginal(batch, n, x.options());
      return [=]() {
        if (solver == "sinkhorn_log") {
          ot::sinkhorn_log(ot::cosine_cost(x, y), a, a,
                           ot::SinkhornOptions().epsilon(0.1).iterations(50).tolerance(0).differentiable(false));
          return;
        }
        auto c1 = ot::threshold_cost(ot::cosine_cost(x, x), ot::ThresholdCostOptions().fraction(0.1));
        auto c2 = ot::threshold_cost(ot::cosine_cost(y, y), ot::ThresholdCostOptions().fraction(0.1));
        ot::entropic_gromov_wasserstein(c1, c2, a, a,
                                        ot::GromovWassersteinOptions()
                                            .fused_cpu(solver == "gw_ipot_fused")
                                            .compute_distance(false)
                                            .check_inputs(false));
      };
    };
    auto [median, p99] = time_calls(run(1), 300);
    auto [median128, p99_128] = time_calls(run(128), 10);
    std::printf("%-34s %-14s %-14s %-16.0f\n", solver.c_str(), (std::to_string(median).substr(0, 6) + " ms").c_str(),
                (std::to_string(p99).substr(0, 6) + " ms").c_str(), 128.0 / (median128 / 1e3));
    (void)p99_128;
  }
  return 0;
}
