#include "models/lsgmer/lsgmer.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.h"
#include "core/options.h"

namespace emofuse::models::lsgmer {

namespace F = torch::nn::functional;

// ---------------------------------------------------------------------------------------------
// LabelAttention

LabelAttentionImpl::LabelAttentionImpl(const LabelAttentionOptions& options_) : options(options_) {
  reset();
}

void LabelAttentionImpl::reset() {
  TORCH_CHECK(options.embed_dim() > 0, "LabelAttention: embed_dim must be > 0, got ", options.embed_dim());
  TORCH_CHECK(options.num_heads() > 0 && options.embed_dim() % options.num_heads() == 0, "LabelAttention: num_heads (",
              options.num_heads(), ") must divide embed_dim (", options.embed_dim(), ")");
  const int64_t d = options.embed_dim();
  q_proj = register_module("q_proj", torch::nn::Linear(d, d));
  k_proj = register_module("k_proj", torch::nn::Linear(d, d));
  v_proj = register_module("v_proj", torch::nn::Linear(d, d));
  out_proj = register_module("out_proj", torch::nn::Linear(d, d));
}

torch::Tensor LabelAttentionImpl::forward(const torch::Tensor& queries, const torch::Tensor& keys,
                                          const torch::Tensor& values, const torch::Tensor& key_mask) {
  const int64_t d = options.embed_dim(), heads = options.num_heads(), dh = d / heads;
  TORCH_CHECK(queries.dim() == 3 && queries.size(2) == d, "LabelAttention: queries must be [B, Lq, ", d, "], got ",
              queries.sizes());
  TORCH_CHECK(keys.dim() == 3 && keys.size(2) == d && keys.size(0) == queries.size(0),
              "LabelAttention: keys must be [B, Lk, ", d, "], got ", keys.sizes());
  TORCH_CHECK(values.sizes() == keys.sizes(), "LabelAttention: values ", values.sizes(), " must match keys ",
              keys.sizes());
  const int64_t b = queries.size(0), lq = queries.size(1), lk = keys.size(1);
  // Split heads: [B, L, D] -> [B, L, H, dh] -> [B, H, L, dh].
  auto q = q_proj(queries).view({b, lq, heads, dh}).transpose(1, 2);
  auto k = k_proj(keys).view({b, lk, heads, dh}).transpose(1, 2);
  auto v = v_proj(values).view({b, lk, heads, dh}).transpose(1, 2);
  auto scores = torch::matmul(q, k.transpose(-2, -1)) / std::sqrt(static_cast<double>(dh));
  if (key_mask.defined()) {
    TORCH_CHECK(key_mask.dim() == 2 && key_mask.size(0) == b && key_mask.size(1) == lk,
                "LabelAttention: key_mask must be [B, Lk] = [", b, ", ", lk, "], got ", key_mask.sizes());
    auto mask = key_mask.to(torch::kBool);
    auto masked = scores.masked_fill(mask.logical_not().view({b, 1, 1, lk}), -std::numeric_limits<float>::infinity());
    // A row with no real key (an empty utterance) would give 0/0: it attends uniformly instead.
    auto all_pad = mask.logical_not().all(1).view({b, 1, 1, 1});
    scores = torch::where(all_pad, torch::zeros_like(scores), masked);
  }
  auto weights = torch::softmax(scores, -1);  // [B, H, Lq, Lk]
  last_weights_ = weights.detach();
  if (is_training() && options.dropout() > 0) {
    weights = F::dropout(weights, F::DropoutFuncOptions().p(options.dropout()).training(true));
  }
  auto out = torch::matmul(weights, v);                     // [B, H, Lq, dh]
  out = out.transpose(1, 2).contiguous().view({b, lq, d});  // merge heads
  return out_proj(out);
}

// ---------------------------------------------------------------------------------------------
// ModalityEncoder

ModalityEncoderImpl::ModalityEncoderImpl(const ModalityEncoderOptions& options_) : options(options_) {
  reset();
}

void ModalityEncoderImpl::reset() {
  const int64_t d = options.d_model();
  TORCH_CHECK(d >= 2 && d % 2 == 0, "ModalityEncoder: d_model must be even and >= 2, got ", d);
  TORCH_CHECK((options.vocab_size() > 0) != (options.feature_dim() > 0),
              "ModalityEncoder: set exactly one of vocab_size (", options.vocab_size(), ") and feature_dim (",
              options.feature_dim(), ")");
  dropout = register_module("dropout", torch::nn::Dropout(options.dropout()));
  const bool tokens = options.vocab_size() > 0;
  if (tokens || options.sequence()) {
    int64_t in = options.feature_dim();
    if (tokens) {
      TORCH_CHECK(options.embedding_dim() > 0, "ModalityEncoder: embedding_dim must be > 0");
      embedding = register_module(
          "embedding", torch::nn::Embedding(
                           torch::nn::EmbeddingOptions(options.vocab_size(), options.embedding_dim()).padding_idx(0)));
      in = options.embedding_dim();
    }
    input_proj = register_module("input_proj", torch::nn::Linear(in, d));
    gru =
        register_module("gru", torch::nn::GRU(torch::nn::GRUOptions(in, d / 2).batch_first(true).bidirectional(true)));
  } else {
    TORCH_CHECK(options.vector_tokens() >= 1, "ModalityEncoder: vector_tokens must be >= 1, got ",
                options.vector_tokens());
    input_proj = register_module("input_proj", torch::nn::Linear(options.feature_dim(), d));
    token_proj = register_module("token_proj", torch::nn::Linear(options.feature_dim(), options.vector_tokens() * d));
    token_norm = register_module("token_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d})));
  }
}

EncodedModality ModalityEncoderImpl::forward(const torch::Tensor& x) {
  const int64_t d = options.d_model();
  EncodedModality out;
  if (options.vocab_size() > 0) {
    TORCH_CHECK(x.dim() == 2 && !x.is_floating_point(), "ModalityEncoder: token input must be integer ids [B, L], got ",
                x.scalar_type(), " ", x.sizes());
    auto ids = x.to(torch::kLong);
    TORCH_CHECK(
        ids.numel() == 0 || (ids.min().item<int64_t>() >= 0 && ids.max().item<int64_t>() < options.vocab_size()),
        "ModalityEncoder: token ids must lie in [0, vocab_size = ", options.vocab_size(),
        "); raise vocab_size to the tokenizer's vocabulary size");
    // Rows are padded at the end (text/tokenizer.h), so the columns after the batch's longest
    // row hold only padding: drop them (L' <= L) so that neither the embedding nor the attention
    // pays for padding. Results are unchanged (padding is masked everywhere).
    if (ids.size(1) > 1 && ids.numel() > 0) {
      const int64_t longest = ids.ne(0).sum(1).max().item<int64_t>();
      ids = ids.narrow(1, 0, std::max<int64_t>(longest, 1));
    }
    out.mask = ids.ne(0);              // [B, L']
    auto e = dropout(embedding(ids));  // [B, L, E]
    auto mask_f = out.mask.unsqueeze(2).to(e.dtype());
    auto lengths = out.mask.sum(1).clamp_min(1);  // [B]; an empty utterance keeps 1 (pad) step
    out.h0 = (input_proj(e) * mask_f).sum(1) / lengths.unsqueeze(1).to(e.dtype());  // [B, D]
    auto packed = torch::nn::utils::rnn::pack_padded_sequence(e, lengths.cpu(),
                                                              /*batch_first=*/true,
                                                              /*enforce_sorted=*/false);
    auto states = std::get<0>(gru->forward_with_packed_input(packed));
    out.h1 = std::get<0>(torch::nn::utils::rnn::pad_packed_sequence(states, /*batch_first=*/true, /*padding_value=*/0.0,
                                                                    /*total_length=*/ids.size(1)));
    return out;  // h1 [B, L', D]
  }
  TORCH_CHECK(x.is_floating_point(), "ModalityEncoder: feature input must be float, got ", x.scalar_type());
  if (options.sequence()) {
    TORCH_CHECK(x.dim() == 3 && x.size(2) == options.feature_dim(), "ModalityEncoder: frame input must be [B, T, ",
                options.feature_dim(), "], got ", x.sizes());
    auto e = dropout(x);
    out.mask = torch::ones({x.size(0), x.size(1)}, x.options().dtype(torch::kBool));
    out.h0 = input_proj(e).mean(1);         // [B, D]
    out.h1 = std::get<0>(gru->forward(e));  // [B, T, D]
    return out;
  }
  TORCH_CHECK(x.dim() == 2 && x.size(1) == options.feature_dim(), "ModalityEncoder: vector input must be [B, ",
              options.feature_dim(), "], got ", x.sizes());
  auto e = dropout(x);
  out.h0 = input_proj(e);  // [B, D]
  const int64_t k = options.vector_tokens();
  out.h1 = token_norm(torch::relu(token_proj(e)).view({x.size(0), k, d}));  // [B, K, D]
  out.mask = torch::ones({x.size(0), k}, x.options().dtype(torch::kBool));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Loss pieces

torch::Tensor js_divergence(const torch::Tensor& log_p, const torch::Tensor& log_q) {
  TORCH_CHECK(log_p.dim() == 2 && log_p.sizes() == log_q.sizes(),
              "js_divergence: log_p and log_q must both be [B, C], got ", log_p.sizes(), " and ", log_q.sizes());
  // log m = log((p + q) / 2) = logsumexp(log p, log q) - log 2, stable for tiny probabilities.
  auto log_m = torch::logsumexp(torch::stack({log_p, log_q}), 0) - std::log(2.0);
  auto p = log_p.exp(), q = log_q.exp();
  // p (log p - log m) with 0 log 0 = 0.
  auto kl_pm = torch::where(p > 0, p * (log_p - log_m), torch::zeros_like(p)).sum(1);
  auto kl_qm = torch::where(q > 0, q * (log_q - log_m), torch::zeros_like(q)).sum(1);
  return (0.5 * (kl_pm + kl_qm)).mean();
}

torch::Tensor label_similarity_log_probs(const torch::Tensor& features, const torch::Tensor& labels,
                                         double temperature) {
  TORCH_CHECK(features.dim() == 2 && labels.dim() == 2 && features.size(1) == labels.size(1),
              "label_similarity_log_probs: features [B, D] and labels [C, D] expected, got ", features.sizes(), " and ",
              labels.sizes());
  TORCH_CHECK(temperature > 0, "label_similarity_log_probs: temperature must be > 0, got ", temperature);
  // s(H_i, L_j) = H_i . L_j / (|H_i| |L_j|)
  auto cos = torch::matmul(F::normalize(features, F::NormalizeFuncOptions().dim(1).eps(1e-8)),
                           F::normalize(labels, F::NormalizeFuncOptions().dim(1).eps(1e-8)).t());
  return torch::log_softmax(cos / temperature, 1);  // [B, C]
}

torch::Tensor ema_label_update(const torch::Tensor& labels, const torch::Tensor& features, const torch::Tensor& weights,
                               double decay) {
  TORCH_CHECK(labels.dim() == 2 && features.dim() == 2 && weights.dim() == 2,
              "ema_label_update: labels [C, D], features [B, D], weights [B, C] expected");
  TORCH_CHECK(
      features.size(1) == labels.size(1) && weights.size(0) == features.size(0) && weights.size(1) == labels.size(0),
      "ema_label_update: shapes disagree: labels ", labels.sizes(), ", features ", features.sizes(), ", weights ",
      weights.sizes());
  TORCH_CHECK(decay >= 0 && decay < 1, "ema_label_update: decay must be in [0, 1), got ", decay);
  auto w = weights.to(features.dtype());
  auto mass = w.sum(0);                                                                   // [C]
  auto prototypes = torch::matmul(w.t(), features) / mass.clamp_min(1e-12).unsqueeze(1);  // L' [C, D]
  auto updated = decay * labels + (1.0 - decay) * prototypes;                             // L_t = a L + (1 - a) L'
  return torch::where((mass > 0).unsqueeze(1), updated, labels);
}

// ---------------------------------------------------------------------------------------------
// Lsgmer

void LsgmerOptions::validate() const {
  const auto name = [](const char* key) { return std::string(kOptionPrefix) + "." + key; };
  require_option(d_model() >= 2 && d_model() % 2 == 0, name("d_model"),
                 "must be even and >= 2, got " + std::to_string(d_model()));
  require_option(heads() >= 1, name("heads"), "must be >= 1");
  require_option(d_model() % heads() == 0, name("heads"),
                 "must divide d_model (" + std::to_string(d_model()) + "), got " + std::to_string(heads()));
  require_option(embedding_dim() >= 1, name("embedding_dim"), "must be >= 1");
  require_option(vector_tokens() >= 1, name("vector_tokens"), "must be >= 1");
  require_option(dropout() >= 0 && dropout() < 1, name("dropout"), "must be in [0, 1)");
  require_option(apc_weight() >= 0, name("apc_weight"), "must be >= 0");
  require_option(apc_temperature() > 0, name("apc_temperature"), "must be > 0");
  require_option(ema_decay() >= 0 && ema_decay() < 1, name("ema_decay"), "must be in [0, 1)");
}

Lsgmer::Lsgmer(const LsgmerOptions& options) : options_(options) {
  options_.validate();  // the C++ API gets the same checks as a config file
  reset();
}

void Lsgmer::reset() {
  const auto& o = options_;
  TORCH_CHECK(o.num_classes() >= 2, "Lsgmer: num_classes must be >= 2, got ", o.num_classes());
  TORCH_CHECK(o.text_index() >= 0 || o.audio_index() >= 0, "Lsgmer: needs a text or an audio input");
  TORCH_CHECK(o.text_index() < o.num_inputs() && o.audio_index() < o.num_inputs(), "Lsgmer: text_index ",
              o.text_index(), " / audio_index ", o.audio_index(), " outside num_inputs ", o.num_inputs());
  TORCH_CHECK(o.ema_decay() >= 0 && o.ema_decay() < 1, "Lsgmer: ema_decay must be in [0, 1), got ", o.ema_decay());
  TORCH_CHECK(o.apc_temperature() > 0, "Lsgmer: apc_temperature must be > 0");
  const int64_t d = o.d_model();
  // Label embeddings L [C, D], rows of norm ~1.
  label_embeddings_ =
      register_parameter("label_embeddings", torch::randn({o.num_classes(), d}) / std::sqrt(static_cast<double>(d)));
  int64_t used = 0;
  if (o.text_index() >= 0) {
    auto eo = ModalityEncoderOptions(d).dropout(o.dropout()).vector_tokens(o.vector_tokens());
    if (o.vocab_size() > 0) {
      eo.vocab_size(o.vocab_size()).embedding_dim(o.embedding_dim());
    } else {
      TORCH_CHECK(o.text_feature_dim() > 0, "Lsgmer: text needs vocab_size or text_feature_dim");
      eo.feature_dim(o.text_feature_dim());
    }
    text_encoder_ = register_module("text_encoder", ModalityEncoder(eo));
    text_attention_ =
        register_module("text_attention", LabelAttention(LabelAttentionOptions(d, o.heads()).dropout(o.dropout())));
    ++used;
  }
  if (o.audio_index() >= 0) {
    TORCH_CHECK(o.audio_feature_dim() > 0, "Lsgmer: audio needs audio_feature_dim > 0");
    audio_encoder_ = register_module("audio_encoder", ModalityEncoder(ModalityEncoderOptions(d)
                                                                          .feature_dim(o.audio_feature_dim())
                                                                          .sequence(o.audio_sequence())
                                                                          .vector_tokens(o.vector_tokens())
                                                                          .dropout(o.dropout())));
    audio_attention_ =
        register_module("audio_attention", LabelAttention(LabelAttentionOptions(d, o.heads()).dropout(o.dropout())));
    ++used;
  }
  fusion_ = register_module("fusion", torch::nn::Linear(used * d, d));
  fusion_dropout_ = register_module("fusion_dropout", torch::nn::Dropout(o.dropout()));
  classifier_ = register_module("classifier", torch::nn::Linear(d, o.num_classes()));
}

torch::Tensor Lsgmer::modality_vector(const EncodedModality& encoded, LabelAttention& attention) {
  if (!options_.label_enhancement()) {  // ablation: masked mean of the encoder states
    auto m = encoded.mask.unsqueeze(2).to(encoded.h1.dtype());
    return (encoded.h1 * m).sum(1) / m.sum(1).clamp_min(1.0);  // [B, D]
  }
  const int64_t b = encoded.h1.size(0);
  auto queries = label_embeddings_.unsqueeze(0).expand({b, -1, -1});   // L [B, C, D]
  auto h2 = attention(queries, encoded.h1, encoded.h1, encoded.mask);  // H2 [B, C, D]
  auto w = torch::sigmoid(h2);                                         // w = sigmoid(H2)
  auto h = w * encoded.h0.unsqueeze(1) + h2;                           // H = w * H0 + H2
  return h.mean(1);                                                    // [B, D]
}

ModelOutput Lsgmer::forward(const std::vector<torch::Tensor>& inputs) {
  TORCH_CHECK(static_cast<int64_t>(inputs.size()) == options_.num_inputs(), "Lsgmer: expected ", options_.num_inputs(),
              " inputs (one per dataset modality), got ", inputs.size());
  std::vector<torch::Tensor> parts;
  if (options_.text_index() >= 0) {
    parts.push_back(modality_vector(text_encoder_(inputs[options_.text_index()]), text_attention_));
  }
  if (options_.audio_index() >= 0) {
    parts.push_back(modality_vector(audio_encoder_(inputs[options_.audio_index()]), audio_attention_));
  }
  auto fused = fusion_dropout_(torch::relu(fusion_(torch::cat(parts, 1))));  // [B, D]
  ModelOutput out;
  out.log_probs = torch::log_softmax(classifier_(fused), 1);  // [B, C]
  out.extras["fused"] = fused;
  out.extras["similarity_log_probs"] = label_similarity_log_probs(fused, label_embeddings_, options_.apc_temperature());
  return out;
}

void Lsgmer::prepare(const data::MultimodalDataset& train) {
  TORCH_CHECK(train.num_modalities() == options_.num_inputs(), "Lsgmer: built for ", options_.num_inputs(),
              " modalities, training set has ", train.num_modalities());
  if (options_.text_index() >= 0 && options_.vocab_size() > 0 && train.size() > 0) {
    const auto max_id = train.features(options_.text_index()).max().item<int64_t>();
    require_option(max_id < options_.vocab_size(), "vocab_size",
                   "training data has token id " + std::to_string(max_id) + " but vocab_size is " +
                       std::to_string(options_.vocab_size()) + "; set it to the tokenizer's vocabulary size");
  }
}

LossTerms Lsgmer::loss(const ModelOutput& output, const data::Batch& batch) {
  const auto& log_p = output.log_probs;
  TORCH_CHECK(batch.targets.sizes() == log_p.sizes(), "Lsgmer::loss: targets ", batch.targets.sizes(),
              " do not match predictions ", log_p.sizes());
  // Cross-entropy against the target distribution (one-hot for MELD): -sum_c t_c log p_c.
  auto ce = -(batch.targets.to(log_p.dtype()) * log_p).sum(1).mean();
  LossTerms terms{ce, {{"ce", ce.item<double>()}}};
  if (options_.apc()) {
    auto it = output.extras.find("similarity_log_probs");
    TORCH_CHECK(it != output.extras.end(), "Lsgmer::loss: output lacks 'similarity_log_probs'");
    auto apc = js_divergence(log_p, it->second);
    terms.total = terms.total + options_.apc_weight() * apc;
    terms.parts["apc"] = apc.item<double>();
  }
  return terms;
}

void Lsgmer::after_step(const ModelOutput& output, const data::Batch& batch) {
  if (!options_.label_ema()) return;
  torch::NoGradGuard no_grad;
  auto it = output.extras.find("fused");
  TORCH_CHECK(it != output.extras.end(), "Lsgmer::after_step: output lacks 'fused'");
  auto updated = ema_label_update(label_embeddings_.detach(), it->second.detach(),
                                  batch.targets.to(it->second.device()), options_.ema_decay());
  label_embeddings_.copy_(updated);
}

// ---------------------------------------------------------------------------------------------
// Factory

namespace {

std::string describe_modalities(const data::DatasetSchema& schema) {
  std::string s;
  for (const auto& m : schema.modalities) {
    s += (s.empty() ? "" : ", ") + m.name + " (" + data::role_name(m.role) + ")";
  }
  return s.empty() ? "none" : s;
}

}  // namespace

LsgmerConfig lsgmer_config_from_yaml(const YAML::Node& node) {
  OptionReader r(node, kOptionPrefix);
  LsgmerConfig c;
  auto& o = c.model;
  r.renamed("hidden_dim", "d_model");
  r.renamed("num_heads", "heads");
  o.d_model(r.get<int64_t>("d_model", o.d_model()));
  o.embedding_dim(r.get<int64_t>("embedding_dim", o.embedding_dim()));
  o.heads(r.get<int64_t>("heads", o.heads()));
  o.vector_tokens(r.get<int64_t>("vector_tokens", o.vector_tokens()));
  o.dropout(r.get<double>("dropout", o.dropout()));
  o.label_enhancement(r.get<bool>("label_enhancement", o.label_enhancement()));
  o.apc(r.get<bool>("apc", o.apc()));
  o.apc_weight(r.get<double>("apc_weight", o.apc_weight()));
  o.apc_temperature(r.get<double>("apc_temperature", o.apc_temperature()));
  o.label_ema(r.get<bool>("label_ema", o.label_ema()));
  o.ema_decay(r.get<double>("ema_decay", o.ema_decay()));
  c.vocab_size = r.get<int64_t>("vocab_size", c.vocab_size);
  c.text_input = r.choice("text_input", c.text_input, kTextInputs);
  c.modalities = r.choice("modalities", c.modalities, kModalitySelections);
  r.finish();  // unknown keys

  o.validate();
  require_option(c.vocab_size >= 3, r.full("vocab_size"), "must be >= 3 (<pad>, <unk>, <sep>)");
  return c;
}

YAML::Node LsgmerConfig::to_yaml() const {
  YAML::Node y(YAML::NodeType::Map);
  y["d_model"] = model.d_model();
  y["embedding_dim"] = model.embedding_dim();
  y["heads"] = model.heads();
  y["vector_tokens"] = model.vector_tokens();
  y["dropout"] = model.dropout();
  y["label_enhancement"] = model.label_enhancement();
  y["apc"] = model.apc();
  y["apc_weight"] = model.apc_weight();
  y["apc_temperature"] = model.apc_temperature();
  y["label_ema"] = model.label_ema();
  y["ema_decay"] = model.ema_decay();
  y["vocab_size"] = vocab_size;
  y["text_input"] = choice_name(text_input, kTextInputs);
  y["modalities"] = choice_name(modalities, kModalitySelections);
  return y;
}

}  // namespace emofuse::models::lsgmer

namespace emofuse::models {

std::shared_ptr<DistributionModule> make_lsgmer(const data::DatasetSchema& schema, const YAML::Node& options) {
  using namespace lsgmer;
  // 1. Keys and values, before anything is built.
  const LsgmerConfig c = lsgmer_config_from_yaml(options);
  const std::string prefix = std::string(kOptionPrefix) + ".";
  require_option(schema.num_classes() >= 2, "lsgmer", "the dataset needs at least 2 classes");

  // 2. Route the dataset's modalities.
  int64_t text_index = -1, audio_index = -1;
  for (size_t m = 0; m < schema.modalities.size(); ++m) {
    const auto role = schema.modalities[m].role;
    if (role == data::ModalityRole::kText && text_index < 0) text_index = static_cast<int64_t>(m);
    if (role == data::ModalityRole::kAudio && audio_index < 0) audio_index = static_cast<int64_t>(m);
  }
  const auto use = c.modalities;
  const std::string use_name = choice_name(use, kModalitySelections);
  const bool need_text = use == ModalitySelection::kBoth || use == ModalitySelection::kText;
  const bool need_audio = use == ModalitySelection::kBoth || use == ModalitySelection::kAudio;
  require_option(!need_text || text_index >= 0, prefix + "modalities",
                 "'" + use_name + "' needs a modality with role text; the dataset has: " + describe_modalities(schema));
  require_option(
      !need_audio || audio_index >= 0, prefix + "modalities",
      "'" + use_name + "' needs a modality with role audio; the dataset has: " + describe_modalities(schema));
  if (use == ModalitySelection::kAudio) text_index = -1;
  if (use == ModalitySelection::kText) audio_index = -1;
  require_option(text_index >= 0 || audio_index >= 0, prefix + "modalities",
                 "no text or audio modality to use; the dataset has: " + describe_modalities(schema));

  LsgmerOptions o = c.model;
  o.num_classes(schema.num_classes())
      .num_inputs(static_cast<int64_t>(schema.modalities.size()))
      .text_index(text_index)
      .audio_index(audio_index);
  if (text_index >= 0) {
    const auto& spec = schema.modalities[text_index];
    require_option(spec.shape.size() == 1, prefix + "text_input",
                   "modality '" + spec.name +
                       "' must hold one row per utterance ([L] ids or [F] "
                       "features), got " +
                       std::to_string(spec.shape.size()) + " dimensions");
    switch (c.text_input) {
      case TextInput::kTokens:
        o.vocab_size(c.vocab_size);
        break;
      case TextInput::kFeatures:
        o.text_feature_dim(spec.shape[0]);
        break;
    }
  }
  if (audio_index >= 0) {
    const auto& spec = schema.modalities[audio_index];
    require_option(spec.shape.size() == 1 || spec.shape.size() == 2, prefix + "modalities",
                   "audio modality '" + spec.name + "' must be [F] or [T, F] per utterance");
    o.audio_feature_dim(spec.shape.back()).audio_sequence(spec.shape.size() == 2);
  }
  return std::make_shared<Lsgmer>(o);
}

}  // namespace emofuse::models
