// The run report (src/train/report.h): floor rows, paired statistics, per-fold and per-class
// tables, confusion matrices, and what a run folder holds.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "data/load.h"
#include "test_util.h"
#include "tiny_experiment.h"
#include "train/config.h"
#include "train/experiment.h"
#include "train/report.h"

using namespace emofuse;
using namespace emofuse::train;
namespace fs = std::filesystem;

namespace {

// A result with hand-made per-fold values of one metric (and the floor's), over folds F1..Fn.
ExperimentResult made_up_result(const std::string& name, const std::vector<double>& values,
                                const std::vector<double>& floor, const std::string& metric = "accuracy") {
  ExperimentResult r;
  r.name = r.model_name = name;
  r.protocol = "loso";
  r.headline_metric = metric;
  r.data.class_names = {"a", "b"};
  std::vector<std::map<std::string, double>> folds, floors;
  for (size_t i = 0; i < values.size(); ++i) {
    FoldOutcome f;
    f.name = "F" + std::to_string(i + 1);
    f.metrics[metric] = values[i];
    f.floor_metrics[metric] = floor[i];
    f.confusion = {{static_cast<int64_t>(i + 1), 1}, {0, 2}};
    r.folds.push_back(f);
    folds.push_back(f.metrics);
    floors.push_back(f.floor_metrics);
  }
  r.summary = metrics::summarize(folds);
  r.floor_summary = metrics::summarize(floors);
  return r;
}

}  // namespace

TEST(Report, TablesInMarkdownAndPlainText) {
  const std::vector<std::vector<std::string>> rows{{"model", "kl"}, {"helo", "0.5"}};
  EXPECT_EQ(format_table(rows, true), "| model | kl  |\n|-------|-----|\n| helo  | 0.5 |\n");
  EXPECT_EQ(format_table(rows, false), "model  kl\n----------\nhelo   0.5\n");  // rule as wide as the widest row
}

TEST(Report, ComparisonHasOneFloorRowForResultsOnTheSameFolds) {
  const std::vector<double> floor{0.5, 0.5, 0.5};
  auto a = made_up_result("a", {0.6, 0.7, 0.8}, floor);
  auto b = made_up_result("b", {0.4, 0.5, 0.6}, floor);
  const auto table = format_comparison({a, b}, std::nullopt, {"accuracy"}, false);
  EXPECT_NE(table.find("prior (floor)  0.5000 +- 0.0000"), std::string::npos) << table;
  EXPECT_EQ(table.find("prior (floor) for"), std::string::npos) << table;  // one floor, not one per model
  // Results on other folds (another floor) get a floor row each, named.
  auto c = made_up_result("c", {0.9, 0.9}, {0.3, 0.3});
  const auto mixed = format_comparison({a, c}, std::nullopt, {"accuracy"}, false);
  EXPECT_NE(mixed.find("prior (floor) for a"), std::string::npos) << mixed;
  EXPECT_NE(mixed.find("prior (floor) for c"), std::string::npos) << mixed;
}

// ldl-bench's layout: a "method" column, the mean fit / predict seconds per fold instead of the
// fold count, and no floor row (its floor is the `prior` method). Seconds computed by hand:
// fit (1 + 3) / 2 = 2, predict (0.25 + 0.75) / 2 = 0.5.
TEST(Report, ComparisonLayoutWithSecondsAndNoFloorRow) {
  auto a = made_up_result("a", {0.6, 0.8}, {0.5, 0.5});
  a.folds[0].fit_seconds = 1;
  a.folds[1].fit_seconds = 3;
  a.folds[0].predict_seconds = 0.25;
  a.folds[1].predict_seconds = 0.75;
  EXPECT_DOUBLE_EQ(mean_fit_seconds(a), 2.0);
  EXPECT_DOUBLE_EQ(mean_predict_seconds(a), 0.5);
  ComparisonLayout layout;
  layout.first_column = "method";
  layout.timing_columns = true;
  layout.folds_column = false;
  layout.floor_rows = false;
  const auto table = format_comparison({a}, std::nullopt, {"accuracy"}, true, layout);
  EXPECT_EQ(table,
            "| method | accuracy (higher) | fit s/fold | predict s/fold |\n"
            "|--------|-------------------|------------|----------------|\n"
            "| a      | 0.7000 +- 0.1414  | 2.0000     | 0.5000         |\n")
      << table;
}

