#include "models/helo/helo.h"

#include <cmath>
#include <optional>

#include "core/error.h"
#include "core/options.h"
#include "models/registry.h"
#include "ot/costs.h"
#include "ot/gromov_wasserstein.h"
#include "ot/sinkhorn.h"

namespace emofuse::models {
namespace {

// Pearson correlation matrix of the columns of `targets` [N, C] -> [C, C]. A constant column
// correlates 0 with the others (1 with itself).
torch::Tensor label_correlation_of(const torch::Tensor& targets) {
  auto t = targets.to(torch::kFloat32);
  auto centered = t - t.mean(0, true);
  auto cov = centered.t().matmul(centered) / std::max<int64_t>(t.size(0) - 1, 1);
  auto std = cov.diagonal().clamp_min(0).sqrt();
  auto denom = std.unsqueeze(1) * std.unsqueeze(0);
  auto r = torch::where(denom > 1e-12, cov / denom.clamp_min(1e-12), torch::zeros_like(cov));
  r.diagonal().fill_(1.0);
  return r.clamp(-1.0, 1.0);
}

}  // namespace

HeloOptions HeloOptions::from_yaml(const YAML::Node& node) {
  OptionReader r(node, "model.options");
  HeloOptions o;
  o.d_model(r.get<int64_t>("d_model", o.d_model()));
  o.heads(r.get<int64_t>("heads", o.heads()));
  o.anchor(r.get<std::string>("anchor", o.anchor()));
  o.anchor_tokens(r.get<int64_t>("anchor_tokens", o.anchor_tokens()));
  o.encoder_hidden(r.get<int64_t>("encoder_hidden", o.encoder_hidden()));
  o.behavioural_rank(r.get<int64_t>("behavioural_rank", o.behavioural_rank()));
  o.token_rank(r.get<int64_t>("token_rank", o.token_rank()));
  o.channel_tokens(r.get<bool>("channel_tokens", o.channel_tokens()));
  o.fusion(r.choice("fusion", o.fusion(), kFusionKinds));
  o.dropkey(r.get<double>("dropkey", o.dropkey()));
  o.dropkey_everywhere(r.get<bool>("dropkey_everywhere", o.dropkey_everywhere()));
  o.ot(r.choice("ot", o.ot(), kOtKinds));
  o.ot_align(r.choice("ot_align", o.ot_align(), kOtAligns));
  o.ot_threshold(r.get<double>("ot_threshold", o.ot_threshold()));
  o.gw_iterations(r.get<int64_t>("gw_iterations", o.gw_iterations()));
  o.ipot_iterations(r.get<int64_t>("ipot_iterations", o.ipot_iterations()));
  o.ot_lambda(r.get<double>("ot_lambda", o.ot_lambda()));
  o.sinkhorn_epsilon(r.get<double>("sinkhorn_epsilon", o.sinkhorn_epsilon()));
  o.sinkhorn_iterations(r.get<int64_t>("sinkhorn_iterations", o.sinkhorn_iterations()));
  o.encoder_layers(r.get<int64_t>("encoder_layers", o.encoder_layers()));
  o.feedforward(r.get<int64_t>("feedforward", o.feedforward()));
  o.dropout(r.get<double>("dropout", o.dropout()));
  o.attention_dropout(r.get<double>("attention_dropout", o.attention_dropout()));
  o.norm_first(r.get<bool>("norm_first", o.norm_first()));
  o.label_attention(r.get<bool>("label_attention", o.label_attention()));
  o.label_heads(r.get<int64_t>("label_heads", o.label_heads()));
  o.readout(r.choice("readout", o.readout(), kReadoutKinds));
  o.lambda_corr(r.get<double>("lambda_corr", o.lambda_corr()));
  o.correlation(r.choice("correlation", o.correlation(), kCorrelationSources));
  o.lambda_ot(r.get<double>("lambda_ot", o.lambda_ot()));
  r.finish();
  o.validate();
  return o;
}

void HeloOptions::validate() const {
  const HeloOptions& o = *this;
  const std::string p = "model.options.";
  require_option(o.d_model() >= 1 && o.heads() >= 1 && o.d_model() % o.heads() == 0, p + "d_model",
                 "must be a positive multiple of heads (" + std::to_string(o.heads()) + ")");
  require_option(o.anchor_tokens() >= 1, p + "anchor_tokens", "must be >= 1");
  require_option(o.encoder_hidden() >= 0, p + "encoder_hidden", "must be >= 0 (0 = linear encoders)");
  require_option(o.behavioural_rank() >= 0, p + "behavioural_rank", "must be >= 0 (0 = full projection)");
  require_option(o.token_rank() >= 0, p + "token_rank", "must be >= 0 (0 = one K x D output layer)");
  check_choice(o.fusion(), p + "fusion", kFusionKinds);
  require_option(o.dropkey() >= 0 && o.dropkey() < 1, p + "dropkey", "must be in [0, 1)");
  check_choice(o.ot(), p + "ot", kOtKinds);
  check_choice(o.ot_align(), p + "ot_align", kOtAligns);
  require_option(o.ot_threshold() >= 0 && o.ot_threshold() <= 1, p + "ot_threshold", "must be in [0, 1]");
  require_option(o.gw_iterations() >= 1, p + "gw_iterations", "must be >= 1");
  require_option(o.ipot_iterations() >= 1, p + "ipot_iterations", "must be >= 1");
  require_option(o.ot_lambda() > 0, p + "ot_lambda", "must be > 0");
  require_option(o.sinkhorn_epsilon() > 0, p + "sinkhorn_epsilon", "must be > 0");
  require_option(o.sinkhorn_iterations() >= 1, p + "sinkhorn_iterations", "must be >= 1");
  require_option(o.encoder_layers() >= 0, p + "encoder_layers", "must be >= 0");
  require_option(o.feedforward() >= 1, p + "feedforward", "must be >= 1");
  require_option(o.dropout() >= 0 && o.dropout() < 1, p + "dropout", "must be in [0, 1)");
  require_option(o.attention_dropout() >= 0 && o.attention_dropout() < 1, p + "attention_dropout", "must be in [0, 1)");
  require_option(o.label_heads() >= 0 && (o.label_heads() == 0 || o.d_model() % o.label_heads() == 0),
                 p + "label_heads",
                 "must be 0 (= heads) or a positive divisor of d_model (" + std::to_string(o.d_model()) + ")");
  check_choice(o.readout(), p + "readout", kReadoutKinds);
  require_option(o.lambda_corr() >= 0, p + "lambda_corr", "must be >= 0");
  check_choice(o.correlation(), p + "correlation", kCorrelationSources);
  require_option(o.lambda_ot() >= 0, p + "lambda_ot", "must be >= 0");
}

YAML::Node HeloOptions::to_yaml() const {
  YAML::Node y(YAML::NodeType::Map);
  y["d_model"] = d_model();
  y["heads"] = heads();
  y["anchor"] = anchor();
  y["anchor_tokens"] = anchor_tokens();
  y["encoder_hidden"] = encoder_hidden();
  y["behavioural_rank"] = behavioural_rank();
  y["token_rank"] = token_rank();
  y["channel_tokens"] = channel_tokens();
  y["fusion"] = choice_name(fusion(), kFusionKinds);
  y["dropkey"] = dropkey();
  y["dropkey_everywhere"] = dropkey_everywhere();
  y["ot"] = choice_name(ot(), kOtKinds);
  y["ot_align"] = choice_name(ot_align(), kOtAligns);
  y["ot_threshold"] = ot_threshold();
  y["gw_iterations"] = gw_iterations();
  y["ipot_iterations"] = ipot_iterations();
  y["ot_lambda"] = ot_lambda();
  y["sinkhorn_epsilon"] = sinkhorn_epsilon();
  y["sinkhorn_iterations"] = sinkhorn_iterations();
  y["encoder_layers"] = encoder_layers();
  y["feedforward"] = feedforward();
  y["dropout"] = dropout();
  y["attention_dropout"] = attention_dropout();
  y["norm_first"] = norm_first();
  y["label_attention"] = label_attention();
  y["label_heads"] = label_heads();
  y["readout"] = choice_name(readout(), kReadoutKinds);
  y["lambda_corr"] = lambda_corr();
  y["correlation"] = choice_name(correlation(), kCorrelationSources);
  y["lambda_ot"] = lambda_ot();
  return y;
}

HeloModel::HeloModel(const data::DatasetSchema& schema, HeloOptions options) : options_(std::move(options)) {
  options_.validate();  // the C++ API gets the same checks as a config file
  const int64_t d = options_.d_model();
  // DropKey of the shared transformer and the label attention (dropkey_everywhere).
  const double shared_dropkey = options_.dropkey_everywhere() ? options_.dropkey() : 0.0;
  num_classes_ = schema.num_classes();
  TORCH_CHECK(num_classes_ >= 2, "helo: needs at least 2 classes");
  std::vector<int64_t> physiological;
  for (size_t m = 0; m < schema.modalities.size(); ++m) {
    const auto& spec = schema.modalities[m];
    if (spec.role == data::ModalityRole::kPhysiological) {
      physiological.push_back(static_cast<int64_t>(m));
    } else if (spec.role == data::ModalityRole::kBehavioural) {
      behavioural_.push_back(static_cast<int64_t>(m));
    } else {
      throw OptionError("model.name", "helo fuses physiological and behavioural modalities; modality '" + spec.name +
                                          "' has role " + data::role_name(spec.role));
    }
  }
  if (physiological.empty()) throw OptionError("model.name", "helo needs at least one physiological modality");

  // 1. Anchor choice and encoders.
  if (!options_.anchor().empty()) {
    for (auto m : physiological) {
      if (schema.modalities[m].name == options_.anchor()) anchor_index_ = m;
    }
    if (anchor_index_ < 0) {
      std::string known;
      for (auto m : physiological) known += (known.empty() ? "" : ", ") + schema.modalities[m].name;
      throw OptionError("model.options.anchor",
                        "'" + options_.anchor() + "' is not a physiological modality; expected one of " + known);
    }
  } else {
    anchor_index_ = physiological.front();
    for (auto m : physiological) {
      if (schema.modalities[m].has_channels()) {
        anchor_index_ = m;
        break;
      }
    }
  }
  const auto& anchor = schema.modalities[anchor_index_];
  anchor_has_channels_ = anchor.has_channels() && options_.channel_tokens();
  // Linear (encoder_hidden = 0) or Linear -> GELU -> Dropout -> Linear encoders.
  auto encoder = [&](int64_t in, int64_t out) {
    return nn::Mlp(nn::MlpOptions(in, out)
                       .hidden(std::max<int64_t>(options_.encoder_hidden(), 1))
                       .layers(options_.encoder_hidden() > 0 ? 1 : 0)
                       .dropout(options_.dropout()));
  };
  // Token generator: K tokens as K D outputs, or as K r outputs and one shared Linear(r, D).
  const int64_t rank = options_.token_rank();
  const int64_t token_width = rank > 0 ? rank : d;
  auto token_up = [&](const std::string& name) {
    return rank > 0 ? register_module(name, torch::nn::Linear(rank, d)) : torch::nn::Linear(nullptr);
  };
  if (anchor_has_channels_) {
    tokens_ = anchor.shape[0];
    anchor_encoder = register_module("anchor_encoder", encoder(anchor.shape[1], d));
  } else {
    tokens_ = options_.anchor_tokens();
    anchor_encoder = register_module("anchor_encoder", encoder(anchor.numel(), tokens_ * token_width));
    anchor_token_up = token_up("anchor_token_up");
  }
  anchor_position_ = register_parameter("anchor_position", torch::randn({tokens_, d}) * 0.02);
  for (auto m : physiological) {
    if (m == anchor_index_) continue;
    other_phys_.push_back(m);
    const auto& spec = schema.modalities[m];
    other_encoders_.push_back(register_module("encoder_" + spec.name, encoder(spec.numel(), tokens_ * token_width)));
    other_token_up_.push_back(token_up("token_up_" + spec.name));
  }

  // 2. Physiological fusion.
  const int64_t others = static_cast<int64_t>(other_phys_.size());
  switch (options_.fusion()) {
    case FusionKind::kCrossAttention:
      for (int64_t i = 0; i < others; ++i) {
        const auto& name = schema.modalities[other_phys_[i]].name;
        cross_attention_.push_back(register_module("cross_attention_" + name,
                                                   nn::MultiheadAttention(nn::AttentionOptions(d, options_.heads())
                                                                              .dropkey(options_.dropkey())
                                                                              .dropout(options_.attention_dropout()))));
        cross_norms_.push_back(
            register_module("cross_norm_" + name, torch::nn::LayerNorm(torch::nn::LayerNormOptions({d}))));
      }
      phys_tokens_ = others > 0 ? others * tokens_ : tokens_;
      break;
    case FusionKind::kConcat:
      phys_tokens_ = (1 + others) * tokens_;
      break;
  }
  if (others > 0) {
    phys_projection = register_module("phys_projection", torch::nn::Linear(d, d));
    phys_norm = register_module("phys_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d})));
  }
  int64_t behavioural_width = 0;
  for (auto m : behavioural_) behavioural_width += schema.modalities[m].numel();
  if (!behavioural_.empty()) {
    int64_t width = behavioural_width;
    if (options_.behavioural_rank() > 0) {
      behav_bottleneck =
          register_module("behavioural_bottleneck", torch::nn::Linear(behavioural_width, options_.behavioural_rank()));
      width = options_.behavioural_rank();
    }
    behav_encoder = register_module("behavioural_encoder", torch::nn::Linear(width, phys_tokens_ * token_width));
    behav_token_up = token_up("behavioural_token_up");
    if (options_.ot() != OtKind::kNone) {
      align_norm = register_module("align_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d})));
    }
  }

  // 4. Shared transformer encoder and token-axis projection to C tokens.
  for (int64_t l = 0; l < options_.encoder_layers(); ++l) {
    encoder_.push_back(register_module("encoder_layer_" + std::to_string(l),
                                       nn::TransformerLayer(nn::TransformerLayerOptions(d, options_.heads())
                                                                .feedforward(options_.feedforward())
                                                                .dropout(options_.dropout())
                                                                .attention_dropout(options_.attention_dropout())
                                                                .dropkey(shared_dropkey)
                                                                .norm_first(options_.norm_first()))));
  }
  const int64_t total_tokens = phys_tokens_ * (behavioural_.empty() ? 1 : 2);
  token_projection = register_module("token_projection", torch::nn::Linear(total_tokens, num_classes_));

  // 5-7. Label embeddings, label-correlation attention, classifier.
  // Rows of norm ~1 (randn / sqrt(D)). The correlation loss sees only their directions (cosine
  // similarities), and its gradient scales as 1 / |e_c|: at the norm sqrt(D) of a plain randn
  // init the KL gradient through the attention queries dominated it and the alignment MSE stayed
  // at its initial value through training (docs/models/helo.md, "Label embeddings").
  label_embeddings_ = register_parameter("label_embeddings", torch::randn({num_classes_, d}) / std::sqrt(double(d)));
  if (options_.label_attention()) {
    const int64_t label_heads = options_.label_heads() > 0 ? options_.label_heads() : options_.heads();
    label_attention = register_module(
        "label_attention",
        nn::MultiheadAttention(
            nn::AttentionOptions(d, label_heads).dropout(options_.attention_dropout()).dropkey(shared_dropkey)));
    label_norm = register_module("label_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d})));
  }
  if (options_.readout() == ReadoutKind::kMlp) {
    // The reference code's classifier over all C tokens at once (two hidden layers of width D).
    readout_mlp = register_module(
        "readout_mlp", nn::Mlp(nn::MlpOptions(num_classes_ * d, num_classes_).hidden(d).layers(2).dropout(0.0)));
  } else if (options_.label_attention()) {
    classifier_weight_ =
        register_parameter("classifier_weight", torch::randn({num_classes_, d}) / std::sqrt(double(d)));
    classifier_bias_ = register_parameter("classifier_bias", torch::zeros({num_classes_}));
  } else {
    pooled_classifier = register_module("pooled_classifier", torch::nn::Linear(d, num_classes_));
  }
  label_correlation_ = register_buffer("label_correlation", torch::eye(num_classes_));
}

torch::Tensor HeloModel::label_similarity() const {
  auto e = torch::nn::functional::normalize(label_embeddings_, torch::nn::functional::NormalizeFuncOptions().dim(1));
  return e.matmul(e.t());  // [C, C]
}

torch::Tensor HeloModel::to_tokens(const torch::Tensor& flat, torch::nn::Linear& up, int64_t count) const {
  const int64_t b = flat.size(0), d = options_.d_model();
  if (!up) return flat.view({b, count, d});
  // Token k = U a_k + c with a_k the k-th r-slice of the encoder output: a rank-r factorisation
  // of the K D output layer whose factor U [D, r] all tokens share (one 2-D addmm for all).
  return up(flat.view({b * count, flat.size(1) / count})).view({b, count, d});
}

torch::Tensor HeloModel::encode_anchor(const torch::Tensor& x) {
  const int64_t b = x.size(0), d = options_.d_model();
  if (anchor_has_channels_) {
    // One encoder shared by every channel: [B, K, F] -> [B K, F] -> [B K, D] -> [B, K, D].
    return anchor_encoder(x.reshape({b * tokens_, x.size(2)})).view({b, tokens_, d}) + anchor_position_;
  }
  return to_tokens(anchor_encoder(x.flatten(1)), anchor_token_up, tokens_) + anchor_position_;
}

torch::Tensor HeloModel::align_with_ot(const torch::Tensor& phys, const torch::Tensor& behav, ModelOutput& out) {
  // phys, behav [B, n, D]; uniform marginals a = b = 1/n.
  const int64_t b = phys.size(0), n = phys.size(1);
  auto marginal = ot::uniform_marginal(b, n, phys.options());
  torch::Tensor plan, distance;
  switch (options_.ot()) {
    case OtKind::kGw: {
      // Intra-set cosine costs, thresholded as in the reference code, then entropic GW with an
      // IPOT inner solver; the plan is held fixed (no gradient through the solver) and the GW
      // distance carries gradients to both token sets. Without the distance in the loss
      // (lambda_ot = 0) only the fixed plan is used, so the costs are built without autograd.
      std::optional<torch::NoGradGuard> no_grad;
      if (options_.lambda_ot() == 0) no_grad.emplace();
      // Both streams have n tokens, so their two intra-set costs are computed as one batch [2B, n, n].
      auto both = torch::cat({phys, behav}, 0);  // [2B, n, D]
      auto costs =
          ot::threshold_cost(ot::cosine_cost(both, both), ot::ThresholdCostOptions().fraction(options_.ot_threshold()));
      auto c1 = costs.narrow(0, 0, b), c2 = costs.narrow(0, b, b);  // [B, n, n] each
      auto result = ot::entropic_gromov_wasserstein(c1, c2, marginal, marginal,
                                                    ot::GromovWassersteinOptions()
                                                        .regularization(options_.ot_lambda())
                                                        .outer_iterations(options_.gw_iterations())
                                                        .inner_iterations(options_.ipot_iterations())
                                                        .compute_distance(options_.lambda_ot() > 0)
                                                        .check_inputs(false));  // our own marginals
      plan = result.plan.detach();
      distance = result.distance;
      break;
    }
    case OtKind::kSinkhorn: {
      auto cost = ot::cosine_cost(phys, behav);
      auto result = ot::sinkhorn_log(cost, marginal, marginal,
                                     ot::SinkhornOptions()
                                         .epsilon(options_.sinkhorn_epsilon())
                                         .iterations(options_.sinkhorn_iterations())
                                         .tolerance(0)
                                         .differentiable(false));
      plan = result.plan;
      if (options_.lambda_ot() > 0) distance = (plan * cost).sum({1, 2});  // <T, C> at the fixed plan
      break;
    }
    case OtKind::kNone:
      TORCH_CHECK(false, "helo: align_with_ot called with ot = none");
  }
  out.extras["ot_plan"] = plan;
  if (distance.defined()) out.extras["ot_distance"] = distance;  // only when it enters the loss
  switch (options_.ot_align()) {
    case OtAlign::kPlanMultiply:
      return static_cast<double>(n) * plan.bmm(phys);  // reference code: T [B,n,n] x P [B,n,D]
    case OtAlign::kBarycentric:
      return align_norm(phys + ot::barycentric_projection(plan, behav));
  }
  throw OptionError("model.options.ot_align", "not a known alignment");  // unreachable after validate()
}

ModelOutput HeloModel::forward(const std::vector<torch::Tensor>& inputs) {
  const int64_t expected = static_cast<int64_t>(1 + other_phys_.size() + behavioural_.size());
  TORCH_CHECK(static_cast<int64_t>(inputs.size()) == expected, "helo: expected ", expected, " modality tensors, got ",
              inputs.size());
  const int64_t b = inputs[anchor_index_].size(0), d = options_.d_model();
  ModelOutput out;

  // 1-2. Physiological tokens P [B, n, D].
  auto anchor = encode_anchor(inputs[anchor_index_]);  // [B, K, D]
  std::vector<torch::Tensor> others;
  for (size_t i = 0; i < other_phys_.size(); ++i) {
    others.push_back(to_tokens(other_encoders_[i](inputs[other_phys_[i]].flatten(1)), other_token_up_[i], tokens_));
  }
  torch::Tensor phys;
  if (others.empty()) {
    phys = anchor;
  } else {
    std::vector<torch::Tensor> parts;
    switch (options_.fusion()) {
      case FusionKind::kCrossAttention:
        for (size_t i = 0; i < others.size(); ++i) {
          parts.push_back(cross_norms_[i](anchor + cross_attention_[i](anchor, others[i], others[i])));
        }
        break;
      case FusionKind::kConcat:
        parts.push_back(anchor);
        parts.insert(parts.end(), others.begin(), others.end());
        break;
    }
    phys = phys_norm(phys_projection(torch::cat(parts, 1)));  // [B, n, D]
  }

  // 3. Behavioural tokens V [B, n, D] and OT alignment.
  torch::Tensor behav;
  if (!behavioural_.empty()) {
    std::vector<torch::Tensor> flat;
    for (auto m : behavioural_) flat.push_back(inputs[m].flatten(1));
    auto x = flat.size() == 1 ? flat.front() : torch::cat(flat, 1);
    if (behav_bottleneck) {
      x = behav_bottleneck(x);
      if (options_.encoder_hidden() > 0) x = torch::dropout(torch::gelu(x), options_.dropout(), is_training());
    }
    behav = to_tokens(behav_encoder(x), behav_token_up, phys_tokens_);
    if (options_.ot() != OtKind::kNone) phys = align_with_ot(phys, behav, out);
  }

  // 4. Shared encoder on each stream, concatenation, token axis -> C tokens F [B, C, D].
  // The streams share the encoder's weights and have the same token count n, so they run as one
  // batch [2B, n, D] (one call per layer instead of two; the layer treats samples independently).
  if (!encoder_.empty()) {
    auto streams_batch = behav.defined() ? torch::cat({phys, behav}, 0) : phys;
    for (auto& layer : encoder_) streams_batch = layer(streams_batch);
    phys = streams_batch.narrow(0, 0, b);
    if (behav.defined()) behav = streams_batch.narrow(0, b, b);
  }
  auto tokens = behav.defined() ? torch::cat({phys, behav}, 1) : phys;    // [B, L, D]
  auto fused = token_projection(tokens.transpose(1, 2)).transpose(1, 2);  // [B, C, D]

  // 5-7. Label-correlation-driven cross-attention and classifier.
  auto similarity = label_similarity();  // [C, C]
  out.extras["label_similarity"] = similarity;
  auto label_tokens = fused;  // [B, C, D]
  if (options_.label_attention()) {
    auto queries = label_embeddings_.unsqueeze(0).expand({b, num_classes_, d});               // [B, C, D]
    label_tokens = label_norm(queries + label_attention(queries, fused, fused, similarity));  // H
  }
  torch::Tensor logits;  // [B, C]
  if (readout_mlp) {
    logits = readout_mlp(label_tokens.reshape({b, num_classes_ * d}));
  } else if (options_.label_attention()) {
    logits = (label_tokens * classifier_weight_).sum(-1) + classifier_bias_;
  } else {
    logits = pooled_classifier(fused.mean(1));
  }
  out.log_probs = torch::log_softmax(logits, 1);
  return out;
}

void HeloModel::prepare(const data::MultimodalDataset& train) {
  torch::NoGradGuard no_grad;
  label_correlation_.copy_(label_correlation_of(train.targets()).to(label_correlation_.options()));
}

LossTerms HeloModel::loss(const ModelOutput& output, const data::Batch& batch) {
  auto kl = kl_divergence_loss(output.log_probs, batch.targets);
  LossTerms terms{kl, {{"kl", kl.item<double>()}}};
  if (options_.label_attention() && options_.lambda_corr() > 0) {
    auto target =
        options_.correlation() == CorrelationSource::kBatch ? label_correlation_of(batch.targets) : label_correlation_;
    auto corr = torch::mse_loss(output.extras.at("label_similarity"), target.to(output.log_probs.options()));
    terms.total = terms.total + options_.lambda_corr() * corr;
    terms.parts["corr"] = corr.item<double>();
  }
  auto it = output.extras.find("ot_distance");
  if (it != output.extras.end() && options_.lambda_ot() > 0) {
    auto ot_term = it->second.mean();
    terms.total = terms.total + options_.lambda_ot() * ot_term;
    terms.parts["ot"] = ot_term.item<double>();
  }
  return terms;
}

void register_helo(std::vector<ModelEntry>& registry) {
  registry.push_back(
      {"helo", "HeLo: cross-attention + OT fusion with label-correlation attention (arXiv 2507.06821)",
       [](const YAML::Node& n) { HeloOptions::from_yaml(n); },
       [](const data::DatasetSchema& schema, const YAML::Node& node) -> std::unique_ptr<Estimator> {
         HeloOptions::from_yaml(node);
         return std::make_unique<DeepEstimator>(
             "helo", schema, node,
             [](const data::DatasetSchema& s, const YAML::Node& n) -> std::shared_ptr<DistributionModule> {
               return std::make_shared<HeloModel>(s, HeloOptions::from_yaml(n));
             });
       },
       [](const YAML::Node& n) { return HeloOptions::from_yaml(n).to_yaml(); }});
}

}  // namespace emofuse::models
