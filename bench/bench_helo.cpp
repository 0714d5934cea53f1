// HeLo speed and memory on DMER shapes (EEG 18x5, GSR 28, PPG 27, video 768; 10 emotions), per
// LibTorch thread count:
//   - the process's matmul GFLOP/s (1024^3 float: the BLAS in use matters ~20x, so every ratio
//     between two programs needs this figure from both);
//   - training at batch 128 (forward, loss, backward, AdamW step): per-step median and p99,
//     samples/s at the median;
//   - inference under eval() and InferenceMode at batch 1 and batch 128: median and p99;
//   - model FLOPs: the matrix products (aten::mm, addmm, bmm, baddbmm, 2 m n k each) counted
//     while one step / one forward pass runs, and the GFLOP/s they reach at the median time;
//     element-wise work and the fused Gromov-Wasserstein kernel are not counted;
//   - memory: the resident set after each configuration, the process's peak, and the growth of
//     the resident set over --leak-calls batch-1 calls after warm-up;
//   - the dedicated inference path (HeloInference, same weights) at batch 1 and 128: median, p99,
//     its largest difference from the LibTorch forward pass, and its resident-set growth.
// The table goes to stdout; --json FILE writes the same figures as JSON.
#include <ATen/record_function.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "bench_memory.h"
#include "core/io.h"
#include "core/memory.h"
#include "core/runtime.h"
#include "data/dataset.h"
#include "models/helo/helo.h"
#include "models/helo/helo_inference.h"

using Clock = std::chrono::steady_clock;
using namespace emofuse;

namespace {

const char* kUsage = R"(Usage: bench_helo [options]
  --threads LIST     LibTorch thread counts to measure, e.g. 1 or 1,2 (default 1,2)
  --ot KIND          gw | sinkhorn | none (default gw)
  --options YAML     other HeLo options as a YAML map, e.g. "{encoder_hidden: 0, norm_first: false}"
  --steps N          timed training steps at batch 128 (default 20; 3 warm-up steps first)
  --infer-calls N    timed batch-1 forward passes (default 300; batch 128: N / 6, at least 10)
  --leak-calls N     batch-1 calls over which the resident set's growth is measured (default 10000; 0 skips)
  --json FILE        also write the figures as JSON
  --help             this text
)";

double seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

double matmul_gflops() {
  auto a = torch::randn({1024, 1024}), b = torch::randn({1024, 1024});
  for (int i = 0; i < 2; ++i) a.matmul(b);
  const int reps = 10;
  auto t0 = Clock::now();
  for (int i = 0; i < reps; ++i) a.matmul(b);
  return 2.0 * 1024 * 1024 * 1024 * reps / seconds(t0, Clock::now()) / 1e9;
}

// Median and p99 (nearest rank) of `samples`, which it sorts.
struct Quantiles {
  double median = 0, p99 = 0;
};
Quantiles quantiles(std::vector<double> samples) {
  std::sort(samples.begin(), samples.end());
  if (samples.empty()) return {};
  const size_t n = samples.size();
  const size_t rank99 = std::min(n - 1, static_cast<size_t>(std::ceil(0.99 * double(n))) - 1);
  return {samples[n / 2], samples[rank99]};
}

// Counts the FLOPs (2 m n k) of the matrix products ATen runs while it is alive.
class MatmulFlopCounter {
 public:
  MatmulFlopCounter() {
    handle_ = at::addGlobalCallback(
        at::RecordFunctionCallback(&MatmulFlopCounter::on_start).needsInputs(true).scopes({at::RecordScope::FUNCTION}));
    flops().store(0);
  }
  ~MatmulFlopCounter() { at::removeCallback(handle_); }
  double count() const { return flops().load(); }

 private:
  static std::atomic<double>& flops() {
    static std::atomic<double> value{0};
    return value;
  }
  static std::unique_ptr<at::ObserverContext> on_start(const at::RecordFunction& fn) {
    const std::string name = fn.name();
    const auto inputs = fn.inputs();
    auto tensor = [&](size_t i) {
      return i < inputs.size() && inputs[i].isTensor() ? inputs[i].toTensor() : at::Tensor();
    };
    at::Tensor a, b;
    if (name == "aten::mm" || name == "aten::bmm") {
      a = tensor(0);
      b = tensor(1);
    } else if (name == "aten::addmm" || name == "aten::baddbmm") {
      a = tensor(1);
      b = tensor(2);
    } else {
      return nullptr;
    }
    if (!a.defined() || !b.defined() || a.dim() < 2) return nullptr;
    // [.., m, k] x [.., k, n]: 2 m k n per batch entry.
    double f = 2.0 * double(a.numel()) * double(b.size(-1));
    double expected = flops().load();
    while (!flops().compare_exchange_weak(expected, expected + f)) {
    }
    return nullptr;
  }
  at::CallbackHandle handle_;
};