TEST(Report, PairedAgainstTheFloorAndTheBestOtherModel) {
  // Six folds; "good" beats the floor on every fold by 0.1..0.6 (exact two-sided p = 2/64).
  const std::vector<double> floor{0.5, 0.5, 0.5, 0.5, 0.5, 0.5};
  auto good = made_up_result("good", {0.6, 0.7, 0.8, 0.9, 1.0, 1.1}, floor);
  auto weak = made_up_result("weak", {0.4, 0.6, 0.5, 0.45, 0.55, 0.5}, floor);
  auto summaries = paired_summaries({good, weak}, "accuracy");
  ASSERT_EQ(summaries.size(), 2u);
  EXPECT_NEAR(summaries[0].versus_floor.mean_difference, 0.35, 1e-12);  // mean of 0.1..0.6
  EXPECT_EQ(summaries[0].versus_floor.wins, 6);
  EXPECT_NEAR(summaries[0].versus_floor.test.p_value, 2.0 / 64, 1e-12);
  ASSERT_TRUE(summaries[0].versus_best_other.has_value());
  EXPECT_EQ(summaries[0].versus_best_other->other, "weak");
  ASSERT_TRUE(summaries[1].versus_best_other.has_value());
  EXPECT_EQ(summaries[1].versus_best_other->other, "good");
  EXPECT_EQ(summaries[1].versus_floor.wins_text(), "2/6");  // 0.6 and 0.55 beat 0.5; two ties

  const auto text = format_paired({good, weak}, "accuracy", false);
  EXPECT_NE(text.find("NOTE: weak does not beat the floor on accuracy"), std::string::npos) << text;
  EXPECT_EQ(text.find("NOTE: good"), std::string::npos) << text;  // good does beat it

  // Ahead on average but with too few folds for p < 0.05 (3 folds: p >= 0.25), or not significant.
  auto few = made_up_result("few", {0.6, 0.7, 0.8}, {0.5, 0.5, 0.5});
  const auto few_text = format_paired({few}, "accuracy", false);
  EXPECT_NE(few_text.find("NOTE: few is above the floor on accuracy on average"), std::string::npos) << few_text;
  EXPECT_NE(few_text.find("3 folds are too few for the paired test to show it (smallest possible p 0.2500)"),
            std::string::npos)
      << few_text;
  auto mixed = made_up_result("mixed", {0.6, 0.7, 0.45, 0.55, 0.4, 0.65}, floor);
  const auto mixed_text = format_paired({mixed}, "accuracy", false);
  EXPECT_NE(mixed_text.find("NOTE: mixed is not significantly better than the floor"), std::string::npos) << mixed_text;

  // With three models the best other of the weakest is the one with the best mean.
  auto middle = made_up_result("middle", {0.55, 0.6, 0.6, 0.6, 0.6, 0.6}, floor);
  summaries = paired_summaries({good, weak, middle}, "accuracy");
  EXPECT_EQ(summaries[1].versus_best_other->other, "good");
  EXPECT_EQ(summaries[0].versus_best_other->other, "middle");

  // Lower-is-better metrics: a smaller Chebyshev wins.
  auto close = made_up_result("close", {0.1, 0.1, 0.1}, {0.3, 0.3, 0.3}, "chebyshev");
  const auto lower = paired_summaries({close}, "chebyshev");
  EXPECT_EQ(lower[0].versus_floor.wins, 3);
  EXPECT_NEAR(lower[0].versus_floor.mean_difference, -0.2, 1e-12);
}

TEST(Report, ResultsOnOtherFoldsAreNotPaired) {
  auto a = made_up_result("a", {0.6, 0.7, 0.8}, {0.5, 0.5, 0.5});
  auto b = made_up_result("b", {0.6, 0.7}, {0.5, 0.5});
  const auto summaries = paired_summaries({a, b}, "accuracy");
  EXPECT_FALSE(summaries[0].versus_best_other.has_value());
  EXPECT_FALSE(summaries[1].versus_best_other.has_value());
}

