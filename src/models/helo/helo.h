// HeLo: Heterogeneous multi-modal fusion with Label correlation for emotion distribution
// learning (arXiv 2507.06821, ACM MM 2025). See docs/models/helo.md.
//
// Data flow for a batch (B samples, D = d_model, C emotions), DMER shapes in brackets:
//   1. encoders     anchor physiological modality -> tokens A [B, K, D]  (EEG [B,18,5] -> K = 18
//                   channel tokens; a modality without channels -> K = anchor_tokens learned
//                   tokens); every other physiological modality m -> X_m [B, K, D]
//   2. fusion       per m: Z_m = LN(A + MHA(q=A, k=v=X_m)) (DropKey in training only);
//                   P = Linear(cat_m Z_m) [B, n, D], n = (#others) K  ([B, 36, D]); with no other
//                   physiological modality P = A
//                   behavioural modality -> V [B, n, D]
//   3. OT           plan T [B, n, n] between P and V: entropic Gromov-Wasserstein on thresholded
//                   intra-set cosine costs (default) or log-domain Sinkhorn on the cross cosine
//                   cost; alignment P' = LN(P + T_rownorm V) (barycentric, default) or P' = n T P
//                   (the reference code's plan multiplication)
//   4. encoder      shared transformer layer on P' and on V; cat -> [B, 2n, D]; a linear map of
//                   the token axis 2n -> C gives F [B, C, D]
//   5. labels       learned label embeddings E [C, D]; S = cos(E_i, E_j) [C, C] is pulled towards
//                   the label correlation matrix R of the training targets (MSE)
//   6. label attn   H = LN(E + MHA(q=E, k=v=F, bias=S)) [B, C, D]
//   7. classifier   logits_c = <H_c, w_c> + b_c (readout per_class) or an MLP over the flattened
//                   H [B, C D] (readout mlp) -> log_softmax [B, C]
// Loss = KL(target || prediction) + lambda_corr MSE(S, R) + lambda_ot mean(OT distance).
#pragma once

#include <yaml-cpp/yaml.h>

#include <array>

#include "core/options.h"
#include "models/module.h"
#include "nn/layers.h"

