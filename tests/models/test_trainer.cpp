// The shared gradient trainer (models/trainer.h): learning-rate schedules, early stopping and
// epoch selection (select_epoch), resume to the same selected epoch, and the loss reduction.
#include <gtest/gtest.h>

#include <algorithm>

#include "core/error.h"
#include "core/runtime.h"
#include "data/dataset.h"
#include "models/trainer.h"
#include "test_util.h"

using namespace emofuse;
using namespace emofuse::models;

TEST(Trainer, LearningRateSchedules) {
  TrainerOptions o;
  o.epochs(10).schedule(LrSchedule::kCosine);
  EXPECT_DOUBLE_EQ(o.lr_factor(0), 1.0);
  EXPECT_NEAR(o.lr_factor(5), 0.5, 1e-12);  // cos(pi/2) = 0 -> 0.5
  o.schedule(LrSchedule::kStep).step_size(3).step_gamma(0.5);
  EXPECT_DOUBLE_EQ(o.lr_factor(7), 0.25);  // floor(7/3) = 2 halvings
  o.schedule(LrSchedule::kNone).warmup_epochs(2);
  EXPECT_NEAR(o.lr_factor(0), 1.0 / 3.0, 1e-12);
}

// ------------------------------------------------------------------ early stopping and selection

namespace {

// One history record per validation score (the only field select_epoch reads).
std::vector<EpochRecord> history_of(const std::vector<double>& scores) {
  std::vector<EpochRecord> h;
  for (size_t e = 0; e < scores.size(); ++e) {
    EpochRecord r;
    r.epoch = int64_t(e);
    r.validation_score = scores[e];
    r.learning_rate = 1e-3;
    h.push_back(r);
  }
  return h;
}

TrainerOptions rule(int64_t min_epochs, int64_t smoothing, int64_t patience, const std::string& monitor = "kl") {
  TrainerOptions o;
  o.epochs(30).min_epochs(min_epochs).smoothing(smoothing).patience(patience).monitor(monitor);
  return o;
}

}  // namespace

TEST(SelectEpoch, TrailingMeansComputedByHand) {
  EXPECT_EQ(smoothed_scores({1, 2, 3, 4}, 1), (std::vector<double>{1, 2, 3, 4}));
  // Windows {1}, {1,2}, {1,2,3}, {2,3,4}, {3,4,8}: shorter over the first epochs.
  auto s = smoothed_scores({1, 2, 3, 4, 8}, 3);
  ASSERT_EQ(s.size(), 5u);
  EXPECT_DOUBLE_EQ(s[0], 1.0);
  EXPECT_DOUBLE_EQ(s[1], 1.5);
  EXPECT_DOUBLE_EQ(s[2], 2.0);
  EXPECT_DOUBLE_EQ(s[3], 3.0);
  EXPECT_DOUBLE_EQ(s[4], 5.0);
  EXPECT_TRUE(smoothed_scores({}, 3).empty());
}

// A lucky first epoch (KL 0.30) followed by a curve that improves until epoch 7 (1-based) and
// then overfits. Smoothed (k = 3) by hand: epoch 5: (.45+.40+.36)/3 = .4033, 6: .37, 7: .35,
// 8: (.35+.34+.37)/3 = .3533, 9: .3633, 10: .3833, 11: .4033.
TEST(SelectEpoch, NoisyFirstEpochIsNotKept) {
  const auto h = history_of({0.30, 0.50, 0.45, 0.40, 0.36, 0.35, 0.34, 0.37, 0.38, 0.40, 0.42});
  // The old rule (raw scores, from epoch 1, patience 3): epoch 1, stopped at epoch 4.
  auto old_rule = select_epoch({h.begin(), h.begin() + 4}, rule(0, 1, 3));
  EXPECT_EQ(old_rule.best_epoch, 0);
  EXPECT_EQ(old_rule.epochs_since_best, 3);
  EXPECT_TRUE(old_rule.stop);
  // The new rule (min_epochs 5, smoothing 3, patience 3): epoch 7 (0-based 6), the last epoch of
  // the window {5, 6, 7}; epochs 8-10 do not improve, so it stops after epoch 10.
  auto at_9 = select_epoch({h.begin(), h.begin() + 9}, rule(5, 3, 3));
  EXPECT_EQ(at_9.best_epoch, 6);
  EXPECT_NEAR(at_9.best_score, 0.35, 1e-12);
  EXPECT_EQ(at_9.epochs_since_best, 2);
  EXPECT_FALSE(at_9.stop);
  auto at_10 = select_epoch({h.begin(), h.begin() + 10}, rule(5, 3, 3));
  EXPECT_EQ(at_10.best_epoch, 6);
  EXPECT_TRUE(at_10.stop);
  EXPECT_NEAR(at_10.last_smoothed, (0.37 + 0.38 + 0.40) / 3, 1e-12);
  // Before min_epochs nothing is kept and nothing stops, however bad the curve.
  auto early = select_epoch({h.begin(), h.begin() + 4}, rule(5, 3, 1));
  EXPECT_EQ(early.best_epoch, -1);
  EXPECT_EQ(early.epochs_since_best, 0);
  EXPECT_FALSE(early.stop);
}

