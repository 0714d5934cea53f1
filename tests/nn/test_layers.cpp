// Shared neural building blocks (src/nn/layers.h): attention, transformer layer, MLP, shape checks.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "nn/layers.h"
#include "test_util.h"

using namespace emofuse;
using ::testing::HasSubstr;

// ------------------------------------------------------------------------------------ attention
TEST(Attention, OneHotScoresSelectTheMatchingValue) {
  // With identity projections and a huge bias towards key j for query i, the output is value j.
  nn::MultiheadAttention attention(nn::AttentionOptions(4, 1));
  torch::NoGradGuard no_grad;
  for (auto& p : attention->named_parameters()) {
    // in_proj.weight is [3E, E] (q, k, v blocks), out_proj.weight [E, E]: identity blocks.
    if (p.key().find("weight") != std::string::npos)
      p.value().copy_(torch::eye(4).repeat({p.value().size(0) / 4, 1}));
    else
      p.value().zero_();
  }
  auto q = torch::zeros({1, 2, 4});
  auto kv = torch::randn({1, 3, 4});
  auto bias = torch::full({2, 3}, -1e9);
  bias[0][2] = 0;  // query 0 -> key 2
  bias[1][0] = 0;  // query 1 -> key 0
  auto out = attention(q, kv, kv, bias);
  EXPECT_TRUE(torch::allclose(out[0][0], kv[0][2], 1e-5, 1e-5));
  EXPECT_TRUE(torch::allclose(out[0][1], kv[0][0], 1e-5, 1e-5));
}

TEST(Attention, FusedProjectionsEqualSeparateOnes) {
  // Self-attention (one product with the [3E, E] matrix) and cross-attention with key == value
  // (two products) must equal the three-product path taken for distinct tensors.
  nn::MultiheadAttention attention(nn::AttentionOptions(8, 2));
  attention->eval();
  auto x = torch::randn({3, 5, 8});
  auto q = torch::randn({3, 2, 8});
  EXPECT_TRUE(torch::allclose(attention(x, x, x), attention(x, x.clone(), x.clone()), 1e-6, 1e-6));
  EXPECT_TRUE(torch::allclose(attention(q, x, x), attention(q, x, x.clone()), 1e-6, 1e-6));
}

TEST(Transformer, PreNormKeepsTheResidualStreamPostNormNormalisesIt) {
  // With the attention and feed-forward outputs zeroed, a pre-norm layer is the identity
  // (x + 0 + 0) while a post-norm layer returns LN(LN(x)) (unit-variance tokens).
  auto x = 3.0 * torch::randn({2, 5, 8}) + 1.0;
  for (bool norm_first : {true, false}) {
    nn::TransformerLayer layer(nn::TransformerLayerOptions(8, 2).feedforward(16).norm_first(norm_first));
    layer->eval();
    torch::NoGradGuard no_grad;
    for (auto& p : layer->named_parameters()) {
      if (p.key().find("out_proj") != std::string::npos || p.key().find("ff2") != std::string::npos) p.value().zero_();
    }
    auto y = layer(x);
    if (norm_first) {
      EXPECT_TRUE(torch::allclose(y, x, 1e-6, 1e-6));
    } else {
      auto ln = torch::layer_norm(torch::layer_norm(x, {8}), {8});
      EXPECT_TRUE(torch::allclose(y, ln, 1e-4, 1e-4));
    }
  }
}

TEST(Attention, DropKeyOnlyInTraining) {
  nn::MultiheadAttention attention(nn::AttentionOptions(8, 2).dropkey(0.5));
  auto x = torch::randn({2, 5, 8});
  attention->eval();
  EXPECT_TRUE(torch::equal(attention(x, x, x), attention(x, x, x)));
  attention->train();
  EXPECT_FALSE(torch::equal(attention(x, x, x), attention(x, x, x)));
}