namespace emofuse::models {

/// How the physiological token sets are fused (HeloOptions::fusion).
enum class FusionKind {
  kCrossAttention,  ///< "cross_attention": anchor queries attend to each other modality (paper)
  kConcat,          ///< "concat": the token sets concatenated (ablation)
};
inline constexpr std::array<Choice<FusionKind>, 2> kFusionKinds{
    {{"cross_attention", FusionKind::kCrossAttention}, {"concat", FusionKind::kConcat}}};

/// The transport plan between the physiological and behavioural tokens (HeloOptions::ot).
enum class OtKind {
  kGw,        ///< "gw": entropic Gromov-Wasserstein on intra-set costs (paper)
  kSinkhorn,  ///< "sinkhorn": entropic OT on the cross cosine cost
  kNone,      ///< "none": no alignment (ablation)
};
inline constexpr std::array<Choice<OtKind>, 3> kOtKinds{
    {{"gw", OtKind::kGw}, {"sinkhorn", OtKind::kSinkhorn}, {"none", OtKind::kNone}}};

/// How the plan aligns the physiological tokens (HeloOptions::ot_align).
enum class OtAlign {
  kBarycentric,   ///< "barycentric": P' = LN(P + T_rownorm V)
  kPlanMultiply,  ///< "plan_multiply": P' = n T P (the public reference code)
};
inline constexpr std::array<Choice<OtAlign>, 2> kOtAligns{
    {{"barycentric", OtAlign::kBarycentric}, {"plan_multiply", OtAlign::kPlanMultiply}}};

/// How the C label tokens become C logits (HeloOptions::readout).
enum class ReadoutKind {
  kPerClass,  ///< "per_class": logit_c = <H_c, w_c> + b_c
  kMlp,       ///< "mlp": an MLP over the flattened tokens (the public reference code)
};
inline constexpr std::array<Choice<ReadoutKind>, 2> kReadoutKinds{
    {{"per_class", ReadoutKind::kPerClass}, {"mlp", ReadoutKind::kMlp}}};

/// Where the label correlation matrix R comes from (HeloOptions::correlation).
enum class CorrelationSource {
  kDataset,  ///< "dataset": all training targets, computed once
  kBatch,    ///< "batch": the targets of each batch
};
inline constexpr std::array<Choice<CorrelationSource>, 2> kCorrelationSources{
    {{"dataset", CorrelationSource::kDataset}, {"batch", CorrelationSource::kBatch}}};

struct HeloOptions {
  /// Token width D.
  TORCH_ARG(int64_t, d_model) = 128;
  /// Attention heads in every attention block.
  TORCH_ARG(int64_t, heads) = 4;
  /// Anchor (query) physiological modality; "" = the first physiological modality with channel
  /// structure, else the first physiological modality.
  TORCH_ARG(std::string, anchor) = "";
  /// Tokens K for an anchor without channel structure (e.g. WESAD EDA features).
  TORCH_ARG(int64_t, anchor_tokens) = 8;
  /// Hidden width h of the modality encoders (0 = linear encoders, as the public reference code).
  /// h > 0: each encoder is Linear -> GELU -> Dropout -> Linear (the EEG channel encoder per
  /// channel: F_band -> h -> D; other modalities F_m -> h -> K D (or K r, see token_rank); the
  /// behavioural one F_b -> r_b -> GELU -> n D through its rank-r_b bottleneck).
  TORCH_ARG(int64_t, encoder_hidden) = 128;
  /// Rank r of the behavioural projection F_b -> r -> n D (0 = one full F_b x n D matrix). The
  /// full matrix for DMER video (768 x 36*128, 14 MB) is memory-bound at batch 1; r = 128 keeps
  /// 2.7 MB and the same token count.
  TORCH_ARG(int64_t, behavioural_rank) = 128;
  /// Rank r of each token generator: a modality without channel structure becomes K tokens as
  /// F_m -> (encoder) -> K r -> the same Linear(r, D) for every token, instead of one output
  /// layer with K D columns (0 = that full layer, the reference code's). Same for the
  /// behavioural n tokens. For DMER, r = 16 keeps 39 k weights instead of 297 k (GSR, PPG each)
  /// and 77 k instead of 594 k (video): the batch-1 forward pass reads ~4 MB less.
  TORCH_ARG(int64_t, token_rank) = 16;
  /// true: an anchor with channel structure (EEG [18, 5]) gets one token per channel from one
  /// shared channel encoder (paper). false: it is flattened and tokenised like any other
  /// modality into anchor_tokens tokens (ablation: does the channel structure help?).
  TORCH_ARG(bool, channel_tokens) = true;
  /// kCrossAttention (paper) or kConcat (ablation: concatenate the physiological token sets).
  TORCH_ARG(FusionKind, fusion) = FusionKind::kCrossAttention;
  /// DropKey mask ratio in the physiological cross-attention (training only).
  TORCH_ARG(double, dropkey) = 0.5;
  /// false: DropKey in the physiological cross-attention only (the paper); true: also in the
  /// shared transformer and the label attention (the public reference code masks keys in every
  /// attention block).
  TORCH_ARG(bool, dropkey_everywhere) = false;
  /// kGw (entropic Gromov-Wasserstein, paper), kSinkhorn (entropic OT on the cross cosine cost)
  /// or kNone (ablation).
  TORCH_ARG(OtKind, ot) = OtKind::kGw;
  /// kBarycentric (P + T V, carries behavioural information to physiological positions) or
  /// kPlanMultiply (P' = n T P, as the public reference code).
  TORCH_ARG(OtAlign, ot_align) = OtAlign::kBarycentric;
  /// GW: cost threshold fraction (cost - (min + f (max - min)), ReLU) of the reference code.
  TORCH_ARG(double, ot_threshold) = 0.1;
  /// GW outer iterations; inner IPOT iterations; regularisation lambda (IPOT beta).
  TORCH_ARG(int64_t, gw_iterations) = 5;
  TORCH_ARG(int64_t, ipot_iterations) = 20;
  TORCH_ARG(double, ot_lambda) = 0.1;
  /// Sinkhorn variant: epsilon and iterations.
  TORCH_ARG(double, sinkhorn_epsilon) = 0.1;
  TORCH_ARG(int64_t, sinkhorn_iterations) = 50;
  /// Shared transformer encoder: layers, feed-forward width.
  TORCH_ARG(int64_t, encoder_layers) = 1;
  TORCH_ARG(int64_t, feedforward) = 64;
  /// Dropout in the encoders and the shared transformer (training only).
  TORCH_ARG(double, dropout) = 0.2;
  /// Dropout on the attention weights of every attention block (physiological cross-attention,
  /// shared transformer, label attention; training only). The public reference code drops
  /// attention weights at its `dropout` rate (0.5).
  TORCH_ARG(double, attention_dropout) = 0.0;
  /// Shared encoder layer norm placement: false = post-norm (the reference code's
  /// nn.TransformerEncoderLayer default), true = pre-norm.
  TORCH_ARG(bool, norm_first) = true;
  /// Label-correlation-driven cross-attention; false = mean-pooled linear classifier (ablation;
  /// the correlation loss is then off, as the label embeddings would be unused).
  TORCH_ARG(bool, label_attention) = true;
  /// Attention heads in the label-correlation attention (0 = `heads`; the public reference code
  /// uses 1).
  TORCH_ARG(int64_t, label_heads) = 0;
  /// How the C label tokens H [B, C, D] become C logits:
  ///   "per_class": logit_c = <H_c, w_c> + b_c, each class read from its own token (C (D + 1)
  ///                weights; a class can see the others only through the attention);
  ///   "mlp":       the public reference code's classifier, an MLP over the flattened tokens,
  ///                C D -> D -> D -> C with two GELU hidden layers, which can mix classes
  ///                (C D^2 + D^2 + D C weights: 180 k for DMER's C = 10, D = 128).
  /// Without label attention, "mlp" reads the C fused tokens F the same way.
  TORCH_ARG(ReadoutKind, readout) = ReadoutKind::kPerClass;
  /// Weight of the correlation-alignment MSE (0 disables it).
  TORCH_ARG(double, lambda_corr) = 1.0;
  /// kDataset (R from all training targets, computed once) or kBatch (R from each batch).
  TORCH_ARG(CorrelationSource, correlation) = CorrelationSource::kDataset;
  /// Weight of the OT distance in the loss (0 = not added).
  TORCH_ARG(double, lambda_ot) = 0.0;

