#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"
#include "models/lsgmer/lsgmer.h"

using namespace emofuse;
using namespace emofuse::models::lsgmer;
using emofuse::data::DatasetSchema;
using emofuse::data::ModalityRole;

namespace {

constexpr int64_t kVocab = 50, kLen = 12, kAudioDim = 10, kClasses = 4;

DatasetSchema text_audio_schema() {
  return {{{"text", ModalityRole::kText, {kLen}}, {"audio", ModalityRole::kAudio, {kAudioDim}}},
          {"neutral", "joy", "anger", "sadness"}};
}

YAML::Node small_options() {
  return YAML::Load("{d_model: 16, embedding_dim: 8, heads: 2, vocab_size: 50, dropout: 0.0}");
}

// Token ids [B, kLen] with a different number of pads per row (row 0 fully padded: empty text).
torch::Tensor token_batch(int64_t b) {
  auto ids = torch::randint(3, kVocab, {b, kLen}, torch::kLong);
  for (int64_t i = 0; i < b; ++i)
    ids.index_put_({i, torch::indexing::Slice(kLen - 2 * i - 2, torch::indexing::None)}, 0);
  ids[0].fill_(0);
  return ids;
}

data::Batch make_batch(int64_t b) {
  data::Batch batch;
  batch.inputs = {token_batch(b), torch::randn({b, kAudioDim})};
  batch.labels = torch::arange(b, torch::kLong) % kClasses;
  batch.targets = torch::one_hot(batch.labels, kClasses).to(torch::kFloat);
  batch.indices = torch::arange(b, torch::kLong);
  return batch;
}

std::shared_ptr<Lsgmer> build(const DatasetSchema& schema, const YAML::Node& options) {
  return std::dynamic_pointer_cast<Lsgmer>(models::make_lsgmer(schema, options));
}

std::string option_error(const DatasetSchema& schema, const std::string& yaml) {
  try {
    models::make_lsgmer(schema, YAML::Load(yaml));
  } catch (const OptionError& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST(Lsgmer, ShapesAndGradientsTextAndAudio) {
  torch::manual_seed(0);
  auto model = build(text_audio_schema(), small_options());
  ASSERT_TRUE(model);
  auto batch = make_batch(5);
  auto out = model->forward(batch.inputs);
  ASSERT_EQ(out.log_probs.sizes(), (std::vector<int64_t>{5, kClasses}));
  EXPECT_TRUE(torch::allclose(out.log_probs.exp().sum(1), torch::ones({5}), 1e-5, 1e-5));
  EXPECT_EQ(out.extras.at("fused").sizes(), (std::vector<int64_t>{5, 16}));
  EXPECT_EQ(out.extras.at("similarity_log_probs").sizes(), (std::vector<int64_t>{5, kClasses}));
  EXPECT_EQ(model->label_embeddings().sizes(), (std::vector<int64_t>{kClasses, 16}));

  auto terms = model->loss(out, batch);
  ASSERT_TRUE(terms.parts.count("ce") && terms.parts.count("apc"));
  EXPECT_NEAR(terms.total.item<double>(), terms.parts["ce"] + 0.5 * terms.parts["apc"], 1e-5);
  terms.total.backward();
  for (const auto& p : model->named_parameters()) {
    ASSERT_TRUE(p.value().grad().defined()) << p.key() << " has no gradient";
    EXPECT_TRUE(torch::isfinite(p.value().grad()).all().item<bool>()) << p.key();
  }
  for (const char* name : {"label_embeddings", "text_encoder.embedding.weight", "audio_encoder.input_proj.weight",
                           "text_attention.q_proj.weight", "classifier.weight"}) {
    EXPECT_GT(model->named_parameters()[name].grad().abs().sum().item<double>(), 0.0) << name;
  }
  // Padding embedding (id 0) receives no gradient.
  EXPECT_EQ(model->named_parameters()["text_encoder.embedding.weight"].grad()[0].abs().sum().item<double>(), 0.0);
}

TEST(Lsgmer, TextOnlyWorksWithoutAudioModality) {
  DatasetSchema schema{{{"text", ModalityRole::kText, {kLen}}}, {"a", "b", "c", "d"}};
  auto model = build(schema, small_options());
  auto out = model->forward({token_batch(3)});
  EXPECT_EQ(out.log_probs.sizes(), (std::vector<int64_t>{3, kClasses}));
  EXPECT_EQ(model->named_parameters().find("audio_encoder.input_proj.weight"), nullptr);
  // "both" needs audio: the error says so.
  EXPECT_NE(option_error(schema, "{modalities: both}").find("role audio"), std::string::npos);
  EXPECT_NE(option_error(schema, "{modalities: audio}").find("the dataset has: text (text)"), std::string::npos);
}

TEST(Lsgmer, AblationsTextOnlyAudioOnlyNoLseNoApc) {
  torch::manual_seed(1);
  auto batch = make_batch(4);
  auto options = small_options();
  options["modalities"] = "text";
  auto text_only = build(text_audio_schema(), options);
  EXPECT_EQ(text_only->options().audio_index(), -1);
  EXPECT_EQ(text_only->forward(batch.inputs).log_probs.size(0), 4);

  options["modalities"] = "audio";
  auto audio_only = build(text_audio_schema(), options);
  EXPECT_EQ(audio_only->options().text_index(), -1);
  EXPECT_EQ(audio_only->forward(batch.inputs).log_probs.size(0), 4);

  options = small_options();
  options["label_enhancement"] = false;
  options["apc"] = false;
  auto plain = build(text_audio_schema(), options);
  auto terms = plain->loss(plain->forward(batch.inputs), batch);
  EXPECT_EQ(terms.parts.count("apc"), 0u);
  EXPECT_NEAR(terms.total.item<double>(), terms.parts["ce"], 1e-6);

  // Audio as a frame sequence [T, F].
  DatasetSchema frames{{{"audio", ModalityRole::kAudio, {7, kAudioDim}}}, {"a", "b", "c", "d"}};
  auto seq = build(frames, small_options());
  EXPECT_TRUE(seq->options().audio_sequence());
  EXPECT_EQ(seq->forward({torch::randn({2, 7, kAudioDim})}).log_probs.sizes(), (std::vector<int64_t>{2, kClasses}));
}

TEST(Lsgmer, PrecomputedTextFeatures) {
  DatasetSchema schema{{{"text", ModalityRole::kText, {24}}}, {"a", "b", "c"}};
  auto options = small_options();
  options["text_input"] = "features";
  auto model = build(schema, options);
  EXPECT_EQ(model->options().text_feature_dim(), 24);
  EXPECT_EQ(model->forward({torch::randn({3, 24})}).log_probs.sizes(), (std::vector<int64_t>{3, 3}));
}

TEST(Lsgmer, EvalIsDeterministic) {
  auto options = small_options();
  options["dropout"] = 0.5;
  auto model = build(text_audio_schema(), options);
  model->eval();
  torch::NoGradGuard no_grad;
  auto batch = make_batch(3);
  EXPECT_TRUE(torch::equal(model->forward(batch.inputs).log_probs, model->forward(batch.inputs).log_probs));
  EXPECT_EQ(model->forward(batch.inputs).log_probs.sizes(), (std::vector<int64_t>{3, kClasses}));
  // In training mode dropout 0.5 does change the output: eval() is what makes the passes agree.
  model->train();
  EXPECT_FALSE(torch::equal(model->forward(batch.inputs).log_probs, model->forward(batch.inputs).log_probs));
}

TEST(Lsgmer, TrailingPaddingColumnsDoNotChangeTheOutput) {
  // The encoder drops the columns after the batch's longest row; the same rows with 20 more pad
  // columns (a longer max_tokens) must give the same predictions, and h1 covers only L' columns.
  torch::manual_seed(3);
  const DatasetSchema schema = {{{"text", ModalityRole::kText, {kLen}}}, {"a", "b", "c", "d"}};
  auto model = build(schema, small_options());
  model->eval();
  torch::NoGradGuard no_grad;
  auto ids = token_batch(4);  // longest row: kLen - 4 real tokens (row 1)
  auto wide = torch::cat({ids, torch::zeros({4, 20}, torch::kLong)}, 1);
  auto a = model->forward({ids}).log_probs, b = model->forward({wide}).log_probs;
  EXPECT_TRUE(torch::allclose(a, b, 1e-6, 1e-6)) << a << b;
  ModalityEncoder encoder(ModalityEncoderOptions(16).vocab_size(kVocab).embedding_dim(8));
  auto encoded = encoder->forward(wide);
  EXPECT_EQ(encoded.h1.sizes(), (std::vector<int64_t>{4, kLen - 4, 16}));
  EXPECT_EQ(encoded.mask.sizes(), (std::vector<int64_t>{4, kLen - 4}));
  EXPECT_EQ(encoded.mask.sum().item<int64_t>(), ids.ne(0).sum().item<int64_t>());
}

TEST(LsgmerLoss, JsDivergenceHandComputed) {
  // p = [0.5, 0.5], q = [1, 0]: m = [0.75, 0.25];
  // KL(p||m) = 0.5 ln(0.5/0.75) + 0.5 ln(0.5/0.25) = 0.1438410, KL(q||m) = ln(1/0.75) = 0.2876821,
  // JS = (0.1438410 + 0.2876821) / 2 = 0.2157616 (computed by hand).
  auto log_p = torch::tensor({{0.5, 0.5}}).log();
  auto log_q = torch::tensor({{1.0, 1e-30}}).log();
  EXPECT_NEAR(js_divergence(log_p, log_q).item<double>(), 0.2157616, 1e-6);
  // Disjoint supports: JS = ln 2.
  auto a = torch::tensor({{1.0, 1e-30}}).log(), b = torch::tensor({{1e-30, 1.0}}).log();
  EXPECT_NEAR(js_divergence(a, b).item<double>(), std::log(2.0), 1e-6);
  // Symmetric and averaged over the batch.
  auto x = torch::log_softmax(torch::randn({6, 5}), 1), y = torch::log_softmax(torch::randn({6, 5}), 1);
  EXPECT_NEAR(js_divergence(x, y).item<double>(), js_divergence(y, x).item<double>(), 1e-6);
}

TEST(LsgmerLoss, ApcIsZeroWhenPredictionEqualsSimilarityDistribution) {
  auto features = torch::randn({4, 6}), labels = torch::randn({3, 6});
  auto log_q = label_similarity_log_probs(features, labels, 0.5);
  EXPECT_NEAR(js_divergence(log_q, log_q).item<double>(), 0.0, 1e-7);
  // Softmax over cosines / temperature: log q_01 - log q_00 = (cos(f0, L1) - cos(f0, L0)) / 0.5,
  // with the cosines computed by hand.
  const auto cosine = [&](int i, int j) {
    return (features[i] * labels[j]).sum().item<double>() /
           (features[i].norm().item<double>() * labels[j].norm().item<double>());
  };
  EXPECT_NEAR((log_q[0][1] - log_q[0][0]).item<double>(), (cosine(0, 1) - cosine(0, 0)) / 0.5, 1e-5);
  EXPECT_NEAR(log_q.exp().sum(1).sub(1).abs().max().item<double>(), 0.0, 1e-6);

  // Through the model: with log_probs replaced by the similarity distribution, APC = 0.
  auto model = build(text_audio_schema(), small_options());
  auto batch = make_batch(4);
  auto out = model->forward(batch.inputs);
  out.log_probs = out.extras.at("similarity_log_probs");
  EXPECT_NEAR(model->loss(out, batch).parts.at("apc"), 0.0, 1e-7);
}

TEST(LsgmerEma, HandComputedUpdate) {
  // L = [[0, 0], [1, 1], [2, 2]], features [[2, 4], [4, 0]], both of class 0, a = 0.5:
  // L'_0 = [3, 2], L_0 <- 0.5 [0, 0] + 0.5 [3, 2] = [1.5, 1]; classes 1, 2 absent: unchanged.
  auto labels = torch::tensor({{0.0, 0.0}, {1.0, 1.0}, {2.0, 2.0}});
  auto features = torch::tensor({{2.0, 4.0}, {4.0, 0.0}});
  auto hard = torch::tensor({{1.0, 0.0, 0.0}, {1.0, 0.0, 0.0}});
  auto expected = torch::tensor({{1.5, 1.0}, {1.0, 1.0}, {2.0, 2.0}});
  EXPECT_TRUE(torch::allclose(ema_label_update(labels, features, hard, 0.5), expected));
  // Soft targets [[0.5, 0.5, 0], [0, 1, 0]], a = 0.75 (by hand):
  // L'_0 = [2, 4];  L'_1 = (0.5 [2, 4] + [4, 0]) / 1.5 = [10/3, 4/3];
  // L_0 = 0.25 [2, 4] = [0.5, 1];  L_1 = 0.75 [1, 1] + 0.25 [10/3, 4/3] = [19/12, 13/12].
  auto soft = torch::tensor({{0.5, 0.5, 0.0}, {0.0, 1.0, 0.0}});
  expected = torch::tensor({{0.5, 1.0}, {19.0 / 12, 13.0 / 12}, {2.0, 2.0}});
  EXPECT_TRUE(torch::allclose(ema_label_update(labels, features, soft, 0.75), expected, 1e-6, 1e-6));
  // a = 0: the embeddings become the prototypes.
  EXPECT_TRUE(torch::allclose(ema_label_update(labels, features, hard, 0.0)[0], torch::tensor({3.0, 2.0})));
}

TEST(LsgmerEma, AfterStepAppliesTheUpdate) {
  auto options = small_options();
  options["ema_decay"] = 0.8;
  auto model = build(text_audio_schema(), options);
  auto batch = make_batch(6);
  auto out = model->forward(batch.inputs);
  auto before = model->label_embeddings().detach().clone();
  auto expected = ema_label_update(before, out.extras.at("fused").detach(), batch.targets, 0.8);
  model->after_step(out, batch);
  EXPECT_TRUE(torch::allclose(model->label_embeddings().detach(), expected, 1e-6, 1e-6));
  EXPECT_FALSE(torch::allclose(model->label_embeddings().detach(), before));
  // label_ema: false leaves them alone.
  options["label_ema"] = false;
  auto frozen = build(text_audio_schema(), options);
  auto l0 = frozen->label_embeddings().detach().clone();
  frozen->after_step(frozen->forward(batch.inputs), batch);
  EXPECT_TRUE(torch::equal(frozen->label_embeddings().detach(), l0));
}

TEST(LsgmerAttention, MaskedKeysGetNoWeightAndAllPadRowsAreUniform) {
  LabelAttention attention(LabelAttentionOptions(4, 2));
  auto q = torch::randn({2, 3, 4}), k = torch::randn({2, 5, 4});
  auto mask = torch::tensor({{1, 1, 0, 1, 0}, {0, 0, 0, 0, 0}}).to(torch::kBool);
  auto out = attention(q, k, k, mask);
  EXPECT_EQ(out.sizes(), (std::vector<int64_t>{2, 3, 4}));
  const auto& w = attention->last_weights();  // [B, H, Lq, Lk]
  EXPECT_EQ(w.index({0, torch::indexing::Slice(), torch::indexing::Slice(), 2}).abs().max().item<double>(), 0.0);
  EXPECT_EQ(w.index({0, torch::indexing::Slice(), torch::indexing::Slice(), 4}).abs().max().item<double>(), 0.0);
  EXPECT_TRUE(torch::allclose(w[1], torch::full_like(w[1], 0.2)));
  EXPECT_TRUE(torch::allclose(w.sum(-1), torch::ones({2, 2, 3})));
}

TEST(LsgmerOptions, ValidatedBeforeBuilding) {
  const auto schema = text_audio_schema();
  EXPECT_NE(option_error(schema, "{hiden_dim: 8}").find("option 'model.options.hiden_dim': unknown option; known: "),
            std::string::npos)
      << option_error(schema, "{hiden_dim: 8}");
  EXPECT_EQ(option_error(schema, "{ema_decay: 1.0}"), "option 'model.options.ema_decay': must be in [0, 1)");
  EXPECT_NE(option_error(schema, "{ema_decay: -0.1}").find("ema_decay"), std::string::npos);
  EXPECT_NE(option_error(schema, "{d_model: abc}").find("model.options.d_model"), std::string::npos);
  EXPECT_NE(option_error(schema, "{d_model: 18, heads: 4}").find("must divide d_model"), std::string::npos);
  EXPECT_NE(option_error(schema, "{apc_temperature: 0}").find("apc_temperature"), std::string::npos);
  EXPECT_NE(option_error(schema, "{text_input: chars}").find("text_input"), std::string::npos);
  EXPECT_NE(option_error(schema, "[1, 2]").find("model.options"), std::string::npos);
  // Without a dataset (the registry's validate_options).
  EXPECT_THROW(lsgmer_config_from_yaml(YAML::Load("{dropout: 1.5}")), OptionError);
  EXPECT_EQ(lsgmer_config_from_yaml(YAML::Load("{ema_decay: 0.5}")).model.ema_decay(), 0.5);
  // Null options: all defaults.
  EXPECT_TRUE(models::make_lsgmer(schema, YAML::Node()));
}

TEST(Lsgmer, PrepareRejectsTokenIdsBeyondVocabulary) {
  DatasetSchema schema{{{"text", ModalityRole::kText, {3}}}, {"a", "b"}};
  auto model = build(schema, small_options());  // vocab_size 50
  data::MultimodalDataset train({{"text", ModalityRole::kText, {3}}},
                                {torch::tensor({{3, 4, 0}, {60, 5, 0}}, torch::kLong)},
                                torch::tensor({{1.0f, 0.0f}, {0.0f, 1.0f}}), torch::zeros({2}, torch::kLong),
                                torch::arange(2, torch::kLong), {"a", "b"}, "unit test");
  try {
    model->prepare(train);
    FAIL() << "expected OptionError";
  } catch (const OptionError& e) {
    EXPECT_NE(std::string(e.what()).find("token id 60"), std::string::npos) << e.what();
  }
}

TEST(Lsgmer, FewStepsReduceTheLossOnASeparableToyProblem) {
  torch::manual_seed(3);
  auto model = build(text_audio_schema(), small_options());
  auto batch = make_batch(16);
  // Make audio informative: class c shifts feature c.
  batch.inputs[1] = torch::randn({16, kAudioDim}) * 0.1 + torch::one_hot(batch.labels, kAudioDim).to(torch::kFloat) * 3;
  torch::optim::Adam optimizer(model->parameters(), torch::optim::AdamOptions(1e-2));
  double first = 0, last = 0;
  for (int step = 0; step < 30; ++step) {
    optimizer.zero_grad();
    auto out = model->forward(batch.inputs);
    auto terms = model->loss(out, batch);
    terms.total.backward();
    optimizer.step();
    model->after_step(out, batch);
    if (step == 0) first = terms.total.item<double>();
    last = terms.total.item<double>();
  }
  EXPECT_LT(last, 0.5 * first);
}
