#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>

#include "core/error.h"
#include "data/normalize.h"
#include "models/baselines/baselines.h"
#include "models/helo/helo.h"
#include "models/registry.h"
#include "models/trainer.h"
#include "nn/layers.h"
#include "ot/costs.h"
#include "ot/gromov_wasserstein.h"
#include "test_util.h"

using namespace emofuse;
using namespace emofuse::models;

namespace {

data::DatasetSchema dmer_schema(bool with_video = true) {
  data::DatasetSchema s;
  s.modalities = {{"eeg", data::ModalityRole::kPhysiological, {18, 5}},
                  {"gsr", data::ModalityRole::kPhysiological, {28}},
                  {"ppg", data::ModalityRole::kPhysiological, {27}}};
  if (with_video) s.modalities.push_back({"video", data::ModalityRole::kBehavioural, {768}});
  for (int c = 0; c < 10; ++c) s.class_names.push_back("e" + std::to_string(c));
  return s;
}

std::vector<torch::Tensor> dmer_inputs(int64_t b, bool with_video = true) {
  std::vector<torch::Tensor> x{torch::randn({b, 18, 5}), torch::randn({b, 28}), torch::randn({b, 27})};
  if (with_video) x.push_back(torch::randn({b, 768}));
  return x;
}

HeloOptions small_helo(const std::string& extra = "{}") {
  auto node = YAML::Load(extra);
  node["d_model"] = 32;
  node["heads"] = 4;
  return HeloOptions::from_yaml(node);
}

// Every parameter's shape by name, and the parameter count.
std::pair<std::map<std::string, std::vector<int64_t>>, int64_t> parameter_shapes(const torch::nn::Module& m) {
  std::map<std::string, std::vector<int64_t>> shapes;
  int64_t total = 0;
  for (const auto& p : m.named_parameters()) {
    shapes[p.key()] = p.value().sizes().vec();
    total += p.value().numel();
  }
  return {shapes, total};
}

data::Batch batch_of(std::vector<torch::Tensor> inputs, int64_t classes) {
  data::Batch b;
  b.targets = torch::softmax(torch::randn({inputs[0].size(0), classes}), 1);
  b.inputs = std::move(inputs);
  return b;
}

}  // namespace

// ------------------------------------------------------------------------------------------ baselines
TEST(Baselines, ShapesAndNormalisedOutputs) {
  auto schema = dmer_schema();
  for (std::shared_ptr<DistributionModule> model :
       {std::shared_ptr<DistributionModule>(std::make_shared<EarlyFusionMlp>(schema, BaselineOptions())),
        std::shared_ptr<DistributionModule>(std::make_shared<LateFusion>(schema, BaselineOptions()))}) {
    auto out = model->forward(dmer_inputs(3));
    ASSERT_EQ(out.log_probs.sizes(), (std::vector<int64_t>{3, 10}));
    EXPECT_TRUE(torch::allclose(out.log_probs.exp().sum(1), torch::ones({3}), 1e-5, 1e-5));
    auto loss = model->loss(out, batch_of(dmer_inputs(3), 10)).total;
    loss.backward();
    for (const auto& p : model->parameters()) EXPECT_TRUE(p.grad().defined());
  }
}

TEST(Registry, KnowsModelsAndRejectsUnknownOptions) {
  // Every registered model, in registration order (the prior floor first): each one is found by
  // its name, and the error for an unknown name lists them all.
  const std::vector<std::string> expected{"prior",  "mlp_early", "late_fusion", "helo",  "lsgmer",
                                          "aa_knn", "pt_bayes",  "sa_bfgs",     "ldllc", "inner_cv"};
  std::vector<std::string> names;
  for (const auto& entry : model_registry()) names.push_back(entry.name);
  EXPECT_EQ(names, expected);
  std::string known;
  for (const auto& name : expected) {
    EXPECT_EQ(find_model(name).name, name);
    known += (known.empty() ? "" : ", ") + name;
  }
  EXPECT_EQ(testutil::error_message<OptionError>([] { find_model("transformer_xl"); }),
            "option 'model.name': unknown model 'transformer_xl'; known: " + known);
  EXPECT_THROW(find_model("mlp_early").validate_options(YAML::Load("{hiden: 3}")), OptionError);
  EXPECT_THROW(find_model("helo").validate_options(YAML::Load("{dropkey: 1.5}")), OptionError);
  EXPECT_THROW(find_model("helo").validate_options(YAML::Load("{token_rank: -1}")), OptionError);
}