TEST(Attention, RejectsWrongShapes) {
  nn::MultiheadAttention attention(nn::AttentionOptions(8, 2));
  EXPECT_THAT(testutil::error_message<c10::Error>([&] {
                attention(torch::randn({2, 5, 7}), torch::randn({2, 5, 8}), torch::randn({2, 5, 8}));
              }),
              HasSubstr("attention query: expected shape [*, *, 8], got [2, 5, 7]"));
  EXPECT_THAT(testutil::error_message<c10::Error>([&] {
                attention(torch::randn({2, 5, 8}), torch::randn({3, 5, 8}), torch::randn({3, 5, 8}));
              }),
              HasSubstr("attention key: expected shape [2, *, 8], got [3, 5, 8]"));
  EXPECT_THAT(testutil::error_message<c10::Error>([] { nn::MultiheadAttention(nn::AttentionOptions(8, 3)); }),
              HasSubstr("embed_dim 8 must be a positive multiple of num_heads 3"));
  EXPECT_THAT(
      testutil::error_message<c10::Error>([] { nn::MultiheadAttention(nn::AttentionOptions(8, 2).dropkey(1.0)); }),
      HasSubstr("dropkey must be in [0, 1)"));
}

// Scores are Q K^T / sqrt(Dh): with identity projections, E = Dh = 2 (one head), a query
// (ln(3) sqrt(2), 0) and keys (1, 0), (0, 0) score ln(3) and 0, so the softmax gives 3/4 and 1/4
// (computed by hand) and the output is 3/4 of the first value row.
TEST(Attention, ScoresAreScaledBySqrtOfTheHeadWidth) {
  nn::MultiheadAttention attention(nn::AttentionOptions(2, 1));
  torch::NoGradGuard no_grad;
  for (auto& p : attention->named_parameters()) {
    if (p.key().find("weight") != std::string::npos)
      p.value().copy_(torch::eye(2).repeat({p.value().size(0) / 2, 1}));
    else
      p.value().zero_();
  }
  auto q = torch::tensor({std::log(3.0) * std::sqrt(2.0), 0.0}, torch::kFloat).view({1, 1, 2});
  auto kv = torch::tensor({1.0, 0.0, 0.0, 0.0}, torch::kFloat).view({1, 2, 2});
  auto out = attention(q, kv, kv);
  ASSERT_EQ(attention->last_weights().sizes(), (std::vector<int64_t>{1, 1, 1, 2}));  // [B, H, Lq, Lk]
  EXPECT_NEAR(attention->last_weights()[0][0][0][0].item<double>(), 0.75, 1e-6);
  EXPECT_NEAR(attention->last_weights()[0][0][0][1].item<double>(), 0.25, 1e-6);
  EXPECT_NEAR(out[0][0][0].item<double>(), 0.75, 1e-6);
  EXPECT_NEAR(out[0][0][1].item<double>(), 0.0, 1e-6);
}

// With the query and key projections zeroed every score is 0: each of the 4 keys gets weight 1/4
// in every head, and the output (identity value and output projections) is the mean value row.
TEST(Attention, EqualScoresAverageTheValues) {
  nn::MultiheadAttention attention(nn::AttentionOptions(4, 2));
  torch::NoGradGuard no_grad;
  for (auto& p : attention->named_parameters()) p.value().zero_();
  attention->named_parameters()["in_proj.weight"].narrow(0, 8, 4).copy_(torch::eye(4));  // values
  attention->named_parameters()["out_proj.weight"].copy_(torch::eye(4));
  auto q = torch::randn({2, 3, 4}), kv = torch::randn({2, 4, 4});
  auto out = attention(q, kv, kv);
  EXPECT_TRUE(torch::allclose(attention->last_weights(), torch::full({2, 2, 3, 4}, 0.25), 1e-6, 1e-6));
  EXPECT_TRUE(torch::allclose(out, kv.mean(1, /*keepdim=*/true).expand({2, 3, 4}), 1e-5, 1e-5));
}

// ------------------------------------------------------------------------------------ transformer

TEST(Transformer, RejectsWrongWidth) {
  nn::TransformerLayer layer(nn::TransformerLayerOptions(8, 2));
  EXPECT_THAT(testutil::error_message<c10::Error>([&] {
                layer(torch::randn({2, 5, 6}));
              }),
              HasSubstr("transformer input: expected shape [*, *, 8], got [2, 5, 6]"));
}

// ------------------------------------------------------------------------------------------ mlp