TEST(Report, HeadlineMetricFollowsTheTargets) {
  auto soft = testutil::tiny_cohort();  // synthetic label distributions
  EXPECT_EQ(headline_metric(soft), "chebyshev");
  auto labels = soft.hard_labels();
  auto one_hot = torch::one_hot(labels, soft.num_classes()).to(torch::kFloat32);
  std::vector<torch::Tensor> features;
  for (int64_t m = 0; m < soft.num_modalities(); ++m) features.push_back(soft.features(m));
  data::MultimodalDataset hard(soft.modalities(), features, one_hot, soft.subjects(), soft.trials(), soft.class_names(),
                               "one-hot");
  EXPECT_EQ(headline_metric(hard), "accuracy");
}

TEST(Report, ConfusionPooledOverFoldsAndPerClassScores) {
  // Folds' matrices {{1,1},{0,2}}, {{2,1},{0,2}}, {{3,1},{0,2}} sum to {{6,3},{0,6}}.
  auto r = made_up_result("m", {0.1, 0.2, 0.3}, {0.1, 0.1, 0.1});
  EXPECT_EQ(confusion_csv(r), "true\\predicted,a,b\na,6,3\nb,0,6\n");
  // Class a: precision 6/6, recall 6/9; class b: precision 6/9, recall 6/6.
  const auto classes = per_class_json(r);
  EXPECT_NEAR(classes[0]["precision"].get<double>(), 1.0, 1e-12);
  EXPECT_NEAR(classes[0]["recall"].get<double>(), 6.0 / 9, 1e-12);
  EXPECT_NEAR(classes[1]["precision"].get<double>(), 6.0 / 9, 1e-12);
  EXPECT_EQ(classes[1]["support"].get<int64_t>(), 6);
  r.folds[1].confusion.pop_back();  // a malformed fold is named
  auto message = testutil::error_message<Error>([&] { pooled_confusion(r); });
  EXPECT_NE(message.find("fold 'F2'"), std::string::npos) << message;
}

TEST(Report, RunFolderHoldsTheFloorConfusionAndAPerFoldSummary) {
  testutil::TempDir dir;
  const auto run_dir = dir.file("run");
  auto config = parse_experiment_config(testutil::tiny_experiment_config("mlp_early", run_dir, 2));
  auto loaded = data::load_data(config.data, config.seed);
  RunOptions options;
  options.quiet = true;
  auto result = run_experiment(config, loaded.dataset, options);
  ASSERT_EQ(result.folds.size(), 2u);

  // The floor of each fold is the prior's score on that fold's test rows.
  for (const auto& f : result.folds) {
    ASSERT_TRUE(f.floor_metrics.count("chebyshev")) << f.name;
    EXPECT_EQ(f.test_subjects, std::vector<std::string>(1, f.name));
    int64_t counted = 0;
    for (const auto& row : f.confusion) {
      for (auto n : row) counted += n;
    }
    EXPECT_EQ(counted, f.test_size) << f.name;
  }
  EXPECT_TRUE(fs::exists(fs::path(run_dir) / "confusion.csv"));
  const auto summary = testutil::read_file(run_dir + "/summary.md");
  for (const char* part : {"## Per fold", "| S01 ", "| S02 ", "prior (floor)", "## Against the floor",
                           "## Confusion matrix", "## Per class", "- data: synthetic cohort", "- protocol: loso"}) {
    EXPECT_NE(summary.find(part), std::string::npos) << "summary.md lacks '" << part << "':\n" << summary;
  }
  const auto j = nlohmann::json::parse(testutil::read_file(run_dir + "/metrics.json"));
  EXPECT_TRUE(j.contains("floor"));
  EXPECT_EQ(j["headline_metric"], "chebyshev");
  EXPECT_TRUE(j["paired"]["chebyshev"]["mlp_early"].contains("versus_floor"));
  EXPECT_EQ(j["per_class"].size(), static_cast<size_t>(loaded.dataset.num_classes()));
  EXPECT_EQ(j["folds"][0]["test_subjects"][0], "S01");

  // A resumed run reads the floor and the confusion back from the folds' metrics.json.
  options.resume = true;
  auto resumed = run_experiment(config, loaded.dataset, options);
  ASSERT_EQ(resumed.folds.size(), 2u);
  EXPECT_EQ(resumed.folds[1].floor_metrics, result.folds[1].floor_metrics);
  EXPECT_EQ(resumed.folds[1].confusion, result.folds[1].confusion);
}
