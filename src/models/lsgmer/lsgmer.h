// LSGMER: Label Signal-Guided Multimodal Emotion Recognition.
// Shao, Yu & Wang, "Leveraging Label Potential for Enhanced Multimodal Emotion Recognition",
// arXiv 2504.05158 (2025). See docs/models/lsgmer.md for the equations and the shapes chosen
// where the paper leaves them open.
//
// Per modality m (text, audio):  H0_m [B, D] utterance feature before the contextual encoder,
// H1_m [B, T, D] encoder states.  Label Signal Enhancement (paper Sec. II-B):
//   H2_m = Attention(L, H1_m, H1_m)                [B, C, D]  (one query per emotion)
//   w_m  = sigmoid(H2_m);  H_m = w_m * H0_m + H2_m  [B, C, D]  (H0_m broadcast over C)
//   h_m  = mean over C of H_m                       [B, D]
// Fusion: fused = ReLU(Linear([h_text, h_audio])) [B, D]; log p = log_softmax(Linear(fused)).
// Joint Objective (Sec. II-C): CE(target, p) + apc_weight * JS(p || q),
//   q = softmax(cos(fused, L_c) / apc_temperature) over the C label embeddings.
// After every optimizer step: L <- a L + (1 - a) L', L' = class prototypes of `fused` in the
// batch (target-weighted means; classes absent from the batch keep their embedding).
#pragma once

#include <yaml-cpp/yaml.h>

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "core/options.h"
#include "data/dataset.h"
#include "models/module.h"

namespace emofuse::models::lsgmer {

// ---------------------------------------------------------------------------------------------
// Building blocks

/// Options of LabelAttention.
struct LabelAttentionOptions {
  LabelAttentionOptions(int64_t embed_dim, int64_t num_heads) : embed_dim_(embed_dim), num_heads_(num_heads) {}
  /// Model width D (queries, keys and values all have it).
  TORCH_ARG(int64_t, embed_dim);
  /// Attention heads; must divide embed_dim.
  TORCH_ARG(int64_t, num_heads);
  /// Dropout on the attention weights (training only).
  TORCH_ARG(double, dropout) = 0.0;
};

/// Batch-first multi-head scaled dot-product attention (Vaswani et al. 2017) with learned
/// q/k/v/output projections and a key padding mask. Written here because LibTorch 1.13's
/// MultiheadAttention is [L, N, E] only.
class LabelAttentionImpl : public torch::nn::Cloneable<LabelAttentionImpl> {
 public:
  explicit LabelAttentionImpl(const LabelAttentionOptions& options);
  void reset() override;
  /// queries [B, Lq, D], keys/values [B, Lk, D], key_mask [B, Lk] bool (true = real position;
  /// undefined = all real) -> [B, Lq, D]. A row whose keys are all masked attends uniformly.
  torch::Tensor forward(const torch::Tensor& queries, const torch::Tensor& keys, const torch::Tensor& values,
                        const torch::Tensor& key_mask = {});
  /// Attention weights of the last forward, [B, heads, Lq, Lk] (detached; for tests and plots).
  const torch::Tensor& last_weights() const { return last_weights_; }

  LabelAttentionOptions options;
  torch::nn::Linear q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr}, out_proj{nullptr};

 private:
  torch::Tensor last_weights_;
};
TORCH_MODULE(LabelAttention);

/// What a modality encoder produces.
struct EncodedModality {
  torch::Tensor h0;    ///< [B, D] utterance feature before the contextual encoder (paper's H0)
  torch::Tensor h1;    ///< [B, T, D] encoder states (paper's H1)
  torch::Tensor mask;  ///< [B, T] bool, true = real position
};

/// Options of ModalityEncoder. Exactly one input kind: token ids (vocab_size > 0), a feature
/// vector per utterance (feature_dim > 0, sequence = false) or a frame sequence (feature_dim > 0,
/// sequence = true).
struct ModalityEncoderOptions {
  explicit ModalityEncoderOptions(int64_t d_model) : d_model_(d_model) {}
  /// Output width D (even: the BiGRU has D/2 units per direction).
  TORCH_ARG(int64_t, d_model);
  /// Token vocabulary (ids [B, L], 0 = padding); 0 = input is float features.
  TORCH_ARG(int64_t, vocab_size) = 0;
  /// Token embedding width E (token input only).
  TORCH_ARG(int64_t, embedding_dim) = 128;
  /// Float feature width F (feature input only).
  TORCH_ARG(int64_t, feature_dim) = 0;
  /// Float input is a frame sequence [B, T, F] instead of one vector [B, F].
  TORCH_ARG(bool, sequence) = false;
  /// A vector input [B, F] is expanded into this many learned "pseudo-frames" [B, K, D] so that
  /// the label queries have several states to attend over.
  TORCH_ARG(int64_t, vector_tokens) = 4;
  /// Dropout on the encoder input (training only).
  TORCH_ARG(double, dropout) = 0.1;
};

