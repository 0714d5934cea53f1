#include "nn/layers.h"

#include <cmath>
#include <sstream>

namespace emofuse::nn {

void check_shape(const torch::Tensor& x, const std::vector<int64_t>& expected, const char* what) {
  bool ok = x.defined() && x.dim() == static_cast<int64_t>(expected.size());
  for (size_t i = 0; ok && i < expected.size(); ++i) ok = expected[i] < 0 || x.size(i) == expected[i];
  if (!ok) {
    std::ostringstream want;
    want << "[";
    for (size_t i = 0; i < expected.size(); ++i) want << (i ? ", " : "") << (expected[i] < 0 ? "*" : std::to_string(expected[i]));
    want << "]";
    TORCH_CHECK(false, what, ": expected shape ", want.str(), ", got ", x.defined() ? x.sizes() : c10::IntArrayRef{});
  }
}

// ---------------------------------------------------------------------------------------------
MlpImpl::MlpImpl(MlpOptions options_) : options(std::move(options_)) { reset(); }

void MlpImpl::reset() {
  TORCH_CHECK(options.in_features() > 0 && options.out_features() > 0, "Mlp: feature sizes must be > 0");
  TORCH_CHECK(options.layers() >= 0 && options.hidden() > 0, "Mlp: layers must be >= 0 and hidden > 0");
  layers_ = torch::nn::Sequential();
  int64_t width = options.in_features();
  for (int64_t l = 0; l < options.layers(); ++l) {
    layers_->push_back(torch::nn::Linear(width, options.hidden()));
    layers_->push_back(torch::nn::GELU());
    layers_->push_back(torch::nn::Dropout(options.dropout()));
    width = options.hidden();
  }
  layers_->push_back(torch::nn::Linear(width, options.out_features()));
  register_module("layers", layers_);
}

torch::Tensor MlpImpl::forward(const torch::Tensor& x) {
  check_shape(x, {-1, options.in_features()}, "Mlp input");
  return layers_->forward(x);
}

// ---------------------------------------------------------------------------------------------
MultiheadAttentionImpl::MultiheadAttentionImpl(AttentionOptions options_) : options(std::move(options_)) { reset(); }

void MultiheadAttentionImpl::reset() {
  const auto e = options.embed_dim(), h = options.num_heads();
  TORCH_CHECK(e > 0 && h > 0 && e % h == 0, "MultiheadAttention: embed_dim ", e, " must be a positive multiple of num_heads ", h);
  TORCH_CHECK(options.dropkey() >= 0 && options.dropkey() < 1, "MultiheadAttention: dropkey must be in [0, 1)");
  q_proj = register_module("q_proj", torch::nn::Linear(e, e));
  k_proj = register_module("k_proj", torch::nn::Linear(e, e));
  v_proj = register_module("v_proj", torch::nn::Linear(e, e));
  out_proj = register_module("out_proj", torch::nn::Linear(e, e));
}

torch::Tensor MultiheadAttentionImpl::forward(const torch::Tensor& query, const torch::Tensor& key,
                                              const torch::Tensor& value, const torch::Tensor& bias) {
  const int64_t e = options.embed_dim(), h = options.num_heads(), dh = e / h;
  check_shape(query, {-1, -1, e}, "attention query");
  check_shape(key, {query.size(0), -1, e}, "attention key");
  check_shape(value, {query.size(0), key.size(1), e}, "attention value");
  const int64_t b = query.size(0), lq = query.size(1), lk = key.size(1);
  // [B, L, E] -> [B, H, L, Dh]
  auto split = [&](const torch::Tensor& x, int64_t len) { return x.view({b, len, h, dh}).transpose(1, 2); };
  auto q = split(q_proj(query), lq);
  auto k = split(k_proj(key), lk);
  auto v = split(v_proj(value), lk);
  auto scores = torch::matmul(q, k.transpose(-2, -1)) / std::sqrt(static_cast<double>(dh));  // [B, H, Lq, Lk]
  if (bias.defined()) scores = scores + bias;
  if (is_training() && options.dropkey() > 0) {
    auto drop = torch::bernoulli(torch::full_like(scores, options.dropkey()));
    scores = scores - drop * 1e9;  // masked keys get ~zero weight; a fully masked row stays finite
  }
  auto weights = torch::softmax(scores, -1);
  if (is_training() && options.dropout() > 0) weights = torch::dropout(weights, options.dropout(), true);
  last_weights_ = weights.detach();
  auto out = torch::matmul(weights, v).transpose(1, 2).contiguous().view({b, lq, e});  // [B, Lq, E]
  return out_proj(out);
}

// ---------------------------------------------------------------------------------------------
TransformerLayerImpl::TransformerLayerImpl(TransformerLayerOptions options_) : options(std::move(options_)) { reset(); }

void TransformerLayerImpl::reset() {
  const auto d = options.d_model();
  attention = register_module("attention", MultiheadAttention(AttentionOptions(d, options.num_heads())));
  ff1 = register_module("ff1", torch::nn::Linear(d, options.feedforward()));
  ff2 = register_module("ff2", torch::nn::Linear(options.feedforward(), d));
  norm1 = register_module("norm1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d})));
  norm2 = register_module("norm2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d})));
  dropout = register_module("dropout", torch::nn::Dropout(options.dropout()));
}

torch::Tensor TransformerLayerImpl::forward(const torch::Tensor& x) {
  check_shape(x, {-1, -1, options.d_model()}, "transformer input");
  auto y = norm1(x + dropout(attention(x, x, x)));
  return norm2(y + dropout(ff2(dropout(torch::gelu(ff1(y))))));
}

}  // namespace emofuse::nn
