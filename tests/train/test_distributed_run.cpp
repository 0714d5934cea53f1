// `emofuse train` over several processes (fold-parallel, see RunOptions::distributed): real
// `emofuse` children on 127.0.0.1, each rank one process at one thread, compared with one process
// running every fold.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <utility>

#include "dist/free_port.h"
#include "test_util.h"
#include "tiny_experiment.h"

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using namespace emofuse;

namespace {

// tiny_train_args (three LOSO folds, a final model, one thread) without report.html.
std::vector<std::string> train_args(const std::string& run_dir, const std::vector<std::string>& extra = {}) {
  std::vector<std::string> more{"--no-report"};
  more.insert(more.end(), extra.begin(), extra.end());
  return testutil::tiny_train_args(run_dir, more);
}

std::vector<std::string> rank_environment(int rank, int world_size, int port, double timeout_seconds = 20) {
  return {"WORLD_SIZE=" + std::to_string(world_size), "RANK=" + std::to_string(rank),
          "LOCAL_RANK=" + std::to_string(rank),       "MASTER_ADDR=127.0.0.1",
          "MASTER_PORT=" + std::to_string(port),      "EMOFUSE_DIST_TIMEOUT=" + std::to_string(timeout_seconds)};
}

nlohmann::json read_json(const fs::path& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

// metrics.json without what legitimately differs between a one-process and a two-process run of
// one experiment: timings, the command line, the world size and which rank ran each fold.
nlohmann::json without_run_facts(nlohmann::json j) {
  j = testutil::without_timings(std::move(j));
  j.erase("world_size");
  for (auto& fold : j["folds"]) fold.erase("rank");
  return j;
}

// history.csv without its last column (each epoch's wall time).
std::string without_seconds(const std::string& csv) {
  std::stringstream in(csv), out;
  std::string line;
  while (std::getline(in, line)) out << line.substr(0, line.rfind(',')) << "\n";
  return out.str();
}

std::vector<std::string> fold_folders(const fs::path& run_dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(run_dir / "folds")) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

// Starts `world_size` ranks of `emofuse train` into `run_dir`; `environment_of(rank)` adds to each.
std::vector<std::unique_ptr<testutil::CliProcess>> start_ranks(
    int world_size, const std::string& run_dir, const std::vector<std::string>& extra, double timeout_seconds,
    const std::function<std::vector<std::string>(int)>& environment_of = nullptr) {
  const int port = testutil::free_tcp_port();
  std::vector<std::unique_ptr<testutil::CliProcess>> ranks;
  for (int r = 0; r < world_size; ++r) {
    auto env = rank_environment(r, world_size, port, timeout_seconds);
    if (environment_of) {
      for (const auto& e : environment_of(r)) env.push_back(e);
    }
    ranks.push_back(std::make_unique<testutil::CliProcess>(train_args(run_dir, extra), env));
  }
  return ranks;
}

}  // namespace

// Two ranks, then a rank killed mid-run and --resume: every time the folds' metrics and
// predictions equal one process's bit for bit (one thread per process).
TEST(DistributedRun, TwoRanksEqualOneProcessAndSurviveAKilledRank) {
  testutil::TempDir dir;
  const fs::path root(dir.path());
  const auto reference = testutil::run_cli(train_args(dir.file("reference")));
  ASSERT_EQ(reference.exit_code, 0) << reference.err;
  const auto reference_metrics = read_json(root / "reference" / "metrics.json");
  const auto reference_predictions = testutil::read_file((root / "reference" / "predictions.csv").string());
  ASSERT_EQ(reference_metrics["folds"].size(), 3u);

  // Folds 1 and 3 on rank 0, fold 2 on rank 1; rank 0 writes the one run folder.
  {
    auto ranks = start_ranks(2, dir.file("two"), {}, 20);
    for (auto& r : ranks) ASSERT_TRUE(r->wait_for(120)) << r->err();
    for (auto& r : ranks) ASSERT_EQ(r->wait(), 0) << r->err();
    EXPECT_THAT(ranks[1]->err(), HasSubstr("rank 1: done; rank 0 wrote " + dir.file("two")));
    EXPECT_THAT(ranks[0]->err(), HasSubstr("fold 2/3 (S02): complete on rank 1"));
    EXPECT_THAT(ranks[0]->out(), HasSubstr("run folder: " + dir.file("two")));
    EXPECT_TRUE(ranks[1]->out().empty()) << "only rank 0 reports: " << ranks[1]->out();
  }
  const fs::path two = root / "two";
  const auto two_metrics = read_json(two / "metrics.json");
  EXPECT_EQ(without_run_facts(two_metrics), without_run_facts(reference_metrics));
  EXPECT_EQ(testutil::read_file((two / "predictions.csv").string()), reference_predictions);
  EXPECT_EQ(two_metrics["world_size"], 2);
  EXPECT_EQ(reference_metrics["world_size"], 1);
  std::vector<int> ranks_of_folds;
  for (const auto& f : two_metrics["folds"]) ranks_of_folds.push_back(f["rank"].get<int>());
  EXPECT_EQ(ranks_of_folds, (std::vector<int>{0, 1, 0}));
  EXPECT_EQ(fold_folders(two), fold_folders(root / "reference"));
  for (const auto& fold : fold_folders(two)) {
    SCOPED_TRACE(fold);
    for (const char* file : {"predictions.csv", "model/weights.pt", "model/standardizer.pt"}) {
      EXPECT_EQ(testutil::read_file((two / "folds" / fold / file).string()),
                testutil::read_file((root / "reference" / "folds" / fold / file).string()))
          << file;
    }
    EXPECT_EQ(without_seconds(testutil::read_file((two / "folds" / fold / "history.csv").string())),
              without_seconds(testutil::read_file((root / "reference" / "folds" / fold / "history.csv").string())));
    EXPECT_FALSE(fs::exists(two / "folds" / fold / "checkpoint.pt"));
  }
  EXPECT_TRUE(fs::exists(two / "model" / "model.yaml")) << "the final model, fitted by rank 0";
  EXPECT_FALSE(fs::exists(two / ".rank1")) << "rank 1 removes its work folder when done";

  // Rank 1 dies (SIGKILL while it writes its first fold's weights): rank 0 notices the silence
  // and fails within the timeout, naming the rank; no metrics.json presents the run as complete.
  const std::string killed = dir.file("killed");
  {
    const auto start = std::chrono::steady_clock::now();
    auto ranks = start_ranks(2, killed, {}, 3, [](int rank) {
      return rank == 1 ? std::vector<std::string>{"EMOFUSE_KILL_AT=bundle_weights:1"} : std::vector<std::string>{};
    });
    EXPECT_EQ(ranks[1]->wait(), 128 + SIGKILL) << ranks[1]->err();
    ASSERT_TRUE(ranks[0]->wait_for(60)) << "rank 0 did not notice: " << ranks[0]->err();
    EXPECT_EQ(ranks[0]->wait(), 1);
    EXPECT_THAT(ranks[0]->err(),
                HasSubstr("emofuse: error: distributed run stopped: rank 1 sent no heartbeat for 3 s"));
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(60));
  }
  EXPECT_FALSE(fs::exists(fs::path(killed) / "metrics.json"));
  EXPECT_TRUE(fs::exists(fs::path(killed) / "folds" / "01_S01" / "metrics.json")) << "rank 0's first fold is kept";