// ------------------------------------------------------------------------------------------ HeLo
TEST(Helo, ShapesGradientsAndExtras) {
  for (const char* extra :
       {"{}", "{encoder_hidden: 0, norm_first: false, token_rank: 0}", "{encoder_hidden: 16, norm_first: true}",
        "{token_rank: 0}", "{channel_tokens: false, anchor_tokens: 18}", "{readout: mlp, label_heads: 1}"}) {
    SCOPED_TRACE(extra);
    torch::manual_seed(0);
    HeloModel model(dmer_schema(), small_helo(extra));
    auto out = model.forward(dmer_inputs(4));
    ASSERT_EQ(out.log_probs.sizes(), (std::vector<int64_t>{4, 10}));
    EXPECT_TRUE(torch::allclose(out.log_probs.exp().sum(1), torch::ones({4}), 1e-5, 1e-5));
    EXPECT_EQ(out.extras.at("ot_plan").sizes(), (std::vector<int64_t>{4, 36, 36}));  // 2 x 18 tokens
    EXPECT_EQ(out.extras.at("label_similarity").sizes(), (std::vector<int64_t>{10, 10}));
    // The plan's marginals are uniform (1/36), to the solver's accuracy.
    EXPECT_LT((out.extras.at("ot_plan").sum(2) - 1.0 / 36).abs().max().item<double>(), 5e-3);
    auto loss = model.loss(out, batch_of(dmer_inputs(4), 10)).total;
    loss.backward();
    for (const auto& p : model.named_parameters()) {
      ASSERT_TRUE(p.value().grad().defined()) << p.key();
      EXPECT_GT(p.value().grad().abs().sum().item<double>(), 0.0) << p.key() << " receives no gradient";
    }
  }
}

// Each switch runs and changes the computation: with the same seeds for the initial weights and
// for the dropout and DropKey masks (training mode), the model with the switch predicts otherwise
// than the defaults, or, for a switch of the loss alone, predicts the same with another loss. A
// switch that were read but ignored would give the defaults' numbers.
TEST(Helo, EveryAblationSwitchRuns) {
  torch::manual_seed(5);
  const auto batch = batch_of(dmer_inputs(2), 10);
  auto run = [&](const char* extra) {
    torch::manual_seed(0);
    HeloModel model(dmer_schema(), small_helo(extra));
    torch::manual_seed(1);
    auto out = model.forward(batch.inputs);
    auto loss = model.loss(out, batch).total;
    EXPECT_TRUE(std::isfinite(loss.item<double>())) << extra;
    loss.backward();
    return std::make_pair(out.log_probs.detach(), loss.item<double>());
  };
  const auto [default_out, default_loss] = run("{}");
  const std::set<std::string> loss_only{"{correlation: batch}", "{lambda_ot: 0.5}"};
  int switches = 0;
  for (const char* extra :
       {"{fusion: concat}", "{ot: none}", "{ot: sinkhorn}", "{ot_align: plan_multiply}", "{label_attention: false}",
        "{correlation: batch}", "{lambda_ot: 0.5}", "{behavioural_rank: 0}", "{encoder_layers: 0}",
        "{encoder_hidden: 0}", "{encoder_hidden: 8, behavioural_rank: 0}", "{norm_first: false}",
        "{label_attention: false, readout: mlp}", "{attention_dropout: 0.5}", "{dropkey_everywhere: true}"}) {
    const auto [out, loss] = run(extra);
    ++switches;
    if (loss_only.count(extra)) {
      EXPECT_TRUE(torch::allclose(out, default_out, 1e-5, 1e-5)) << extra << " changes the predictions";
      EXPECT_GT(std::abs(loss - default_loss), 1e-6) << extra << " leaves the loss as it was";
    } else {
      EXPECT_GT((out - default_out).abs().max().item<double>(), 1e-6)
          << extra << " leaves the predictions as they were";
    }
  }
  EXPECT_EQ(switches, 15);
}