// layers = 0 is one linear map: with weight (2, -1) and bias 0.5, the input (1, 3) gives
// 2 - 3 + 0.5 = -0.5 (computed by hand).
TEST(Mlp, NoHiddenLayerIsOneLinearMap) {
  nn::Mlp mlp(nn::MlpOptions(2, 1).layers(0));
  ASSERT_EQ(mlp->parameters().size(), 2u);
  torch::NoGradGuard no_grad;
  mlp->named_parameters()["layers.0.weight"].copy_(torch::tensor({{2.0, -1.0}}));
  mlp->named_parameters()["layers.0.bias"].fill_(0.5);
  EXPECT_NEAR(mlp(torch::tensor({{1.0, 3.0}}, torch::kFloat))[0][0].item<double>(), -0.5, 1e-6);
}

// One hidden layer with identity weights and zero biases: output = GELU(1) + GELU(0)
// = Phi(1) + 0 = 0.8413447 (the standard normal CDF at 1, from a table).
TEST(Mlp, HiddenLayerAppliesGelu) {
  nn::Mlp mlp(nn::MlpOptions(2, 1).hidden(2).layers(1).dropout(0.5));
  mlp->eval();  // dropout off
  torch::NoGradGuard no_grad;
  for (auto& p : mlp->named_parameters()) p.value().zero_();
  mlp->named_parameters()["layers.0.weight"].copy_(torch::eye(2));
  mlp->named_parameters()["layers.3.weight"].fill_(1.0);  // Linear, GELU, Dropout, Linear
  EXPECT_NEAR(mlp(torch::tensor({{1.0, 0.0}}, torch::kFloat))[0][0].item<double>(), 0.8413447, 1e-6);
}

// Linear(3, 8), GELU, Dropout, Linear(8, 8), GELU, Dropout, Linear(8, 5):
// (3 8 + 8) + (8 8 + 8) + (8 5 + 5) = 32 + 72 + 45 = 149 parameters.
TEST(Mlp, ShapesAndParameterCount) {
  nn::Mlp mlp(nn::MlpOptions(3, 5).hidden(8).layers(2));
  int64_t total = 0;
  for (const auto& p : mlp->parameters()) total += p.numel();
  EXPECT_EQ(total, 149);
  EXPECT_EQ(mlp->named_parameters()["layers.6.weight"].sizes(), (std::vector<int64_t>{5, 8}));
  EXPECT_EQ(mlp(torch::randn({4, 3})).sizes(), (std::vector<int64_t>{4, 5}));
  EXPECT_THAT(testutil::error_message<c10::Error>([&] {
                mlp(torch::randn({4, 2}));
              }),
              HasSubstr("Mlp input: expected shape [*, 3], got [4, 2]"));
  EXPECT_THAT(testutil::error_message<c10::Error>([] { nn::Mlp(nn::MlpOptions(0, 5)); }),
              HasSubstr("Mlp: feature sizes must be > 0"));
  EXPECT_THAT(testutil::error_message<c10::Error>([] { nn::Mlp(nn::MlpOptions(3, 5).hidden(0)); }),
              HasSubstr("Mlp: layers must be >= 0 and hidden > 0"));
}

TEST(Mlp, DropoutOnlyInTraining) {
  nn::Mlp mlp(nn::MlpOptions(6, 4).hidden(32).dropout(0.5));
  auto x = torch::randn({3, 6});
  mlp->eval();
  EXPECT_TRUE(torch::equal(mlp(x), mlp(x)));
  mlp->train();
  EXPECT_FALSE(torch::equal(mlp(x), mlp(x)));
}

// ------------------------------------------------------------------------------------ check_shape

TEST(CheckShape, RankAndTrailingSizes) {
  EXPECT_NO_THROW(nn::check_shape(torch::zeros({2, 3}), {-1, 3}, "x"));
  EXPECT_NO_THROW(nn::check_shape(torch::zeros({2, 3}), {2, -1}, "x"));
  EXPECT_THAT(testutil::error_message<c10::Error>([] {
                nn::check_shape(torch::zeros({2, 3}), {-1, 4}, "x");
              }),
              HasSubstr("x: expected shape [*, 4], got [2, 3]"));
  EXPECT_THAT(testutil::error_message<c10::Error>([] {
                nn::check_shape(torch::zeros({2, 3}), {-1, -1, 3}, "x");
              }),
              HasSubstr("x: expected shape [*, *, 3], got [2, 3]"));
  EXPECT_THAT(testutil::error_message<c10::Error>([] { nn::check_shape(torch::Tensor(), {2}, "x"); }),
              HasSubstr("x: expected shape [2], got []"));
}
