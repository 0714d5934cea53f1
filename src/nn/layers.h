// Shared neural building blocks, batch-first throughout ([B, L, E]); LibTorch 1.13's own
// MultiheadAttention is sequence-first and has no DropKey or additive bias, so we write ours.
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

namespace emofuse::nn {

// ---------------------------------------------------------------------------------------------
struct MlpOptions {
  MlpOptions(int64_t in_features, int64_t out_features) : in_features_(in_features), out_features_(out_features) {}
  TORCH_ARG(int64_t, in_features);
  TORCH_ARG(int64_t, out_features);
  /// Width of every hidden layer.
  TORCH_ARG(int64_t, hidden) = 256;
  /// Number of hidden layers (0 = a single linear map).
  TORCH_ARG(int64_t, layers) = 2;
  /// Dropout after each hidden activation (training only).
  TORCH_ARG(double, dropout) = 0.2;
};

/// Linear -> GELU -> Dropout, `layers` times, then a linear output layer. [B, in] -> [B, out].
class MlpImpl : public torch::nn::Cloneable<MlpImpl> {
 public:
  explicit MlpImpl(MlpOptions options);
  void reset() override;
  torch::Tensor forward(const torch::Tensor& x);
  MlpOptions options;

 private:
  torch::nn::Sequential layers_{nullptr};
};
TORCH_MODULE(Mlp);

// ---------------------------------------------------------------------------------------------
struct AttentionOptions {
  AttentionOptions(int64_t embed_dim, int64_t num_heads) : embed_dim_(embed_dim), num_heads_(num_heads) {}
  TORCH_ARG(int64_t, embed_dim);
  TORCH_ARG(int64_t, num_heads);
  /// DropKey (Li et al., "DropKey for Vision Transformer", CVPR 2023): in training, each
  /// attention logit is masked to -1e9 with this probability before the softmax, so the softmax
  /// renormalises over the kept keys. Off in eval() (the public HeLo code leaves it on).
  TORCH_ARG(double, dropkey) = 0.0;
  /// Dropout on the attention weights (training only).
  TORCH_ARG(double, dropout) = 0.0;
};

/// Multi-head scaled dot-product attention, batch-first:
///   query [B, Lq, E], key/value [B, Lk, E], optional additive bias broadcastable to
///   [B, H, Lq, Lk] -> output [B, Lq, E]; attention weights [B, H, Lq, Lk] in last_weights().
/// softmax(Q K^T / sqrt(E/H) + bias) V per head (Vaswani et al. 2017, Eq. 1).
/// The q/k/v projections are one [3E, E] matrix (as torch.nn.MultiheadAttention's in_proj): one
/// matrix product when query, key and value are the same tensor, two when key is value.
class MultiheadAttentionImpl : public torch::nn::Cloneable<MultiheadAttentionImpl> {
 public:
  explicit MultiheadAttentionImpl(AttentionOptions options);
  void reset() override;
  torch::Tensor forward(const torch::Tensor& query, const torch::Tensor& key, const torch::Tensor& value,
                        const torch::Tensor& bias = {});
  /// Weights of the last forward call [B, H, Lq, Lk] (detached).
  const torch::Tensor& last_weights() const { return last_weights_; }
  AttentionOptions options;

 private:
  torch::nn::Linear in_proj{nullptr};  // E -> 3E: rows [0, E) queries, [E, 2E) keys, [2E, 3E) values
  torch::nn::Linear out_proj{nullptr};
  torch::Tensor last_weights_;
};
TORCH_MODULE(MultiheadAttention);

// ---------------------------------------------------------------------------------------------
struct TransformerLayerOptions {
  TransformerLayerOptions(int64_t d_model, int64_t num_heads) : d_model_(d_model), num_heads_(num_heads) {}
  TORCH_ARG(int64_t, d_model);
  TORCH_ARG(int64_t, num_heads);
  /// Hidden width of the position-wise feed-forward network (GELU).
  TORCH_ARG(int64_t, feedforward) = 64;
  TORCH_ARG(double, dropout) = 0.1;
  /// Dropout on the self-attention weights (training only; AttentionOptions::dropout).
  TORCH_ARG(double, attention_dropout) = 0.0;
  /// DropKey mask ratio of the self-attention (training only; AttentionOptions::dropkey).
  TORCH_ARG(double, dropkey) = 0.0;
  /// false: post-norm (torch.nn.TransformerEncoderLayer's default); true: pre-norm (Xiong et al.
  /// 2020, "On Layer Normalization in the Transformer Architecture"), whose residual stream is
  /// never normalised, so a token keeps its magnitude.
  TORCH_ARG(bool, norm_first) = false;
};

/// Transformer encoder layer (as torch.nn.TransformerEncoderLayer), [B, L, D] -> [B, L, D]:
///   post-norm: x = LN(x + Dropout(SelfAttention(x))); x = LN(x + Dropout(FFN(x)))
///   pre-norm:  x = x + Dropout(SelfAttention(LN(x))); x = x + Dropout(FFN(LN(x)))
class TransformerLayerImpl : public torch::nn::Cloneable<TransformerLayerImpl> {
 public:
  explicit TransformerLayerImpl(TransformerLayerOptions options);
  void reset() override;
  torch::Tensor forward(const torch::Tensor& x);
  TransformerLayerOptions options;

 private:
  MultiheadAttention attention{nullptr};
  torch::nn::Linear ff1{nullptr}, ff2{nullptr};
  torch::nn::LayerNorm norm1{nullptr}, norm2{nullptr};
  torch::nn::Dropout dropout{nullptr};
};
TORCH_MODULE(TransformerLayer);

/// Checks `x` has rank `rank` and the given trailing sizes (-1 = any); `what` names it.
void check_shape(const torch::Tensor& x, const std::vector<int64_t>& expected, const char* what);

}  // namespace emofuse::nn
