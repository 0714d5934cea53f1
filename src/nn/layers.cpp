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
    for (size_t i = 0; i < expected.size(); ++i)
      want << (i ? ", " : "") << (expected[i] < 0 ? "*" : std::to_string(expected[i]));
    want << "]";
    TORCH_CHECK(false, what, ": expected shape ", want.str(), ", got ", x.defined() ? x.sizes() : c10::IntArrayRef{});
  }
}

// ---------------------------------------------------------------------------------------------
MlpImpl::MlpImpl(MlpOptions options_) : options(std::move(options_)) {
  reset();
}

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
MultiheadAttentionImpl::MultiheadAttentionImpl(AttentionOptions options_) : options(std::move(options_)) {
  reset();
}

void MultiheadAttentionImpl::reset() {
  const auto e = options.embed_dim(), h = options.num_heads();
  TORCH_CHECK(e > 0 && h > 0 && e % h == 0, "MultiheadAttention: embed_dim ", e,
              " must be a positive multiple of num_heads ", h);
  TORCH_CHECK(options.dropkey() >= 0 && options.dropkey() < 1, "MultiheadAttention: dropkey must be in [0, 1)");
  in_proj = register_module("in_proj", torch::nn::Linear(e, 3 * e));
  {
    // Initialise each E x E block as its own Linear(E, E) would be (uniform +-1/sqrt(E)), not
    // as one Linear(E, 3E) (same fan-in, so the bound is the same; stated for the reader).
    torch::NoGradGuard no_grad;
    const double bound = 1.0 / std::sqrt(static_cast<double>(e));
    in_proj->weight.uniform_(-bound, bound);
    in_proj->bias.uniform_(-bound, bound);
  }
  out_proj = register_module("out_proj", torch::nn::Linear(e, e));
}

torch::Tensor MultiheadAttentionImpl::forward(const torch::Tensor& query, const torch::Tensor& key,
                                              const torch::Tensor& value, const torch::Tensor& bias) {
  const int64_t e = options.embed_dim(), h = options.num_heads(), dh = e / h;
  check_shape(query, {-1, -1, e}, "attention query");
  check_shape(key, {query.size(0), -1, e}, "attention key");
  check_shape(value, {query.size(0), key.size(1), e}, "attention value");
  const int64_t b = query.size(0), lq = query.size(1), lk = key.size(1);
  // Every product below is one 2-D addmm or 3-D bmm: at batch 1 the cost is the number of
  // LibTorch calls, and a 3-D Linear or a 4-D matmul takes several (reshapes, copies, bias add).
  const auto& w = in_proj->weight;  // [3E, E]: rows [0, E) queries, [E, 2E) keys, [2E, 3E) values
  const auto& wb = in_proj->bias;   // [3E]
  auto project = [](const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias) {
    return torch::addmm(bias, x.reshape({-1, x.size(-1)}), weight.t());  // [B L, out]
  };
  // [B L, k E] -> k tensors [B H, L, Dh] (heads split off the feature axis, batch-major).
  auto heads = [&](const torch::Tensor& rows, int64_t len, int64_t k) {
    return rows.view({b, len, k, h, dh}).permute({2, 0, 3, 1, 4}).reshape({k, b * h, len, dh}).unbind(0);
  };
  torch::Tensor q, k, v;                           // [B H, L, Dh]
  if (query.is_same(key) && key.is_same(value)) {  // self-attention: one product
    auto qkv = heads(project(query, w, wb), lq, 3);
    q = qkv[0], k = qkv[1], v = qkv[2];
  } else {
    q = heads(project(query, w.narrow(0, 0, e), wb.narrow(0, 0, e)), lq, 1)[0];
    if (key.is_same(value)) {  // one memory: two products
      auto kv = heads(project(key, w.narrow(0, e, 2 * e), wb.narrow(0, e, 2 * e)), lk, 2);
      k = kv[0], v = kv[1];
    } else {
      k = heads(project(key, w.narrow(0, e, e), wb.narrow(0, e, e)), lk, 1)[0];
      v = heads(project(value, w.narrow(0, 2 * e, e), wb.narrow(0, 2 * e, e)), lk, 1)[0];
    }
  }
  // scores = Q K^T / sqrt(Dh) (+ bias), [B H, Lq, Lk]; the scale and the bias fused in baddbmm.
  const double scale = 1.0 / std::sqrt(static_cast<double>(dh));
  torch::Tensor scores;
  if (bias.defined()) {
    // bias broadcastable to [B, H, Lq, Lk] -> [B H, Lq, Lk]
    auto flat_bias = bias.dim() <= 2 ? bias : bias.expand({b, h, lq, lk}).reshape({b * h, lq, lk});
    scores = torch::baddbmm(flat_bias, q, k.transpose(1, 2), /*beta=*/1.0, /*alpha=*/scale);
  } else {
    scores = torch::bmm(q, k.transpose(1, 2)).mul_(scale);
  }
  if (is_training() && options.dropkey() > 0) {
    auto drop = torch::bernoulli(torch::full_like(scores, options.dropkey()));
    scores = scores - drop * 1e9;  // masked keys get ~zero weight; a fully masked row stays finite
  }
  auto weights = torch::softmax(scores, -1);
  if (is_training() && options.dropout() > 0) weights = torch::dropout(weights, options.dropout(), true);
  last_weights_ = weights.detach().view({b, h, lq, lk});
  // [B H, Lq, Dh] -> [B Lq, E] (heads back onto the feature axis) -> out_proj -> [B, Lq, E]
  auto out = torch::bmm(weights, v).view({b, h, lq, dh}).permute({0, 2, 1, 3}).reshape({b * lq, e});
  return torch::addmm(out_proj->bias, out, out_proj->weight.t()).view({b, lq, e});
}

// ---------------------------------------------------------------------------------------------
TransformerLayerImpl::TransformerLayerImpl(TransformerLayerOptions options_) : options(std::move(options_)) {
  reset();
}

void TransformerLayerImpl::reset() {
  const auto d = options.d_model();
  attention = register_module(
      "attention",
      MultiheadAttention(
          AttentionOptions(d, options.num_heads()).dropout(options.attention_dropout()).dropkey(options.dropkey())));
  ff1 = register_module("ff1", torch::nn::Linear(d, options.feedforward()));
  ff2 = register_module("ff2", torch::nn::Linear(options.feedforward(), d));
  norm1 = register_module("norm1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d})));
  norm2 = register_module("norm2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d})));
  dropout = register_module("dropout", torch::nn::Dropout(options.dropout()));
}

torch::Tensor TransformerLayerImpl::forward(const torch::Tensor& x) {
  check_shape(x, {-1, -1, options.d_model()}, "transformer input");
  // Position-wise FFN on the rows [B L, D] (2-D products: one addmm each).
  auto feedforward = [&](const torch::Tensor& z) {
    auto rows = z.reshape({-1, options.d_model()});
    return dropout(ff2(dropout(torch::gelu(ff1(rows))))).view(z.sizes());
  };
  if (options.norm_first()) {
    auto z = norm1(x);
    auto y = x + dropout(attention(z, z, z));
    return y + feedforward(norm2(y));
  }
  auto y = norm1(x + dropout(attention(x, x, x)));
  return norm2(y + feedforward(y));
}

}  // namespace emofuse::nn