/// Token ids or features -> (H0, H1, mask). Sequences: H0 = masked mean of the projected inputs,
/// H1 = BiGRU states (packed, so padding never enters the recurrence). Vectors: H0 =
/// Linear(F, D)(x), H1 = LayerNorm(ReLU(Linear(F, K D)(x))) viewed as [B, K, D].
class ModalityEncoderImpl : public torch::nn::Cloneable<ModalityEncoderImpl> {
 public:
  explicit ModalityEncoderImpl(const ModalityEncoderOptions& options);
  void reset() override;
  /// x: int64 ids [B, L] | float [B, F] | float [B, T, F] (per options). Token rows are padded
  /// at the end; h1 and mask cover the batch's longest row only ([B, L'], L' <= L).
  EncodedModality forward(const torch::Tensor& x);

  ModalityEncoderOptions options;
  torch::nn::Embedding embedding{nullptr};
  torch::nn::Linear input_proj{nullptr};  // E or F -> D (H0)
  torch::nn::GRU gru{nullptr};            // sequences only
  torch::nn::Linear token_proj{nullptr};  // vectors only: F -> K D
  torch::nn::LayerNorm token_norm{nullptr};
  torch::nn::Dropout dropout{nullptr};
};
TORCH_MODULE(ModalityEncoder);

// ---------------------------------------------------------------------------------------------
// Loss pieces (free functions so that tests can check them on constructed inputs)

/// Jensen-Shannon divergence JS(p || q) = KL(p || m)/2 + KL(q || m)/2, m = (p + q)/2, from
/// log-probabilities [B, C]; averaged over the batch. In [0, log 2].
torch::Tensor js_divergence(const torch::Tensor& log_p, const torch::Tensor& log_q);

/// log q, q = softmax_c(cos(features_b, labels_c) / temperature): features [B, D], labels [C, D]
/// -> [B, C] (paper Eq. for s(H_i, L_j) and q_i).
torch::Tensor label_similarity_log_probs(const torch::Tensor& features, const torch::Tensor& labels,
                                         double temperature);

/// One moving-average step L_t = a L_{t-1} + (1 - a) L'_{t-1} (paper Sec. II-B): labels [C, D],
/// features [B, D], weights [B, C] (targets; one-hot for hard labels), decay a in [0, 1).
/// L'_c = sum_b w_bc f_b / sum_b w_bc; rows of classes with sum_b w_bc = 0 are returned unchanged.
torch::Tensor ema_label_update(const torch::Tensor& labels, const torch::Tensor& features, const torch::Tensor& weights,
                               double decay);

// ---------------------------------------------------------------------------------------------
// The model

struct LsgmerOptions {
  explicit LsgmerOptions(int64_t num_classes) : num_classes_(num_classes) {}
  /// Number of emotions C.
  TORCH_ARG(int64_t, num_classes);
  /// Index of the text input in forward()'s vector; -1 = no text.
  TORCH_ARG(int64_t, text_index) = -1;
  /// Index of the audio input in forward()'s vector; -1 = no audio.
  TORCH_ARG(int64_t, audio_index) = -1;
  /// Total number of inputs forward() receives (the dataset's modalities, used or not).
  TORCH_ARG(int64_t, num_inputs) = 0;
  /// Text token vocabulary (text given as ids); 0 = text is a float feature vector.
  TORCH_ARG(int64_t, vocab_size) = 0;
  /// Width of precomputed text features (when vocab_size = 0).
  TORCH_ARG(int64_t, text_feature_dim) = 0;
  /// Width of an audio feature vector [F] or frame [T, F].
  TORCH_ARG(int64_t, audio_feature_dim) = 0;
  /// Audio input is a frame sequence [B, T, F].
  TORCH_ARG(bool, audio_sequence) = false;
  /// Token embedding width.
  TORCH_ARG(int64_t, embedding_dim) = 128;
  /// Model width D (label embeddings are [C, D]); even (the BiGRU halves it) and a multiple of
  /// heads.
  TORCH_ARG(int64_t, d_model) = 128;
  /// Heads of the label attention.
  TORCH_ARG(int64_t, heads) = 4;
  /// Pseudo-frames for vector inputs (see ModalityEncoderOptions::vector_tokens).
  TORCH_ARG(int64_t, vector_tokens) = 4;
  /// Dropout (encoders, attention weights, fusion).
  TORCH_ARG(double, dropout) = 0.1;
  /// Label Signal Enhancement on (ablation: off = masked mean of H1 per modality).
  TORCH_ARG(bool, label_enhancement) = true;
  /// Attribution-Prediction Consistency term on.
  TORCH_ARG(bool, apc) = true;
  /// Weight of the APC term in the joint objective.
  TORCH_ARG(double, apc_weight) = 0.5;
  /// Temperature of the similarity softmax (1 = the paper's plain softmax over cosines).
  TORCH_ARG(double, apc_temperature) = 1.0;
  /// Moving-average update of the label embeddings after each step.
  TORCH_ARG(bool, label_ema) = true;
  /// a in L_t = a L_{t-1} + (1 - a) L'_{t-1}; in [0, 1).
  TORCH_ARG(double, ema_decay) = 0.9;