  // --resume with the same world size: rank 0 keeps its complete folds, rank 1 continues fold 2
  // from the checkpoint in its work folder; the result equals the uninterrupted run's.
  {
    auto ranks = start_ranks(2, killed, {"--resume"}, 20);
    for (auto& r : ranks) ASSERT_TRUE(r->wait_for(120)) << r->err();
    for (auto& r : ranks) ASSERT_EQ(r->wait(), 0) << r->err();
    EXPECT_THAT(ranks[0]->err(), HasSubstr("fold 1/3 (S01): complete, read from"));
    EXPECT_THAT(ranks[1]->err(), HasSubstr("fold 2/3 (S02): resumed from"));
  }
  EXPECT_EQ(without_run_facts(read_json(fs::path(killed) / "metrics.json")), without_run_facts(reference_metrics));
  EXPECT_EQ(testutil::read_file(killed + "/predictions.csv"), reference_predictions);
}

TEST(DistributedRun, ALoneRankFailsRendezvousInBoundedTimeAndWritesNothing) {
  testutil::TempDir dir;
  const auto start = std::chrono::steady_clock::now();
  testutil::CliProcess lone(train_args(dir.file("run")), rank_environment(0, 2, testutil::free_tcp_port(), 2));
  ASSERT_TRUE(lone.wait_for(60));
  EXPECT_EQ(lone.wait(), 1);
  EXPECT_THAT(lone.err(), HasSubstr("emofuse: error: rendezvous at 127.0.0.1:"));
  EXPECT_THAT(lone.err(), HasSubstr("only 1 of 2 ranks arrived within 2 s"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(60));
  EXPECT_FALSE(fs::exists(dir.file("run")));
}

TEST(DistributedRun, BadRankSettingsAreRejectedBeforeAnythingRuns) {
  testutil::TempDir dir;
  auto r = testutil::run_cli(train_args(dir.file("run"), {"--world-size", "2", "--rank", "2"}));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("emofuse: error: option 'rank (RANK)': must be in 0..1 for world size 2, got 2"));
  testutil::CliProcess bad_env(train_args(dir.file("run")), {"WORLD_SIZE=two"});
  EXPECT_EQ(bad_env.wait(), 1);
  EXPECT_THAT(bad_env.err(), HasSubstr("option 'environment WORLD_SIZE': 'two' is not an integer"));
  EXPECT_FALSE(fs::exists(dir.file("run")));
}

namespace {

// Numbers of a predictions.csv (every field that parses as a number), row by row.
std::vector<double> numbers_of(const std::string& csv) {
  std::vector<double> numbers;
  std::stringstream in(csv);
  std::string line, field;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::stringstream fields(line);
    while (std::getline(fields, field, ',')) {
      char* end = nullptr;
      const double v = std::strtod(field.c_str(), &end);
      if (end != field.c_str() && *end == '\0') numbers.push_back(v);
    }
  }
  return numbers;
}

}  // namespace