 public:
  /// Reads and validates "model.options"; unknown keys, misspelt choices and out-of-range values
  /// throw OptionError.
  static HeloOptions from_yaml(const YAML::Node& node);
  /// Every option by its key, as from_yaml reads them (choices by name).
  YAML::Node to_yaml() const;
  /// Throws OptionError naming the first invalid option ("model.options.dropkey": must be in
  /// [0, 1)). Called by from_yaml and by HeloModel's constructor.
  void validate() const;
};

class HeloModel : public DistributionModule {
 public:
  HeloModel(const data::DatasetSchema& schema, HeloOptions options);

  /// inputs: one tensor per schema modality, [B, ...]. Returns log_probs [B, C] and extras
  /// "label_similarity" [C, C] (S) and, with OT, "ot_plan" [B, n, n] and (when lambda_ot > 0)
  /// "ot_distance" [B].
  ModelOutput forward(const std::vector<torch::Tensor>& inputs) override;
  /// Computes the label correlation matrix R [C, C] of the training targets (Pearson).
  void prepare(const data::MultimodalDataset& train) override;
  LossTerms loss(const ModelOutput& output, const data::Batch& batch) override;

  /// Learned label embeddings E [C, D].
  const torch::Tensor& label_embeddings() const { return label_embeddings_; }
  /// R [C, C] from prepare().
  const torch::Tensor& label_correlation() const { return label_correlation_; }
  /// Cosine-similarity matrix S [C, C] of the label embeddings.
  torch::Tensor label_similarity() const;
  const HeloOptions& options() const { return options_; }