 public:
  /// Throws OptionError naming the first invalid option among those a config sets
  /// ("model.options.ema_decay': must be in [0, 1)"). Called by lsgmer_config_from_yaml and by
  /// Lsgmer's constructor.
  void validate() const;
};

/// The LSGMER model. Derives from DistributionModule (a plain torch::nn::Module), so it does not
/// also derive from Cloneable; its blocks do.
class Lsgmer : public DistributionModule {
 public:
  explicit Lsgmer(const LsgmerOptions& options);
  /// (Re)creates every parameter and submodule.
  void reset();

  /// inputs: one tensor per dataset modality ([B, L] int64 ids for token text, [B, F] or
  /// [B, T, F] float otherwise). Returns log_probs [B, C] and extras "fused" [B, D] and
  /// "similarity_log_probs" [B, C] (log q of the APC term).
  ModelOutput forward(const std::vector<torch::Tensor>& inputs) override;
  /// Checks that the training set's token ids fit the vocabulary.
  void prepare(const data::MultimodalDataset& train) override;
  /// CE(targets, p) + apc_weight * JS(p || q); parts "ce", "apc".
  LossTerms loss(const ModelOutput& output, const data::Batch& batch) override;
  /// Moving-average update of the label embeddings from the step's fused features.
  void after_step(const ModelOutput& output, const data::Batch& batch) override;
  bool updates_after_step() const override { return true; }

  const LsgmerOptions& options() const { return options_; }
  /// Label embeddings L [C, D].
  const torch::Tensor& label_embeddings() const { return label_embeddings_; }

 private:
  /// h_m [B, D] of one modality (with or without Label Signal Enhancement).
  torch::Tensor modality_vector(const EncodedModality& encoded, LabelAttention& attention);

  LsgmerOptions options_;
  torch::Tensor label_embeddings_;  // [C, D] parameter
  ModalityEncoder text_encoder_{nullptr}, audio_encoder_{nullptr};
  LabelAttention text_attention_{nullptr}, audio_attention_{nullptr};
  torch::nn::Linear fusion_{nullptr};
  torch::nn::Dropout fusion_dropout_{nullptr};
  torch::nn::Linear classifier_{nullptr};
};

/// Prefix of option names in errors ("model.options.ema_decay").
inline constexpr const char* kOptionPrefix = "model.options";

/// How the text modality is given (LsgmerConfig::text_input).
enum class TextInput {
  kTokens,    ///< "tokens": int64 token ids [L]
  kFeatures,  ///< "features": float vectors [F] (e.g. precomputed embeddings)
};
inline constexpr std::array<Choice<TextInput>, 2> kTextInputs{
    {{"tokens", TextInput::kTokens}, {"features", TextInput::kFeatures}}};

/// Which of the dataset's modalities the model reads (LsgmerConfig::modalities).
enum class ModalitySelection {
  kAuto,   ///< "auto": text and audio, whichever the dataset has
  kBoth,   ///< "both": text and audio, both required
  kText,   ///< "text": text only
  kAudio,  ///< "audio": audio only
};
inline constexpr std::array<Choice<ModalitySelection>, 4> kModalitySelections{{{"auto", ModalitySelection::kAuto},
                                                                               {"both", ModalitySelection::kBoth},
                                                                               {"text", ModalitySelection::kText},
                                                                               {"audio", ModalitySelection::kAudio}}};

/// What the YAML options say, read and range-checked without a dataset.
struct LsgmerConfig {
  LsgmerOptions model{2};     ///< num_classes and the input routing are set by make_lsgmer
  int64_t vocab_size = 4000;  ///< used when text_input = kTokens
  TextInput text_input = TextInput::kTokens;
  ModalitySelection modalities = ModalitySelection::kAuto;
  /// Every YAML option by its key, as lsgmer_config_from_yaml reads them (not the routing fields
  /// of `model` that make_lsgmer sets from the dataset).
  YAML::Node to_yaml() const;
};

/// Reads and validates make_lsgmer's options (for the registry's validate_options): unknown keys
/// -> OptionError("model.options.<key>", "unknown option; known: ..."), wrong types and ranges
/// -> OptionError naming the key ("model.options.ema_decay': must be in [0, 1)").
LsgmerConfig lsgmer_config_from_yaml(const YAML::Node& node);

}  // namespace emofuse::models::lsgmer

namespace emofuse::models {

/// Builds LSGMER for `schema` from a YAML map of options (null = all defaults). Every key is
/// validated before anything is built: unknown keys -> OptionError(key, "unknown option; known:
/// ..."), bad types and ranges -> OptionError naming the key. Keys: d_model (128),
/// embedding_dim (128), heads (4), vector_tokens (4), dropout (0.1), vocab_size (4000; must
/// cover the tokenizer), text_input ("tokens" | "features"), modalities ("auto" | "both" |
/// "text" | "audio"), label_enhancement (true), apc (true), apc_weight (0.5),
/// apc_temperature (1.0), label_ema (true), ema_decay (0.9).
std::shared_ptr<DistributionModule> make_lsgmer(const data::DatasetSchema& schema, const YAML::Node& options);

}  // namespace emofuse::models