// token_rank r: each token generator ends in K r outputs and one Linear(r, D) shared by the K
// tokens; r = 0 is one output layer with K D columns.
TEST(Helo, TokenRankFactorisesTheTokenGenerators) {
  torch::manual_seed(0);
  HeloModel factored(dmer_schema(), small_helo("{token_rank: 4, encoder_hidden: 8, behavioural_rank: 8}"));
  HeloModel full(dmer_schema(), small_helo("{token_rank: 0, encoder_hidden: 8, behavioural_rank: 8}"));
  auto [fs, f_total] = parameter_shapes(factored);
  auto [us, u_total] = parameter_shapes(full);
  const int64_t d = 32, k = 18, n = 36;  // DMER: 18 EEG channels, 2 x 18 physiological tokens
  EXPECT_EQ(fs.at("token_up_gsr.weight"), (std::vector<int64_t>{d, 4}));
  EXPECT_EQ(fs.at("token_up_ppg.weight"), (std::vector<int64_t>{d, 4}));
  EXPECT_EQ(fs.at("behavioural_token_up.weight"), (std::vector<int64_t>{d, 4}));
  EXPECT_EQ(fs.at("behavioural_encoder.weight"), (std::vector<int64_t>{n * 4, 8}));
  EXPECT_EQ(us.at("behavioural_encoder.weight"), (std::vector<int64_t>{n * d, 8}));
  EXPECT_EQ(us.count("token_up_gsr.weight"), 0u);
  // Output layers: 2 x (8 -> K r) + (8 -> n r) + 3 x (r -> D) instead of 2 x (8 -> K D) + (8 -> n D).
  const int64_t full_out = 2 * (8 * k * d + k * d) + (8 * n * d + n * d);
  const int64_t factored_out = 2 * (8 * k * 4 + k * 4) + (8 * n * 4 + n * 4) + 3 * (4 * d + d);
  EXPECT_EQ(u_total - f_total, full_out - factored_out);
  auto out = factored.forward(dmer_inputs(3));
  EXPECT_EQ(out.log_probs.sizes(), (std::vector<int64_t>{3, 10}));
}