  /// The layout the constructor chose from the schema (read by HeloInference): the anchor's schema
  /// index, the other physiological modalities in fusion order, the behavioural ones; K tokens
  /// per physiological modality, n physiological tokens after fusion, and whether the anchor has
  /// one token per channel.
  int64_t anchor_index() const { return anchor_index_; }
  const std::vector<int64_t>& other_physiological() const { return other_phys_; }
  const std::vector<int64_t>& behavioural() const { return behavioural_; }
  int64_t tokens() const { return tokens_; }
  int64_t physiological_tokens() const { return phys_tokens_; }
  bool anchor_has_channels() const { return anchor_has_channels_; }
  int64_t num_classes() const { return num_classes_; }

 private:
  torch::Tensor encode_anchor(const torch::Tensor& x);  // -> [B, K, D]
  // [B, K r] (or [B, K D] without `up`) -> [B, K, D].
  torch::Tensor to_tokens(const torch::Tensor& flat, torch::nn::Linear& up, int64_t count) const;
  torch::Tensor align_with_ot(const torch::Tensor& phys, const torch::Tensor& behav, ModelOutput& out);

  HeloOptions options_;
  int64_t num_classes_ = 0, tokens_ = 0, phys_tokens_ = 0;
  int64_t anchor_index_ = -1;
  bool anchor_has_channels_ = false;
  std::vector<int64_t> other_phys_;   // schema indices of the other physiological modalities
  std::vector<int64_t> behavioural_;  // schema indices of the behavioural modalities

  nn::Mlp anchor_encoder{nullptr};                 // channels: F -> D per channel; else F -> K D (or K r)
  torch::nn::Linear anchor_token_up{nullptr};      // r -> D (token_rank > 0, anchor without channels)
  std::vector<torch::nn::Linear> other_token_up_;  // r -> D per other modality (token_rank > 0)
  torch::nn::Linear behav_token_up{nullptr};       // r -> D (token_rank > 0)
  torch::Tensor anchor_position_;                  // [K, D] learned token/channel embedding
  std::vector<nn::Mlp> other_encoders_;            // F_m -> K D (or K r)
  std::vector<nn::MultiheadAttention> cross_attention_;
  std::vector<torch::nn::LayerNorm> cross_norms_;
  torch::nn::Linear phys_projection{nullptr};  // D -> D after concatenation
  torch::nn::LayerNorm phys_norm{nullptr};
  torch::nn::Linear behav_bottleneck{nullptr};  // F_b -> r (behavioural_rank > 0)
  torch::nn::Linear behav_encoder{nullptr};     // r (or F_b) -> n D
  torch::nn::LayerNorm align_norm{nullptr};
  std::vector<nn::TransformerLayer> encoder_;
  torch::nn::Linear token_projection{nullptr};  // token axis (n or 2n) -> C
  torch::Tensor label_embeddings_;              // [C, D] parameter
  nn::MultiheadAttention label_attention{nullptr};
  torch::nn::LayerNorm label_norm{nullptr};
  torch::Tensor classifier_weight_, classifier_bias_;  // [C, D], [C]
  torch::nn::Linear pooled_classifier{nullptr};        // label_attention = false: D -> C
  nn::Mlp readout_mlp{nullptr};                        // readout = mlp: C D -> D -> D -> C
  torch::Tensor label_correlation_;                    // [C, C] buffer
};

}  // namespace emofuse::models