std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", digits, v);
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  ensure_passive_omp_wait(argv);
  reuse_freed_memory();  // as the emofuse CLI does (core/memory.h)
  std::string ot = "gw", extra = "{}", json_path, thread_list = "1,2";
  int steps = 20, infer_calls = 300, leak_calls = 10000;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "bench_helo: option %s needs a value\n%s", argv[i], kUsage);
      return 2;
    }
    const std::string value = argv[++i];
    try {
      if (flag == "--ot") {
        ot = value;
      } else if (flag == "--steps") {
        steps = std::stoi(value);
      } else if (flag == "--infer-calls") {
        infer_calls = std::stoi(value);
      } else if (flag == "--leak-calls") {
        leak_calls = std::stoi(value);
      } else if (flag == "--options") {
        extra = value;
      } else if (flag == "--json") {
        json_path = value;
      } else if (flag == "--threads") {
        thread_list = value;
      } else {
        std::fprintf(stderr, "bench_helo: unknown option %s\n%s", flag.c_str(), kUsage);
        return 2;
      }
    } catch (const std::exception&) {
      std::fprintf(stderr, "bench_helo: %s: expected a whole number, got '%s'\n", flag.c_str(), value.c_str());
      return 2;
    }
  }
  std::vector<int> thread_counts;
  for (const auto& field : split_fields(thread_list, ',')) {
    const int t = std::atoi(field.c_str());
    if (t < 1 || t > 256) {
      std::fprintf(stderr, "bench_helo: --threads: expected thread counts >= 1 such as 1,2, got '%s'\n",
                   thread_list.c_str());
      return 2;
    }
    thread_counts.push_back(t);
  }
  if (steps < 1 || infer_calls < 1 || leak_calls < 0) {
    std::fprintf(stderr, "bench_helo: --steps and --infer-calls must be >= 1, --leak-calls >= 0\n");
    return 2;
  }
  YAML::Node options;
  try {
    options = YAML::Load(extra);
    if (!options.IsMap()) throw YAML::Exception(YAML::Mark(), "expected a map such as {encoder_hidden: 0}");
    options["ot"] = ot;
    models::HeloOptions::from_yaml(options);  // validates every key before any work
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_helo: --options: %s\n", e.what());
    return 2;
  }
  data::DatasetSchema schema;
  schema.modalities = {{"eeg", data::ModalityRole::kPhysiological, {18, 5}},
                       {"gsr", data::ModalityRole::kPhysiological, {28}},
                       {"ppg", data::ModalityRole::kPhysiological, {27}},
                       {"video", data::ModalityRole::kBehavioural, {768}}};
  for (int c = 0; c < 10; ++c) schema.class_names.push_back("e" + std::to_string(c));
  auto make_inputs = [](int64_t b) {
    return std::vector<torch::Tensor>{torch::randn({b, 18, 5}), torch::randn({b, 28}), torch::randn({b, 27}),
                                      torch::randn({b, 768})};
  };

  nlohmann::json report;
  report["benchmark"] = "bench_helo";
  report["blas"] = blas_library_name();
  report["ot"] = ot;
  report["options"] = extra;
  report["shapes"] = "DMER: eeg 18x5, gsr 28, ppg 27, video 768; 10 emotions";
  std::printf("HeLo benchmark (ot=%s, options %s), BLAS %s\n", ot.c_str(), extra.c_str(), blas_library_name().c_str());
  std::printf("%-7s %-8s %-10s %-10s %-9s %-8s %-8s %-9s %-9s %-9s %-9s %-9s %-8s %-8s\n", "threads", "matmul",
              "train/s", "step med", "step p99", "train", "train", "infer-1", "infer-1", "infer-1", "infer-128",
              "infer-128", "RSS", "growth");
  std::printf("%-7s %-8s %-10s %-10s %-9s %-8s %-8s %-9s %-9s %-9s %-9s %-9s %-8s %-8s\n", "", "GFLOP/s", "samples",
              "ms", "ms", "GFLOP/s", "% matmul", "med ms", "p99 ms", "GFLOP/s", "med ms", "p99 ms", "MB", "MB");
  const int64_t batch = 128;
  std::string fast_lines;   // the dedicated inference path's table, printed after the main one
  std::string stage_lines;  // and where its batch-1 calls spend their time
  for (int threads : thread_counts) {
    set_thread_count(threads);
    const double matmul = matmul_gflops();
    torch::manual_seed(0);
    models::HeloModel model(schema, models::HeloOptions::from_yaml(options));
    int64_t parameters = 0;
    for (const auto& p : model.parameters()) parameters += p.numel();
    torch::optim::AdamW optimizer(model.parameters(), torch::optim::AdamWOptions(1e-3));
    auto inputs = make_inputs(batch);
    data::Batch b;
    b.inputs = inputs;
    b.targets = torch::softmax(torch::randn({batch, 10}), 1);
    model.train();
    auto train_step = [&] {
      auto loss = model.loss(model.forward(inputs), b).total;
      optimizer.zero_grad();
      loss.backward();
      optimizer.step();
    };
    for (int i = 0; i < 3; ++i) train_step();  // warm-up
    double step_flops = 0;
    {
      MatmulFlopCounter counter;
      train_step();
      step_flops = counter.count();
    }
    std::vector<double> step_ms;
    for (int i = 0; i < steps; ++i) {
      const auto s = Clock::now();
      train_step();
      step_ms.push_back(seconds(s, Clock::now()) * 1e3);
    }
    const auto step = quantiles(step_ms);

    model.eval();
    c10::InferenceMode inference;
    auto one = make_inputs(1);
    auto many = make_inputs(batch);
    for (int i = 0; i < 20; ++i) model.forward(one);
    double one_flops = 0, many_flops = 0;
    {
      MatmulFlopCounter counter;
      model.forward(one);
      one_flops = counter.count();
    }
    {
      MatmulFlopCounter counter;
      model.forward(many);
      many_flops = counter.count();
    }
    // Median and p99 of `calls` timed calls of `call`, after `warm_up` untimed ones.
    auto timed = [](int warm_up, int calls, const std::function<void()>& call) {
      for (int i = 0; i < warm_up; ++i) call();
      std::vector<double> ms;
      for (int i = 0; i < calls; ++i) {
        const auto s = Clock::now();
        call();
        ms.push_back(seconds(s, Clock::now()) * 1e3);
      }
      return quantiles(std::move(ms));
    };
    const int many_calls = std::max(10, infer_calls / 6);
    const auto infer_one = timed(0, infer_calls, [&] { model.forward(one); });
    const auto infer_many = timed(3, many_calls, [&] { model.forward(many); });
    // Resident-set growth over many batch-1 calls (after the calls above warmed every buffer up).
    const double before = emofuse::bench::resident_mb();
    for (int i = 0; i < leak_calls; ++i) model.forward(one);
    const double growth = emofuse::bench::resident_mb() - before;
    const double rss = emofuse::bench::resident_mb(), peak = emofuse::bench::peak_resident_mb();

    // The dedicated inference path on the same weights (HeloInference is a snapshot of them).
    const models::HeloInference fast(model, schema);
    const double fast_diff = std::max((fast.forward(one) - model.forward(one).log_probs).abs().max().item<double>(),
                                      (fast.forward(many) - model.forward(many).log_probs).abs().max().item<double>());
    const auto fast_one = timed(20, infer_calls, [&] { fast.forward(one); });
    const auto fast_many = timed(3, many_calls, [&] { fast.forward(many); });
    const double fast_before = emofuse::bench::resident_mb();
    for (int i = 0; i < leak_calls; ++i) fast.forward(one);
    const double fast_growth = emofuse::bench::resident_mb() - fast_before;
    const double fast_one_gflops = one_flops / (fast_one.median * 1e-3) / 1e9;
    // Where a batch-1 call of the dedicated path spends its time: each stage's mean.
    models::HeloInference::StageTimes stages;
    for (int i = 0; i < infer_calls; ++i) fast.forward(one, &stages);
    double stage_total = 0;
    for (const auto& [stage, total] : stages.seconds) stage_total += total;
    nlohmann::json stage_json = nlohmann::json::array();
    for (const auto& [stage, total] : stages.seconds) {
      const double mean_ms = total / infer_calls * 1e3;
      char stage_line[256];
      std::snprintf(stage_line, sizeof(stage_line), "%-7d %-46s %-9s %-6s\n", threads, stage.c_str(),
                    fixed(mean_ms, 4).c_str(), fixed(100 * total / stage_total, 1).c_str());
      stage_lines += stage_line;
      stage_json.push_back({{"stage", stage}, {"ms_mean", mean_ms}, {"share", total / stage_total}});
    }
    char line[512];
    std::snprintf(line, sizeof(line), "%-7d %-9s %-9s %-9s %-9s %-9s %-11s %-9s %-8s\n", threads,
                  fixed(fast_one.median, 3).c_str(), fixed(fast_one.p99, 3).c_str(), fixed(fast_one_gflops, 1).c_str(),
                  fixed(fast_many.median, 2).c_str(), fixed(fast_many.p99, 2).c_str(),
                  fixed(infer_one.median / fast_one.median, 2).c_str(), (std::to_string(fast_diff)).c_str(),
                  leak_calls > 0 ? fixed(fast_growth, 1).c_str() : "-");
    fast_lines += line;

    const double train_gflops = step_flops / (step.median * 1e-3) / 1e9;
    const double one_gflops = one_flops / (infer_one.median * 1e-3) / 1e9;
    std::printf("%-7d %-8s %-10s %-10s %-9s %-8s %-8s %-9s %-9s %-9s %-9s %-9s %-8s %-8s\n", threads,
                fixed(matmul, 1).c_str(), fixed(batch / (step.median * 1e-3), 1).c_str(), fixed(step.median, 2).c_str(),
                fixed(step.p99, 2).c_str(), fixed(train_gflops, 1).c_str(),
                fixed(100 * train_gflops / matmul, 1).c_str(), fixed(infer_one.median, 3).c_str(),
                fixed(infer_one.p99, 3).c_str(), fixed(one_gflops, 1).c_str(), fixed(infer_many.median, 2).c_str(),
                fixed(infer_many.p99, 2).c_str(), fixed(rss, 0).c_str(),
                leak_calls > 0 ? fixed(growth, 1).c_str() : "-");
    report["configurations"].push_back(
        {{"threads", threads},
         {"parameters", parameters},
         {"matmul_gflops", matmul},
         {"train",
          {{"batch", batch},
           {"steps", steps},
           {"step_ms_median", step.median},
           {"step_ms_p99", step.p99},
           {"samples_per_second", batch / (step.median * 1e-3)},
           {"matmul_flops_per_step", step_flops},
           {"gflops", train_gflops},
           {"share_of_matmul_gflops", train_gflops / matmul}}},
         {"infer_batch_1",
          {{"calls", infer_calls},
           {"ms_median", infer_one.median},
           {"ms_p99", infer_one.p99},
           {"matmul_flops", one_flops},
           {"gflops", one_gflops}}},
         {"infer_batch_128",
          {{"calls", many_calls},
           {"ms_median", infer_many.median},
           {"ms_p99", infer_many.p99},
           {"matmul_flops", many_flops}}},
         {"inference_path",
          {{"batch_1_ms_median", fast_one.median},
           {"batch_1_ms_p99", fast_one.p99},
           {"batch_1_gflops", fast_one_gflops},
           {"batch_128_ms_median", fast_many.median},
           {"batch_128_ms_p99", fast_many.p99},
           {"max_abs_difference_from_forward", fast_diff},
           {"batch_1_stages", stage_json},
           {"resident_growth_over_leak_calls", leak_calls > 0 ? nlohmann::json(fast_growth) : nlohmann::json()}}},
         {"memory_mb",
          {{"resident_after", rss},
           {"process_peak", peak},
           {"leak_calls", leak_calls},
           {"resident_growth_over_leak_calls", leak_calls > 0 ? nlohmann::json(growth) : nlohmann::json()}}}});
  }
  std::printf(
      "\nDedicated inference path (HeloInference: packed weights, no autograd or operator dispatch, direct sgemm)\n");
  std::printf("%-7s %-9s %-9s %-9s %-9s %-9s %-11s %-9s %-8s\n", "threads", "infer-1", "infer-1", "infer-1",
              "infer-128", "infer-128", "speed-up", "max |diff|", "growth");
  std::printf("%-7s %-9s %-9s %-9s %-9s %-9s %-11s %-9s %-8s\n", "", "med ms", "p99 ms", "GFLOP/s", "med ms", "p99 ms",
              "batch 1", "log-prob", "MB");
  std::fputs(fast_lines.c_str(), stdout);
  std::printf("\nWhere a batch-1 call of the dedicated path spends its time (mean over --infer-calls calls)\n");
  std::printf("%-7s %-46s %-9s %-6s\n", "threads", "stage", "ms", "%");
  std::fputs(stage_lines.c_str(), stdout);
  std::printf(
      "FLOPs: matrix products only (aten::mm/addmm/bmm/baddbmm, 2 m n k), counted during one step / forward "
      "pass; %% matmul = training GFLOP/s over the matmul GFLOP/s of the same process.\n");
  if (!json_path.empty()) {
    try {
      write_text_atomic(json_path, report.dump(2) + "\n");
    } catch (const std::exception& e) {
      std::fprintf(stderr, "bench_helo: --json: %s\n", e.what());
      return 1;
    }
    std::printf("JSON: %s\n", json_path.c_str());
  }
  return 0;
}