// readout: mlp is the reference code's classifier over the flattened label tokens
// (C D -> D -> D -> C) in place of one weight vector per class; label_heads sets the heads of
// the label-correlation attention alone.
TEST(Helo, MlpReadoutAndLabelHeads) {
  torch::manual_seed(0);
  HeloModel per_class(dmer_schema(), small_helo());
  HeloModel mlp(dmer_schema(), small_helo("{readout: mlp, label_heads: 1}"));
  auto [ps, p_total] = parameter_shapes(per_class);
  auto [ms, m_total] = parameter_shapes(mlp);
  const int64_t c = 10, d = 32;
  EXPECT_EQ(ps.at("classifier_weight"), (std::vector<int64_t>{c, d}));
  EXPECT_EQ(ms.count("classifier_weight"), 0u);
  EXPECT_EQ(ms.at("readout_mlp.layers.0.weight"), (std::vector<int64_t>{d, c * d}));
  const int64_t mlp_weights = (c * d * d + d) + (d * d + d) + (d * c + c);
  EXPECT_EQ(m_total - p_total, mlp_weights - (c * d + c));

  per_class.eval();
  mlp.eval();
  const auto inputs = dmer_inputs(3);
  auto out = mlp.forward(inputs);
  ASSERT_EQ(out.log_probs.sizes(), (std::vector<int64_t>{3, c}));
  EXPECT_TRUE(torch::allclose(out.log_probs.exp().sum(1), torch::ones({3}), 1e-5, 1e-5));
  per_class.forward(inputs);
  auto heads_of = [](HeloModel& m) {
    auto attention = std::dynamic_pointer_cast<nn::MultiheadAttentionImpl>(m.named_children()["label_attention"]);
    return attention->last_weights().size(1);  // [B, H, C, L]
  };
  EXPECT_EQ(heads_of(mlp), 1);
  EXPECT_EQ(heads_of(per_class), 4);  // 0 = heads

  EXPECT_THROW(small_helo("{label_heads: 3}"), OptionError);  // 32 is not a multiple of 3
  EXPECT_THROW(small_helo("{label_heads: -1}"), OptionError);
  EXPECT_THROW(small_helo("{readout: linear}"), OptionError);
  EXPECT_THROW(small_helo("{attention_dropout: 1.0}"), OptionError);
}

TEST(Helo, WorksWithoutEegOrBehaviouralModality) {
  // WESAD-like: no channel structure; anchor chosen by name and tokenised into K tokens.
  data::DatasetSchema wesad;
  wesad.modalities = {{"eda", data::ModalityRole::kPhysiological, {3}},
                      {"bvp", data::ModalityRole::kPhysiological, {2}},
                      {"acc", data::ModalityRole::kBehavioural, {4}}};
  wesad.class_names = {"amusement", "baseline", "stress"};
  HeloModel model(wesad, small_helo("{anchor: eda, anchor_tokens: 6}"));
  auto out = model.forward({torch::randn({5, 3}), torch::randn({5, 2}), torch::randn({5, 4})});
  EXPECT_EQ(out.log_probs.sizes(), (std::vector<int64_t>{5, 3}));
  EXPECT_EQ(out.extras.at("ot_plan").sizes(), (std::vector<int64_t>{5, 6, 6}));
  // DEAP-like: EEG only -> the label-correlation head over the EEG tokens, no OT.
  data::DatasetSchema deap;
  deap.modalities = {{"eeg", data::ModalityRole::kPhysiological, {32, 5}}};
  deap.class_names = {"high", "low"};
  HeloModel eeg_only(deap, small_helo());
  auto o2 = eeg_only.forward({torch::randn({3, 32, 5})});
  EXPECT_EQ(o2.log_probs.sizes(), (std::vector<int64_t>{3, 2}));
  EXPECT_EQ(o2.extras.count("ot_plan"), 0u);
  EXPECT_THROW(HeloModel(wesad, small_helo("{anchor: acc}")), OptionError);
}

TEST(Helo, EvaluationIsDeterministic) {
  HeloModel model(dmer_schema(), small_helo());
  model.eval();
  torch::NoGradGuard no_grad;
  auto x = dmer_inputs(3);
  EXPECT_TRUE(torch::equal(model.forward(x).log_probs, model.forward(x).log_probs));  // DropKey off
  EXPECT_EQ(model.forward(x).log_probs.sizes(), (std::vector<int64_t>{3, 10}));
  // The same model in training mode does draw masks (dropout, DropKey): it is eval() that makes
  // the two passes above agree, not a model without randomness.
  model.train();
  EXPECT_FALSE(torch::equal(model.forward(x).log_probs, model.forward(x).log_probs));
}