// Smoothing without min_epochs: a one-epoch spike in the middle of a plateau is averaged away.
// Raw accuracy .50 .60 .90 .60 .62 .64 .66 .65: raw best is epoch 3 (0-based 2); trailing means
// of 3: .50 .55 .6667 .70 .7067 .62 .64 .65 -> best epoch 5 (0-based 4), the window {3, 4, 5}.
TEST(SelectEpoch, HigherIsBetterAndSpikes) {
  const auto h = history_of({0.50, 0.60, 0.90, 0.60, 0.62, 0.64, 0.66, 0.65});
  EXPECT_EQ(select_epoch(h, rule(0, 1, 0, "accuracy")).best_epoch, 2);
  auto s = select_epoch(h, rule(0, 3, 0, "accuracy"));
  EXPECT_EQ(s.best_epoch, 4);
  EXPECT_NEAR(s.best_score, (0.90 + 0.60 + 0.62) / 3, 1e-12);
  EXPECT_FALSE(s.stop);  // patience 0 never stops
}

TEST(SelectEpoch, NaNNeverImprovesAndMinEpochsEqualToEpochsKeepsTheLast) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  auto s = select_epoch(history_of({0.2, nan, 0.3, 0.4}), rule(0, 2, 2));
  // Windows: .2, NaN, NaN, .35: epoch 1 kept, the two NaN windows count against patience.
  EXPECT_EQ(s.best_epoch, 0);
  EXPECT_TRUE(s.stop);
  auto last = select_epoch(history_of({0.1, 0.2, 0.3, 0.9}), rule(4, 1, 1));
  EXPECT_EQ(last.best_epoch, 3);
  EXPECT_FALSE(last.stop);
  EXPECT_EQ(select_epoch(history_of({nan, nan}), rule(0, 1, 0)).best_epoch, -1);
}

TEST(Trainer, ExponentialSchedule) {
  TrainerOptions o;
  o.epochs(10).schedule(LrSchedule::kExponential).decay_gamma(0.99);
  EXPECT_DOUBLE_EQ(o.lr_factor(0), 1.0);
  EXPECT_NEAR(o.lr_factor(3), 0.99 * 0.99 * 0.99, 1e-15);
  o.warmup_epochs(2);  // the decay starts after the warm-up
  EXPECT_NEAR(o.lr_factor(2), 1.0, 1e-15);
  EXPECT_NEAR(o.lr_factor(4), 0.99 * 0.99, 1e-15);
}