// training.data_parallel: two ranks fit one model on 32 rows each of every 64-row batch and
// average their gradients; the result equals one process on the whole 64-row batches to 1e-5
// (the sums are added in another order, so not bit for bit).
TEST(DistributedRun, DataParallelTwoRanksOfHalfBatchesEqualOneProcess) {
  testutil::TempDir dir;
  const std::vector<std::string> data_parallel{
      "--set", "training.data_parallel=true", "--set", "training.batch_size=64",  "--set", "model.options.dropout=0",
      "--set", "protocol.max_folds=2",        "--set", "output.final_model=false"};
  const auto single = testutil::run_cli(train_args(dir.file("single"), data_parallel));
  ASSERT_EQ(single.exit_code, 0) << single.err;
  {
    auto ranks = start_ranks(2, dir.file("two"), data_parallel, 20);
    for (auto& r : ranks) ASSERT_TRUE(r->wait_for(120)) << r->err();
    for (auto& r : ranks) ASSERT_EQ(r->wait(), 0) << r->err();
  }
  const auto one = read_json(fs::path(dir.file("single")) / "metrics.json");
  const auto two = read_json(fs::path(dir.file("two")) / "metrics.json");
  ASSERT_EQ(one["folds"].size(), 2u);
  ASSERT_EQ(two["folds"].size(), 2u);
  for (size_t f = 0; f < 2; ++f) {
    SCOPED_TRACE("fold " + std::to_string(f + 1));
    EXPECT_EQ(two["folds"][f]["best_epoch"], one["folds"][f]["best_epoch"]);
    for (const auto& [name, value] : one["folds"][f]["metrics"].items()) {
      EXPECT_NEAR(two["folds"][f]["metrics"][name].get<double>(), value.get<double>(), 1e-5) << name;
    }
  }
  const auto p1 = numbers_of(testutil::read_file(dir.file("single") + "/predictions.csv"));
  const auto p2 = numbers_of(testutil::read_file(dir.file("two") + "/predictions.csv"));
  ASSERT_EQ(p1.size(), p2.size());
  ASSERT_GT(p1.size(), 100u);
  double worst = 0;
  for (size_t i = 0; i < p1.size(); ++i) worst = std::max(worst, std::abs(p1[i] - p2[i]));
  EXPECT_LE(worst, 1e-5) << "largest difference of a predicted probability";
  EXPECT_EQ(two["world_size"], 2);
}

// `emofuse ablate` over two ranks: each variant's folds are spread over the ranks, rank 0 writes
// every variant's run folder and the comparison; the numbers equal one process's.
TEST(DistributedRun, AblateOverTwoRanksEqualsOneProcess) {
  testutil::TempDir dir;
  const std::string ablation = dir.file("ablation.yaml");
  testutil::write_file(ablation, R"(base:
  seed: 3
  threads: 1
  data: {format: synthetic, subjects: 4, clips: 4, seconds: 2}
  protocol: {name: loso, max_folds: 3}
  model: {name: mlp_early}
  training: {epochs: 3, batch_size: 16, patience: 0, progress: false}
variants:
  - {name: early}
  - {name: late, set: {model.name: late_fusion}}
)");
  const std::vector<std::string> args{"ablate", "-c", ablation, "--quiet", "--no-report"};
  auto with_out = [&](const std::string& out) {
    auto a = args;
    a.push_back("--out");
    a.push_back(out);
    return a;
  };
  const auto single = testutil::run_cli(with_out(dir.file("one")));
  ASSERT_EQ(single.exit_code, 0) << single.err;
  const int port = testutil::free_tcp_port();
  std::vector<std::unique_ptr<testutil::CliProcess>> ranks;
  for (int r = 0; r < 2; ++r)
    ranks.push_back(std::make_unique<testutil::CliProcess>(with_out(dir.file("two")), rank_environment(r, 2, port)));
  for (auto& r : ranks) ASSERT_TRUE(r->wait_for(120)) << r->err();
  for (auto& r : ranks) ASSERT_EQ(r->wait(), 0) << r->err();
  for (const char* variant : {"early", "late"}) {
    SCOPED_TRACE(variant);
    const auto one = read_json(fs::path(dir.file("one")) / variant / "metrics.json");
    const auto two = read_json(fs::path(dir.file("two")) / variant / "metrics.json");
    EXPECT_EQ(without_run_facts(two), without_run_facts(one));
    EXPECT_EQ(two["world_size"], 2);
  }
  EXPECT_EQ(read_json(fs::path(dir.file("two")) / "comparison.json")["paired"],
            read_json(fs::path(dir.file("one")) / "comparison.json")["paired"]);
  EXPECT_FALSE(fs::exists(fs::path(dir.file("two")) / ".rank1"));
  EXPECT_FALSE(fs::exists(fs::path(dir.file("two")) / "early" / ".rank1"));
}
