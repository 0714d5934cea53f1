// HeloInference, the dedicated inference path, against HeloModel::forward in eval().
#include <gtest/gtest.h>

#include "core/error.h"
#include "models/helo/helo.h"
#include "models/helo/helo_inference.h"

using namespace emofuse;
using namespace emofuse::models;

namespace {

data::DatasetSchema dmer_schema() {
  data::DatasetSchema s;
  s.modalities = {{"eeg", data::ModalityRole::kPhysiological, {18, 5}},
                  {"gsr", data::ModalityRole::kPhysiological, {28}},
                  {"ppg", data::ModalityRole::kPhysiological, {27}},
                  {"video", data::ModalityRole::kBehavioural, {768}}};
  for (int c = 0; c < 10; ++c) s.class_names.push_back("e" + std::to_string(c));
  return s;
}

// WESAD-like: no channel structure (the anchor becomes learned tokens), two behavioural modalities.
data::DatasetSchema wesad_schema() {
  data::DatasetSchema s;
  s.modalities = {{"eda", data::ModalityRole::kPhysiological, {3}},
                  {"bvp", data::ModalityRole::kPhysiological, {2}},
                  {"acc", data::ModalityRole::kBehavioural, {4}},
                  {"temp", data::ModalityRole::kBehavioural, {2}}};
  s.class_names = {"amusement", "baseline", "stress"};
  return s;
}

// DEAP-like: EEG alone (no fusion, no OT).
data::DatasetSchema eeg_schema() {
  data::DatasetSchema s;
  s.modalities = {{"eeg", data::ModalityRole::kPhysiological, {32, 5}}};
  s.class_names = {"high", "low"};
  return s;
}

std::vector<torch::Tensor> inputs_for(const data::DatasetSchema& schema, int64_t batch) {
  std::vector<torch::Tensor> x;
  for (const auto& m : schema.modalities) {
    std::vector<int64_t> shape{batch};
    shape.insert(shape.end(), m.shape.begin(), m.shape.end());
    x.push_back(torch::randn(shape));
  }
  return x;
}

// A model with weights moved away from their initial values (biases and LayerNorm scales are
// 0 and 1 at initialisation, which would hide a wrongly placed bias or scale): a few AdamW steps
// on random targets.
std::shared_ptr<HeloModel> trained_model(const data::DatasetSchema& schema, const std::string& extra) {
  auto node = YAML::Load(extra);
  if (!node["d_model"]) node["d_model"] = 32;
  auto model = std::make_shared<HeloModel>(schema, HeloOptions::from_yaml(node));
  torch::optim::AdamW optimizer(model->parameters(), torch::optim::AdamWOptions(2e-2));
  data::Batch batch;
  batch.inputs = inputs_for(schema, 8);
  batch.targets = torch::softmax(torch::randn({8, schema.num_classes()}), 1);
  model->train();
  for (int step = 0; step < 3; ++step) {
    auto loss = model->loss(model->forward(batch.inputs), batch).total;
    optimizer.zero_grad();
    loss.backward();
    optimizer.step();
  }
  model->eval();
  return model;
}

}  // namespace

// The bar: the inference path equals the LibTorch forward pass to 1e-5 (log-probabilities),
// at batch 1 and at a larger batch, on every branch of the forward pass it implements.
TEST(HeloInference, MatchesForwardOnEveryOptionSet) {
  struct Case {
    data::DatasetSchema schema;
    const char* options;
  };
  const std::vector<Case> cases{
      {dmer_schema(), "{d_model: 128}"},  // the defaults, full width
      {dmer_schema(), "{}"},
      {dmer_schema(), "{encoder_hidden: 0, norm_first: false, token_rank: 0, behavioural_rank: 0}"},
      {dmer_schema(), "{ot_align: plan_multiply, readout: mlp, label_heads: 1}"},
      {dmer_schema(), "{fusion: concat, encoder_layers: 2}"},
      {dmer_schema(), "{ot: none, encoder_layers: 0}"},
      {dmer_schema(), "{label_attention: false}"},
      {dmer_schema(), "{label_attention: false, readout: mlp}"},
      {dmer_schema(), "{channel_tokens: false, anchor_tokens: 12}"},
      {dmer_schema(), "{ot_lambda: 0.05, gw_iterations: 3, ipot_iterations: 7, ot_threshold: 0.3}"},
      {wesad_schema(), "{anchor: eda, anchor_tokens: 6}"},
      {wesad_schema(), "{anchor: bvp, anchor_tokens: 4, encoder_hidden: 0, token_rank: 0}"},
      {eeg_schema(), "{}"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.options);
    torch::manual_seed(0);
    auto model = trained_model(c.schema, c.options);
    HeloInference fast(*model, c.schema);
    for (int64_t batch : {1, 5}) {
      SCOPED_TRACE(batch);
      auto x = inputs_for(c.schema, batch);
      torch::Tensor expected;
      {
        c10::InferenceMode inference;
        expected = model->forward(x).log_probs;
      }
      auto got = fast.forward(x);
      ASSERT_EQ(got.sizes(), expected.sizes());
      const double diff = (got - expected).abs().max().item<double>();
      EXPECT_LE(diff, 1e-5);
      EXPECT_GT(expected.std().item<double>(), 1e-3);  // a model that predicts something
    }
  }
}

// A snapshot: later changes to the model's weights are not seen; a new instance sees them.
TEST(HeloInference, IsASnapshotOfTheWeights) {
  torch::manual_seed(1);
  const auto schema = dmer_schema();
  auto model = trained_model(schema, "{}");
  HeloInference before(*model, schema);
  auto x = inputs_for(schema, 2);
  auto first = before.forward(x);
  {
    torch::NoGradGuard no_grad;
    for (auto& p : model->parameters()) p.add_(0.05 * torch::randn_like(p));
  }
  EXPECT_TRUE(torch::equal(before.forward(x), first));
  c10::InferenceMode inference;
  auto changed = model->forward(x).log_probs;
  EXPECT_GT((changed - first).abs().max().item<double>(), 1e-4);
  EXPECT_LE((HeloInference(*model, schema).forward(x) - changed).abs().max().item<double>(), 1e-5);
}

TEST(HeloInference, RejectsWhatItCannotRun) {
  const auto schema = dmer_schema();
  HeloModel sinkhorn(schema, HeloOptions::from_yaml(YAML::Load("{d_model: 32, ot: sinkhorn}")));
  EXPECT_THROW(HeloInference(sinkhorn, schema), OptionError);
  EXPECT_NE(HeloInference::unsupported_reason(HeloOptions().ot(OtKind::kSinkhorn)), "");
  EXPECT_EQ(HeloInference::unsupported_reason(HeloOptions()), "");

  HeloModel model(schema, HeloOptions::from_yaml(YAML::Load("{d_model: 32}")));
  HeloInference fast(model, schema);
  auto x = inputs_for(schema, 2);
  EXPECT_THROW(fast.forward({x[0], x[1], x[2]}), c10::Error);  // a modality missing
  x[1] = torch::randn({2, 29});                                // GSR has 28 features
  EXPECT_THROW(fast.forward(x), c10::Error);
  x[1] = torch::randn({3, 28});  // another batch size than the anchor's
  EXPECT_THROW(fast.forward(x), c10::Error);
}