TEST(Helo, FusedGromovWassersteinPlanMatchesTensorPath) {
  HeloModel model(dmer_schema(), small_helo());
  model.eval();
  torch::NoGradGuard no_grad;
  auto x = dmer_inputs(3);
  auto fused = model.forward(x).extras.at("ot_plan");
  // The GW path is chosen inside the OT library: compare the fused and tensor paths directly.
  auto p = torch::randn({3, 36, 32}), v = torch::randn({3, 36, 32});
  auto c1 = ot::threshold_cost(ot::cosine_cost(p, p)), c2 = ot::threshold_cost(ot::cosine_cost(v, v));
  auto a = ot::uniform_marginal(3, 36, p.options());
  auto fast = ot::entropic_gromov_wasserstein(c1, c2, a, a).plan;
  auto slow = ot::entropic_gromov_wasserstein(c1, c2, a, a, ot::GromovWassersteinOptions().fused_cpu(false)).plan;
  EXPECT_LT((fast - slow).abs().max().item<double>(), 1e-5);
  EXPECT_EQ(fused.sizes(), (std::vector<int64_t>{3, 36, 36}));
}

TEST(Helo, LabelCorrelationFromTrainingTargets) {
  auto d = testutil::tiny_cohort(3, 8, 2);
  HeloModel model(d.schema(), small_helo());
  model.prepare(d);
  auto r = model.label_correlation();
  EXPECT_TRUE(torch::allclose(r, torch::corrcoef(d.targets().t()), 1e-4, 1e-4));
  EXPECT_TRUE(torch::allclose(r.diagonal(), torch::ones({10})));
}

// Label embeddings are learned: they receive gradients, change with training, and their cosine
// similarity moves towards the label correlation matrix (the alignment loss falls).
TEST(Helo, LabelEmbeddingsLearnAndCorrelationLossFalls) {
  torch::manual_seed(1);
  auto d = data::Standardizer();
  auto cohort = testutil::tiny_cohort(3, 8, 2);
  d.fit(cohort);
  auto train = d.apply(cohort);
  HeloModel model(train.schema(), small_helo("{lambda_corr: 1.0}"));
  model.prepare(train);
  auto before = model.label_embeddings().detach().clone();
  torch::optim::Adam optimizer(model.parameters(), torch::optim::AdamOptions(1e-2));
  auto batch = train.batch(torch::arange(train.size()));
  double first_corr = 0, last_corr = 0, first_total = 0, last_total = 0;
  for (int step = 0; step < 40; ++step) {
    auto terms = model.loss(model.forward(batch.inputs), batch);
    if (step == 0) {
      first_corr = terms.parts.at("corr");
      first_total = terms.total.item<double>();
    }
    last_corr = terms.parts.at("corr");
    last_total = terms.total.item<double>();
    optimizer.zero_grad();
    terms.total.backward();
    if (step == 0) {
      EXPECT_GT(model.label_embeddings().grad().abs().sum().item<double>(), 0.0);
    }
    optimizer.step();
  }
  EXPECT_GT((model.label_embeddings() - before).abs().max().item<double>(), 1e-3);
  EXPECT_LT(last_corr, 0.5 * first_corr);
  EXPECT_LT(last_total, first_total);
}

// Overfit a tiny cohort: the training KL must fall well below its starting value.
TEST(Helo, OverfitsATinyCohort) {
  torch::manual_seed(2);
  auto cohort = testutil::tiny_cohort(2, 4, 2);  // 16 samples
  data::Standardizer s;
  s.fit(cohort);
  auto train = s.apply(cohort);
  HeloModel model(train.schema(), small_helo("{dropout: 0.0, dropkey: 0.0}"));
  model.prepare(train);
  torch::optim::Adam optimizer(model.parameters(), torch::optim::AdamOptions(3e-3));
  auto batch = train.batch(torch::arange(train.size()));
  double first = 0, last = 0;
  for (int step = 0; step < 150; ++step) {
    auto terms = model.loss(model.forward(batch.inputs), batch);
    if (step == 0) first = terms.parts.at("kl");
    last = terms.parts.at("kl");
    optimizer.zero_grad();
    terms.total.backward();
    optimizer.step();
  }
  EXPECT_LT(last, 0.02) << "started at " << first;
}
