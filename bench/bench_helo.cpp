// HeLo speed on DMER shapes (EEG 18x5, GSR 28, PPG 27, video 768; 10 emotions):
//   - the machine's matmul GFLOP/s (1024^3 float, for scale: the BLAS in use matters ~20x)
//   - training throughput, samples/s at batch 128 (forward + loss + backward + AdamW step)
//   - batch-1 inference latency, median and p99, under eval() and NoGradGuard
// each with 1 and 2 intra-op threads.
// Usage: bench_helo [--ot gw|sinkhorn|none] [--steps N] [--options "{yaml map of HeLo options}"]
//   e.g. --options "{encoder_hidden: 0, norm_first: false}" for the reference-code encoders.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <vector>

#include "core/runtime.h"
#include "data/dataset.h"
#include "models/helo/helo.h"

using Clock = std::chrono::steady_clock;
using namespace emofuse;

static double seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

static double matmul_gflops() {
  auto a = torch::randn({1024, 1024}), b = torch::randn({1024, 1024});
  for (int i = 0; i < 2; ++i) a.matmul(b);
  const int reps = 10;
  auto t0 = Clock::now();
  for (int i = 0; i < reps; ++i) a.matmul(b);
  return 2.0 * 1024 * 1024 * 1024 * reps / seconds(t0, Clock::now()) / 1e9;
}

int main(int argc, char** argv) {
  ensure_passive_omp_wait(argv);
  std::string ot = "gw", extra = "{}";
  int steps = 20;
  for (int i = 1; i < argc; i += 2) {
    if (i + 1 >= argc) {
      std::fprintf(stderr, "option %s needs a value\n", argv[i]);
      return 2;
    }
    if (!std::strcmp(argv[i], "--ot"))
      ot = argv[i + 1];
    else if (!std::strcmp(argv[i], "--steps"))
      steps = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--options"))
      extra = argv[i + 1];
    else {
      std::fprintf(stderr, "unknown option %s (use --ot gw|sinkhorn|none, --steps N, --options YAML)\n", argv[i]);
      return 2;
    }
  }
  YAML::Node options;
  try {
    options = YAML::Load(extra);
    if (!options.IsMap()) throw YAML::Exception(YAML::Mark(), "expected a map such as {encoder_hidden: 0}");
    options["ot"] = ot;
    models::HeloOptions::from_yaml(options);  // validates every key before any work
  } catch (const std::exception& e) {
    std::fprintf(stderr, "--options: %s\n", e.what());
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
  std::printf("HeLo benchmark (ot=%s, options %s), BLAS %s\n", ot.c_str(), extra.c_str(), blas_library_name().c_str());
  std::printf("%-8s %-14s %-18s %-16s %-16s\n", "threads", "matmul GFLOP/s", "train samples/s", "infer-1 median",
              "infer-1 p99");
  for (int threads : {1, 2}) {
    set_thread_count(threads);
    torch::manual_seed(0);
    models::HeloModel model(schema, models::HeloOptions::from_yaml(options));
    torch::optim::AdamW optimizer(model.parameters(), torch::optim::AdamWOptions(1e-3));
    const int64_t batch = 128;
    auto inputs = make_inputs(batch);
    data::Batch b;
    b.inputs = inputs;
    b.targets = torch::softmax(torch::randn({batch, 10}), 1);
    model.train();
    for (int i = 0; i < 3; ++i) {  // warm-up
      auto loss = model.loss(model.forward(inputs), b).total;
      optimizer.zero_grad();
      loss.backward();
      optimizer.step();
    }
    auto t0 = Clock::now();
    for (int i = 0; i < steps; ++i) {
      auto loss = model.loss(model.forward(inputs), b).total;
      optimizer.zero_grad();
      loss.backward();
      optimizer.step();
    }
    const double train_rate = batch * steps / seconds(t0, Clock::now());

    model.eval();
    c10::InferenceMode inference;
    auto one = make_inputs(1);
    for (int i = 0; i < 20; ++i) model.forward(one);
    std::vector<double> latency;
    for (int i = 0; i < 300; ++i) {
      auto s = Clock::now();
      model.forward(one);
      latency.push_back(seconds(s, Clock::now()) * 1e3);
    }
    std::sort(latency.begin(), latency.end());
    std::printf("%-8d %-14.1f %-18.1f %-16s %-16s\n", threads, matmul_gflops(), train_rate,
                (std::to_string(latency[latency.size() / 2]).substr(0, 6) + " ms").c_str(),
                (std::to_string(latency[latency.size() * 99 / 100]).substr(0, 6) + " ms").c_str());
  }
  return 0;
}