namespace {

// Two classes, uniform targets, one input feature: a batch of 4 is one step per epoch.
data::MultimodalDataset uniform_two_class(int64_t n) {
  return data::MultimodalDataset({{"x", data::ModalityRole::kPhysiological, {1}}}, {torch::zeros({n, 1})},
                                 torch::full({n, 2}, 0.5), torch::zeros({n}, torch::kInt64), torch::arange(n),
                                 {"a", "b"}, "scripted");
}

// A model whose validation curve is scripted: after its k-th optimizer step it predicts
// softmax([curve[k-1], 0]), so against uniform targets KL = log(1 + e^a) - a/2 - log 2, which
// grows with a >= 0. The step counter is a buffer, so the weights the trainer keeps reveal the
// epoch they came from. Its one parameter has zero gradient and no effect.
class ScriptedCurve : public models::DistributionModule {
 public:
  explicit ScriptedCurve(std::vector<double> curve) : curve_(std::move(curve)) {
    unused_ = register_parameter("unused", torch::zeros({2}));
    steps_ = register_buffer("steps", torch::zeros({}, torch::kInt64));
  }
  models::ModelOutput forward(const std::vector<torch::Tensor>& inputs) override {
    const int64_t k = std::clamp<int64_t>(steps_.item<int64_t>() - 1, 0, int64_t(curve_.size()) - 1);
    auto logits = torch::tensor({curve_[k], 0.0}, inputs[0].options()).expand({inputs[0].size(0), 2});
    return {torch::log_softmax(logits + 0 * unused_, 1), {}};
  }
  void after_step(const models::ModelOutput&, const data::Batch&) override { steps_ += 1; }
  int64_t steps() const { return steps_.item<int64_t>(); }

 private:
  std::vector<double> curve_;
  torch::Tensor unused_, steps_;
};

// Logits a per epoch: a lucky first epoch, then improving to a = 0.3 at epoch 7 and overfitting.
// KL by the formula above, smoothed over 3 (computed by hand / Python): best window {6, 7, 8}
// (0-based 5..7; a = .4, .3, .4) with mean .016981, below {5, 6, 7} (.020669) and {7, 8, 9}.
const std::vector<double> kNoisyCurve = {0.1, 1.0, 0.9, 0.8, 0.5, 0.4, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8};

TrainerOptions scripted_options(int64_t min_epochs, int64_t smoothing) {
  TrainerOptions o;
  o.epochs(12).batch_size(4).patience(3).min_epochs(min_epochs).smoothing(smoothing).progress(false);
  o.schedule(LrSchedule::kExponential).decay_gamma(0.5);
  return o;
}

}  // namespace

TEST(Trainer, SmoothedSelectionKeepsTheBestWindowAndResumesToTheSameEpoch) {
  const auto data = uniform_two_class(4);
  models::FitContext context;
  context.fold_name = "scripted";
  context.seed = 1;

  // The old rule keeps the lucky first epoch and stops after epoch 4.
  {
    ScriptedCurve model(kNoisyCurve);
    auto r = Trainer(scripted_options(0, 1)).fit(model, data, data, context);
    EXPECT_EQ(r.best_epoch, 0);
    EXPECT_EQ(r.epochs_run, 4);
    EXPECT_EQ(model.steps(), 1);  // epoch 1's weights restored
  }
  // The new rule keeps the last epoch of the best window and stops 3 epochs later.
  ScriptedCurve model(kNoisyCurve);
  auto full = Trainer(scripted_options(5, 3)).fit(model, data, data, context);
  EXPECT_EQ(full.best_epoch, 7);
  EXPECT_EQ(full.epochs_run, 11);
  EXPECT_TRUE(full.stopped_early);
  EXPECT_NEAR(full.best_score, 0.016981, 2e-6);
  EXPECT_EQ(model.steps(), 8);  // the weights after epoch 8 (0-based 7)
  for (const auto& r : full.history) EXPECT_DOUBLE_EQ(r.learning_rate, 1e-3 * std::pow(0.5, double(r.epoch)));

  // Killed after epoch 9 (in the patience phase) and resumed from the checkpoint: same selection.
  testutil::TempDir dir;
  context.checkpoint_dir = dir.path();
  ScriptedCurve killed(kNoisyCurve);
  Trainer first(scripted_options(5, 3));
  first.on_epoch_end = [](const EpochRecord& r) {
    if (r.epoch == 8) throw testutil::SimulatedKill();
  };
  EXPECT_THROW(first.fit(killed, data, data, context), testutil::SimulatedKill);
  ScriptedCurve resumed(kNoisyCurve);
  auto again = Trainer(scripted_options(5, 3).resume(true)).fit(resumed, data, data, context);
  EXPECT_EQ(again.best_epoch, full.best_epoch);
  EXPECT_EQ(again.epochs_run, full.epochs_run);
  EXPECT_EQ(again.best_score, full.best_score);
  EXPECT_EQ(resumed.steps(), 8);
  ASSERT_EQ(again.history.size(), full.history.size());
  for (size_t e = 0; e < full.history.size(); ++e) {
    EXPECT_EQ(again.history[e].validation_score, full.history[e].validation_score) << e;
  }
}

// A host's stop request (core/runtime.h: the Python module's Ctrl-C) ends a fit between two
// batches with Interrupted, after the steps already taken; without a check nothing changes.
TEST(Trainer, InterruptCheckStopsTheFitBetweenBatches) {
  const auto data = uniform_two_class(4);  // one batch per epoch
  models::FitContext context;
  context.fold_name = "interrupted";
  int calls = 0;
  set_interrupt_check([&calls] {
    if (++calls == 6) throw Interrupted();
  });
  ScriptedCurve model(kNoisyCurve);
  EXPECT_THROW(Trainer(scripted_options(5, 3)).fit(model, data, data, context), Interrupted);
  set_interrupt_check({});
  EXPECT_EQ(calls, 6);
  EXPECT_EQ(model.steps(), 5);  // five batches ran, the sixth did not start
  ScriptedCurve uninterrupted(kNoisyCurve);
  Trainer(scripted_options(5, 3)).fit(uninterrupted, data, data, context);
  EXPECT_EQ(calls, 6);  // no check installed any more
}

namespace {

// softmax(bias) fitted to one fixed non-uniform target: a model whose gradient is real.
class BiasOnly : public models::DistributionModule {
 public:
  BiasOnly() { bias_ = register_parameter("bias", torch::zeros({3})); }
  models::ModelOutput forward(const std::vector<torch::Tensor>& inputs) override {
    return {torch::log_softmax(bias_.expand({inputs[0].size(0), 3}), 1), {}};
  }
  torch::Tensor bias_;
};

torch::Tensor fit_bias(LossReduction reduction, OptimizerKind optimizer, double weight_decay) {
  const int64_t n = 8;
  auto targets = torch::tensor({0.6, 0.3, 0.1}, torch::kFloat32).expand({n, 3}).contiguous();
  data::MultimodalDataset train({{"x", data::ModalityRole::kPhysiological, {1}}}, {torch::zeros({n, 1})}, targets,
                                torch::zeros({n}, torch::kInt64), torch::arange(n), {"a", "b", "c"}, "bias");
  TrainerOptions o;
  o.epochs(5).batch_size(4).schedule(LrSchedule::kNone).grad_clip(0).learning_rate(0.05).optimizer(optimizer);
  o.weight_decay(weight_decay).loss_reduction(reduction).progress(false);
  models::FitContext context;
  context.seed = 2;
  BiasOnly model;
  Trainer(o).fit(model, train, data::MultimodalDataset(), context);
  return model.bias_.detach().clone();
}

}  // namespace

// Adam normalises the gradient's scale away, so summing over the batch (batch 4) changes its
// steps only through epsilon, unless an L2 penalty (Adam's weight_decay) is added to the
// gradient, whose relative weight the sum divides by the batch size.
TEST(Trainer, SumReductionUnderAdamDiffersOnlyThroughTheL2Penalty) {
  auto mean = fit_bias(LossReduction::kMean, OptimizerKind::kAdam, 0);
  auto sum = fit_bias(LossReduction::kSum, OptimizerKind::kAdam, 0);
  EXPECT_GT(mean.abs().max().item<double>(), 0.1);  // it did train
  EXPECT_LT((mean - sum).abs().max().item<double>(), 1e-5);
  auto mean_l2 = fit_bias(LossReduction::kMean, OptimizerKind::kAdam, 2.0);
  auto sum_l2 = fit_bias(LossReduction::kSum, OptimizerKind::kAdam, 2.0);
  EXPECT_GT((mean_l2 - sum_l2).abs().max().item<double>(), 1e-3);
}
