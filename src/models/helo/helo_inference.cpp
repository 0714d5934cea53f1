#include "models/helo/helo_inference.h"

#include <ATen/Parallel.h>
#include <dlfcn.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>

#include "core/error.h"
#include "ot/costs.h"
#include "ot/gromov_wasserstein.h"

namespace emofuse::models {
namespace {

using Dense = HeloInference::Dense;
using Norm = HeloInference::Norm;
using Attention = HeloInference::Attention;
using Mlp = HeloInference::Mlp;
using Floats = std::vector<float>;

// The BLAS sgemm that LibTorch itself calls: libblas.so.3, which Debian's alternatives point at
// OpenBLAS (install_deps.sh). It is looked up in the running process instead of being linked, so
// the products here run in exactly LibTorch's BLAS whatever libblas.so a linker would find.
using FortranSgemm = void (*)(const char* transa, const char* transb, const int* m, const int* n, const int* k,
                              const float* alpha, const float* a, const int* lda, const float* b, const int* ldb,
                              const float* beta, float* c, const int* ldc);
FortranSgemm blas_sgemm() {
  static const auto function = reinterpret_cast<FortranSgemm>(dlsym(RTLD_DEFAULT, "sgemm_"));
  return function;
}

// Row-major C [M, N] = alpha op(A) op(B) + beta C. BLAS is column-major, where a row-major
// matrix reads as its transpose: C^T = op(B)^T op(A)^T, so A and B swap places and keep their
// transpose flags.
void gemm(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
          const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  if (auto sgemm = blas_sgemm()) {
    const char ta = transpose_b ? 'T' : 'N', tb = transpose_a ? 'T' : 'N';
    const int mi = int(n), ni = int(m), ki = int(k), la = int(ldb), lb = int(lda), lc = int(ldc);
    sgemm(&ta, &tb, &mi, &ni, &ki, &alpha, b, &la, a, &lb, &beta, c, &lc);
    return;
  }
  // No BLAS symbol in the process (a LibTorch built without BLAS): the same product through ATen.
  auto matrix = [](const float* p, int64_t rows, int64_t cols, int64_t ld, bool transpose) {
    auto t = torch::from_blob(const_cast<float*>(p), {transpose ? cols : rows, transpose ? rows : cols}, {ld, 1});
    return transpose ? t.t() : t;
  };
  auto product = torch::mm(matrix(a, m, k, lda, transpose_a), matrix(b, k, n, ldb, transpose_b));
  auto out = torch::from_blob(c, {m, n}, {ldc, 1});
  if (beta == 0.0f) {
    out.copy_(product.mul_(alpha));
  } else {
    out.mul_(beta).add_(product, alpha);
  }
}

// y [rows, out] = x [rows, in] W^T + b for the weights W [out, in], b [out] (pointers into a
// larger matrix are fine: the q/k/v blocks of an attention's in_proj).
void affine(const float* x, int64_t rows, int64_t in, const float* weight, const float* bias, int64_t out, float* y) {
  for (int64_t r = 0; r < rows; ++r) std::copy(bias, bias + out, y + r * out);
  gemm(false, true, rows, out, in, 1.0f, x, in, weight, in, 1.0f, y, out);
}

void linear(const Dense& layer, const float* x, int64_t rows, Floats& y) {
  y.resize(static_cast<size_t>(rows * layer.out));
  affine(x, rows, layer.in, layer.weight.data(), layer.bias.data(), layer.out, y.data());
}

// GELU with the exact erf form (torch::gelu's default): x Phi(x) = x (1 + erf(x / sqrt 2)) / 2.
void gelu(Floats& x) {
  for (auto& v : x) v = 0.5f * v * (1.0f + std::erf(v * static_cast<float>(M_SQRT1_2)));
}

// LayerNorm of each row of x [rows, D] in place: (x - mean) / sqrt(var + 1e-5) * w + b (biased
// variance, as torch::nn::LayerNorm).
void layer_norm(const Norm& norm, float* x, int64_t rows) {
  const auto d = static_cast<int64_t>(norm.weight.size());
  for (int64_t r = 0; r < rows; ++r) {
    float* row = x + r * d;
    double mean = 0, var = 0;
    for (int64_t j = 0; j < d; ++j) mean += row[j];
    mean /= double(d);
    for (int64_t j = 0; j < d; ++j) var += (row[j] - mean) * (row[j] - mean);
    const double rstd = 1.0 / std::sqrt(var / double(d) + 1e-5);
    for (int64_t j = 0; j < d; ++j) row[j] = float((row[j] - mean) * rstd) * norm.weight[j] + norm.bias[j];
  }
}

void softmax_rows(float* x, int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; ++r) {
    float* row = x + r * cols;
    const float top = *std::max_element(row, row + cols);
    float sum = 0;
    for (int64_t j = 0; j < cols; ++j) sum += (row[j] = std::exp(row[j] - top));
    for (int64_t j = 0; j < cols; ++j) row[j] /= sum;
  }
}

// nn::Mlp: Linear, then GELU and Linear for each further layer (dropout is off in eval()).
void mlp(const Mlp& net, const float* x, int64_t rows, Floats& out) {
  Floats hidden, next;
  const float* in = x;
  for (size_t l = 0; l + 1 < net.layers.size(); ++l) {
    linear(net.layers[l], in, rows, next);
    gelu(next);
    hidden.swap(next);
    in = hidden.data();
  }
  linear(net.layers.back(), in, rows, out);
}

// Multi-head attention (nn::MultiheadAttention in eval()), per sample b of `batch`:
//   out_b = (softmax(Q_bh K_bh^T / sqrt(Dh) + bias) V_bh for each head h, side by side) W_o^T + b_o
// with Q = query W_q^T + b_q, K = key W_k^T + b_k, V = key W_v^T + b_v (key is value in HeLo).
// query [batch, lq, E] (or `fixed_queries` [lq, E], already projected and the same for every
// sample), key [batch, lk, E], bias [lq, lk] or null -> out [batch, lq, E]. Self-attention
// (query == key) projects q, k and v with one product. Each head's slice of the projected rows
// is addressed through sgemm's leading dimension, so no head is copied out.
void attention(const Attention& att, const float* query, const float* fixed_queries, int64_t lq, const float* key,
               int64_t lk, int64_t batch, const float* bias, Floats& out) {
  const int64_t e = att.in_proj.in, h = att.heads, dh = e / h;
  const float* w = att.in_proj.weight.data();
  const float* wb = att.in_proj.bias.data();
  Floats q_rows, kv_rows;
  const float *q, *k, *v;
  int64_t q_ld, q_stride, kv_ld;  // leading dimension of the projected rows, per-sample strides
  if (query == key) {
    kv_rows.resize(batch * lk * 3 * e);
    affine(key, batch * lk, e, w, wb, 3 * e, kv_rows.data());
    q = kv_rows.data(), k = q + e, v = q + 2 * e;
    q_ld = kv_ld = 3 * e;
    q_stride = lq * 3 * e;
  } else {
    if (fixed_queries) {
      q = fixed_queries, q_ld = e, q_stride = 0;
    } else {
      q_rows.resize(batch * lq * e);
      affine(query, batch * lq, e, w, wb, e, q_rows.data());
      q = q_rows.data(), q_ld = e, q_stride = lq * e;
    }
    kv_rows.resize(batch * lk * 2 * e);
    affine(key, batch * lk, e, w + e * e, wb + e, 2 * e, kv_rows.data());
    k = kv_rows.data(), v = k + e;
    kv_ld = 2 * e;
  }
  const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(dh)));
  Floats heads_out(batch * lq * e), scores(lq * lk);
  for (int64_t b = 0; b < batch; ++b) {
    for (int64_t head = 0; head < h; ++head) {
      const float* qh = q + b * q_stride + head * dh;
      const float* kh = k + b * lk * kv_ld + head * dh;
      const float* vh = v + b * lk * kv_ld + head * dh;
      if (bias) std::copy(bias, bias + lq * lk, scores.data());
      gemm(false, true, lq, lk, dh, scale, qh, q_ld, kh, kv_ld, bias ? 1.0f : 0.0f, scores.data(), lk);
      softmax_rows(scores.data(), lq, lk);
      gemm(false, false, lq, dh, lk, 1.0f, scores.data(), lk, vh, kv_ld, 0.0f,
           heads_out.data() + b * lq * e + head * dh, e);
    }
  }
  linear(att.out_proj, heads_out.data(), batch * lq, out);
}

void add_into(Floats& x, const Floats& y) {
  for (size_t i = 0; i < x.size(); ++i) x[i] += y[i];
}

// One shared transformer layer (nn::TransformerLayer in eval()) on x [batch, l, D], in place.
void encoder_layer(const HeloInference::EncoderLayer& layer, bool norm_first, Floats& x, int64_t batch, int64_t l) {
  const int64_t rows = batch * l;
  Floats a, f;
  if (norm_first) {  // x = x + SA(LN1(x)); x = x + FF(LN2(x))
    Floats z = x;
    layer_norm(layer.norm1, z.data(), rows);
    attention(layer.attention, z.data(), nullptr, l, z.data(), l, batch, nullptr, a);
    add_into(x, a);
    z = x;
    layer_norm(layer.norm2, z.data(), rows);
    mlp(layer.feedforward, z.data(), rows, f);
    add_into(x, f);
  } else {  // x = LN1(x + SA(x)); x = LN2(x + FF(x))
    attention(layer.attention, x.data(), nullptr, l, x.data(), l, batch, nullptr, a);
    add_into(x, a);
    layer_norm(layer.norm1, x.data(), rows);
    mlp(layer.feedforward, x.data(), rows, f);
    add_into(x, f);
    layer_norm(layer.norm2, x.data(), rows);
  }
}

// Reads the weights of a HeloModel by their registered names.
class WeightReader {
 public:
  explicit WeightReader(const HeloModel& model) {
    for (const auto& item : model.named_parameters(true)) tensors_[item.key()] = item.value();
    for (const auto& item : model.named_buffers(true)) tensors_[item.key()] = item.value();
  }
  bool has(const std::string& name) const { return tensors_.count(name) > 0; }
  Floats floats(const std::string& name) const {
    auto it = tensors_.find(name);
    TORCH_CHECK(it != tensors_.end(), "HeloInference: the model has no tensor '", name, "'");
    auto t = it->second.detach().to(torch::kFloat32).contiguous();
    return Floats(t.data_ptr<float>(), t.data_ptr<float>() + t.numel());
  }
  Dense dense(const std::string& prefix) const {
    auto it = tensors_.find(prefix + ".weight");
    TORCH_CHECK(it != tensors_.end(), "HeloInference: the model has no layer '", prefix, "'");
    Dense layer;
    layer.out = it->second.size(0);
    layer.in = it->second.size(1);
    layer.weight = floats(prefix + ".weight");
    layer.bias = floats(prefix + ".bias");
    return layer;
  }
  // The layer, or an empty Dense (out == 0) when the model has none by that name (an option
  // turned it off, e.g. token_rank 0 or behavioural_rank 0).
  Dense dense_if_present(const std::string& prefix) const { return has(prefix + ".weight") ? dense(prefix) : Dense{}; }
  Norm norm(const std::string& prefix) const { return {floats(prefix + ".weight"), floats(prefix + ".bias")}; }
  Attention attention(const std::string& prefix, int64_t heads) const {
    return {heads, dense(prefix + ".in_proj"), dense(prefix + ".out_proj")};
  }
  // nn::Mlp's Sequential holds Linear, GELU, Dropout, ..., Linear: the linears at 0, 3, 6, ...
  Mlp mlp(const std::string& prefix) const {
    Mlp net;
    for (int k = 0; has(prefix + ".layers." + std::to_string(k) + ".weight"); k += 3) {
      net.layers.push_back(dense(prefix + ".layers." + std::to_string(k)));
    }
    TORCH_CHECK(!net.layers.empty(), "HeloInference: the model has no MLP '", prefix, "'");
    return net;
  }

 private:
  std::map<std::string, torch::Tensor> tensors_;
};

// [B, count r] (or [B, count D] without a factor) -> [B, count, D] tokens (HeloModel::to_tokens).
void to_tokens(const Floats& flat, const Dense& up, int64_t batch, int64_t count, Floats& out) {
  if (up.out == 0) {
    out = flat;
    return;
  }
  linear(up, flat.data(), batch * count, out);
}

}  // namespace

void HeloInference::StageTimes::add(const std::string& stage, double s) {
  for (auto& [name, total] : seconds) {
    if (name == stage) {
      total += s;
      return;
    }
  }
  seconds.emplace_back(stage, s);
}

std::string HeloInference::unsupported_reason(const HeloOptions& options) {
  if (options.ot() == OtKind::kSinkhorn) return "ot: sinkhorn has no inference path (gw and none do)";
  return "";
}

HeloInference::HeloInference(const HeloModel& model, const data::DatasetSchema& schema) : options_(model.options()) {
  const std::string reason = unsupported_reason(options_);
  if (!reason.empty()) throw OptionError("model.options.ot", reason);
  d_ = options_.d_model();
  classes_ = model.num_classes();
  tokens_ = model.tokens();
  phys_tokens_ = model.physiological_tokens();
  anchor_index_ = model.anchor_index();
  anchor_has_channels_ = model.anchor_has_channels();
  other_phys_ = model.other_physiological();
  behavioural_ = model.behavioural();
  for (const auto& spec : schema.modalities) shapes_.push_back(spec.shape);
  for (auto m : behavioural_) behavioural_width_ += schema.modalities[m].numel();

  const WeightReader w(model);
  anchor_encoder_ = w.mlp("anchor_encoder");
  anchor_token_up_ = w.dense_if_present("anchor_token_up");
  anchor_position_ = w.floats("anchor_position");
  for (auto m : other_phys_) {
    const auto& name = schema.modalities[m].name;
    other_encoders_.push_back(w.mlp("encoder_" + name));
    other_token_up_.push_back(w.dense_if_present("token_up_" + name));
    if (options_.fusion() == FusionKind::kCrossAttention) {
      cross_attention_.push_back(w.attention("cross_attention_" + name, options_.heads()));
      cross_norms_.push_back(w.norm("cross_norm_" + name));
    }
  }
  if (!other_phys_.empty()) {
    phys_projection_ = w.dense("phys_projection");
    phys_norm_ = w.norm("phys_norm");
  }
  if (!behavioural_.empty()) {
    behav_bottleneck_ = w.dense_if_present("behavioural_bottleneck");
    behav_encoder_ = w.dense("behavioural_encoder");
    behav_token_up_ = w.dense_if_present("behavioural_token_up");
    if (options_.ot() != OtKind::kNone) align_norm_ = w.norm("align_norm");
  }
  for (int64_t l = 0; l < options_.encoder_layers(); ++l) {
    const std::string p = "encoder_layer_" + std::to_string(l);
    encoder_.push_back({w.attention(p + ".attention", options_.heads()),
                        Mlp{{w.dense(p + ".ff1"), w.dense(p + ".ff2")}}, w.norm(p + ".norm1"), w.norm(p + ".norm2")});
  }
  token_projection_ = w.dense("token_projection");
  if (options_.label_attention()) {
    const int64_t heads = options_.label_heads() > 0 ? options_.label_heads() : options_.heads();
    label_attention_ = w.attention("label_attention", heads);
    label_norm_ = w.norm("label_norm");
    label_embeddings_ = w.floats("label_embeddings");
    // S and the query projection E W_q^T + b_q depend on the weights only: computed once here,
    // with the model's own code.
    torch::NoGradGuard no_grad;
    auto s = model.label_similarity().contiguous();
    label_similarity_.assign(s.data_ptr<float>(), s.data_ptr<float>() + s.numel());
    label_queries_.resize(classes_ * d_);
    affine(label_embeddings_.data(), classes_, d_, label_attention_.in_proj.weight.data(),
           label_attention_.in_proj.bias.data(), d_, label_queries_.data());
  }
  if (options_.readout() == ReadoutKind::kMlp) {
    readout_mlp_ = w.mlp("readout_mlp");
  } else if (options_.label_attention()) {
    classifier_weight_ = w.floats("classifier_weight");
    classifier_bias_ = w.floats("classifier_bias");
  } else {
    pooled_classifier_ = w.dense("pooled_classifier");
  }
}

void HeloInference::align_with_ot(Floats& phys, const Floats& behav, int64_t batch,
                                  const std::function<void(const char*)>& stage_done) const {
  // As HeloModel::align_with_ot: intra-set cosine costs of P and V, thresholded per sample,
  // entropic GW plan with uniform marginals, then P' = LN(P + rownorm(T) V) or P' = n T P.
  const int64_t n = phys_tokens_, d = d_;
  std::vector<double> costs(2 * batch * n * n);  // per sample: C1 (physiological), C2 (behavioural)
  Floats unit(n * d), gram(n * n);
  for (int64_t set = 0; set < 2 * batch; ++set) {
    const float* x = (set % 2 == 0 ? phys.data() : behav.data()) + (set / 2) * n * d;
    for (int64_t i = 0; i < n; ++i) {
      float sq = 0;
      for (int64_t j = 0; j < d; ++j) sq += x[i * d + j] * x[i * d + j];
      const float norm = std::max(std::sqrt(sq), 1e-8f);  // |x_i| clamped at 1e-8
      for (int64_t j = 0; j < d; ++j) unit[i * d + j] = x[i * d + j] / norm;
    }
    gemm(false, true, n, n, d, 1.0f, unit.data(), d, unit.data(), d, 0.0f, gram.data(), n);
    float low = 2, high = -1;
    for (auto& g : gram) {
      g = 1.0f - g;  // cosine cost
      low = std::min(low, g);
      high = std::max(high, g);
    }
    // ReLU(C - (min + f (max - min))): costs below the threshold count as 0.
    const float threshold = low + static_cast<float>(options_.ot_threshold()) * (high - low);
    double* out = costs.data() + set * n * n;
    for (int64_t i = 0; i < n * n; ++i) out[i] = std::max(gram[i] - threshold, 0.0f);
  }
  stage_done("OT costs");
  const auto gw = ot::GromovWassersteinOptions()
                      .regularization(options_.ot_lambda())
                      .outer_iterations(options_.gw_iterations())
                      .inner_iterations(options_.ipot_iterations());
  const std::vector<double> marginal(n, static_cast<double>(static_cast<float>(1.0 / double(n))));
  std::vector<double> plans(batch * n * n);
  std::vector<char> fused_ok(batch, 1);
  at::parallel_for(0, batch, 1, [&](int64_t begin, int64_t end) {
    for (int64_t b = begin; b < end; ++b) {
      fused_ok[b] = ot::gw_ipot_plan_fused(costs.data() + 2 * b * n * n, costs.data() + (2 * b + 1) * n * n,
                                           marginal.data(), marginal.data(), n, n, gw, plans.data() + b * n * n);
    }
  });
  stage_done("GW plan");
  Floats plan(n * n), aligned(n * d);
  for (int64_t b = 0; b < batch; ++b) {
    if (fused_ok[b]) {
      for (int64_t i = 0; i < n * n; ++i) plan[i] = static_cast<float>(plans[b * n * n + i]);
    } else {  // a scaling under- or overflowed: the log-domain solver, as HeloModel falls back to
      auto cost = [&](int64_t set) {
        return torch::from_blob(costs.data() + set * n * n, {1, n, n}, torch::kFloat64).to(torch::kFloat32);
      };
      auto a = ot::uniform_marginal(1, n, torch::TensorOptions().dtype(torch::kFloat32));
      auto log_domain = gw;
      log_domain.fused_cpu(false).compute_distance(false).check_inputs(false);
      auto result = ot::entropic_gromov_wasserstein(cost(2 * b), cost(2 * b + 1), a, a, log_domain);
      auto p = result.plan.contiguous();
      std::copy(p.data_ptr<float>(), p.data_ptr<float>() + n * n, plan.begin());
    }
    float* p_b = phys.data() + b * n * d;
    const float* v_b = behav.data() + b * n * d;
    if (options_.ot_align() == OtAlign::kPlanMultiply) {  // P' = n T P
      gemm(false, false, n, d, n, static_cast<float>(n), plan.data(), n, p_b, d, 0.0f, aligned.data(), d);
      std::copy(aligned.begin(), aligned.end(), p_b);
    } else {  // P' = LN(P + rownorm(T) V); rows of zero mass give 0
      for (int64_t i = 0; i < n; ++i) {
        float mass = 0;
        for (int64_t j = 0; j < n; ++j) mass += plan[i * n + j];
        mass = std::max(mass, 1e-30f);
        for (int64_t j = 0; j < n; ++j) plan[i * n + j] /= mass;
      }
      gemm(false, false, n, d, n, 1.0f, plan.data(), n, v_b, d, 0.0f, aligned.data(), d);
      for (int64_t i = 0; i < n * d; ++i) p_b[i] += aligned[i];
      layer_norm(align_norm_, p_b, n);
    }
  }
  stage_done("OT alignment");
}

torch::Tensor HeloInference::forward(const std::vector<torch::Tensor>& inputs, StageTimes* times) const {
  // With `times`: the time since the previous stage ended goes to `stage`.
  auto last = std::chrono::steady_clock::now();
  const std::function<void(const char*)> stage_done = [&](const char* stage) {
    if (!times) return;
    const auto now = std::chrono::steady_clock::now();
    times->add(stage, std::chrono::duration<double>(now - last).count());
    last = now;
  };
  TORCH_CHECK(inputs.size() == shapes_.size(), "HeloInference: expected ", shapes_.size(), " modality tensors, got ",
              inputs.size());
  const int64_t batch = inputs[anchor_index_].size(0), d = d_, k = tokens_, n = phys_tokens_;
  std::vector<Floats> x(inputs.size());
  for (size_t m = 0; m < inputs.size(); ++m) {
    std::vector<int64_t> expected{batch};
    expected.insert(expected.end(), shapes_[m].begin(), shapes_[m].end());
    TORCH_CHECK(inputs[m].sizes() == torch::IntArrayRef(expected), "HeloInference: modality ", m, ": expected shape ",
                torch::IntArrayRef(expected), ", got ", inputs[m].sizes());
    auto t = inputs[m].to(torch::kFloat32).contiguous();
    x[m].assign(t.data_ptr<float>(), t.data_ptr<float>() + t.numel());
  }
  stage_done("inputs");

  // 1. Anchor tokens [B, K, D] (+ the learned position of each token).
  Floats anchor, flat;
  if (anchor_has_channels_) {
    mlp(anchor_encoder_, x[anchor_index_].data(), batch * k, anchor);  // one encoder per channel row
  } else {
    mlp(anchor_encoder_, x[anchor_index_].data(), batch, flat);
    to_tokens(flat, anchor_token_up_, batch, k, anchor);
  }
  for (int64_t b = 0; b < batch; ++b) {
    for (int64_t i = 0; i < k * d; ++i) anchor[b * k * d + i] += anchor_position_[i];
  }

  stage_done("anchor encoder");

  // 2. Physiological fusion -> P [B, n, D].
  Floats phys;
  if (other_phys_.empty()) {
    phys = std::move(anchor);
  } else {
    const int64_t parts =
        options_.fusion() == FusionKind::kConcat ? 1 + int64_t(other_phys_.size()) : int64_t(other_phys_.size());
    Floats joined(batch * parts * k * d), tokens, part;
    auto place = [&](const Floats& set, int64_t slot) {  // set [B, K, D] -> token slot of `joined`
      for (int64_t b = 0; b < batch; ++b) {
        std::copy(set.begin() + b * k * d, set.begin() + (b + 1) * k * d, joined.begin() + (b * parts + slot) * k * d);
      }
    };
    if (options_.fusion() == FusionKind::kConcat) place(anchor, 0);
    for (size_t i = 0; i < other_phys_.size(); ++i) {
      mlp(other_encoders_[i], x[other_phys_[i]].data(), batch, flat);
      to_tokens(flat, other_token_up_[i], batch, k, tokens);
      if (options_.fusion() == FusionKind::kConcat) {
        place(tokens, int64_t(i) + 1);
      } else {  // Z_i = LN(A + MHA(q = A, k = v = X_i))
        attention(cross_attention_[i], anchor.data(), nullptr, k, tokens.data(), k, batch, nullptr, part);
        add_into(part, anchor);
        layer_norm(cross_norms_[i], part.data(), batch * k);
        place(part, int64_t(i));
      }
    }
    linear(phys_projection_, joined.data(), batch * n, phys);
    layer_norm(phys_norm_, phys.data(), batch * n);
  }

  stage_done("other encoders, cross-attention, projection");

  // 3. Behavioural tokens V [B, n, D] and the OT alignment of P.
  Floats behav;
  if (!behavioural_.empty()) {
    Floats features(batch * behavioural_width_);
    for (int64_t b = 0, offset = 0; b < batch; ++b) {
      for (auto m : behavioural_) {
        const int64_t width = static_cast<int64_t>(x[m].size()) / batch;
        std::copy(x[m].begin() + b * width, x[m].begin() + (b + 1) * width, features.begin() + offset);
        offset += width;
      }
    }
    if (behav_bottleneck_.out > 0) {
      Floats narrow;
      linear(behav_bottleneck_, features.data(), batch, narrow);
      if (options_.encoder_hidden() > 0) gelu(narrow);
      features.swap(narrow);
    }
    linear(behav_encoder_, features.data(), batch, flat);
    to_tokens(flat, behav_token_up_, batch, n, behav);
    stage_done("behavioural tokens");
    if (options_.ot() != OtKind::kNone) align_with_ot(phys, behav, batch, stage_done);
  }

  // 4. Shared encoder on both streams as one batch [2B, n, D]; F = token projection -> [B, C, D].
  Floats streams = phys;
  if (!behav.empty()) streams.insert(streams.end(), behav.begin(), behav.end());
  const int64_t stream_count = behav.empty() ? batch : 2 * batch;
  for (const auto& layer : encoder_) encoder_layer(layer, options_.norm_first(), streams, stream_count, n);
  stage_done("shared transformer");
  const int64_t length = behav.empty() ? n : 2 * n;  // L tokens per sample: P then V
  Floats tokens(length * d), fused(batch * classes_ * d);
  for (int64_t b = 0; b < batch; ++b) {
    std::copy(streams.begin() + b * n * d, streams.begin() + (b + 1) * n * d, tokens.begin());
    if (!behav.empty()) {
      std::copy(streams.begin() + (batch + b) * n * d, streams.begin() + (batch + b + 1) * n * d,
                tokens.begin() + n * d);
    }
    // F_b [C, D] = W [C, L] tokens_b [L, D] + bias (per class, over D).
    float* f_b = fused.data() + b * classes_ * d;
    for (int64_t c = 0; c < classes_; ++c) std::fill(f_b + c * d, f_b + (c + 1) * d, token_projection_.bias[c]);
    gemm(false, false, classes_, d, length, 1.0f, token_projection_.weight.data(), length, tokens.data(), d, 1.0f, f_b,
         d);
  }

  stage_done("token projection");

  // 5-7. Label-correlation attention H = LN(E + MHA(q = E, k = v = F, bias = S)), readout.
  Floats label_tokens;
  if (options_.label_attention()) {
    attention(label_attention_, nullptr, label_queries_.data(), classes_, fused.data(), classes_, batch,
              label_similarity_.data(), label_tokens);
    for (int64_t b = 0; b < batch; ++b) {
      for (int64_t i = 0; i < classes_ * d; ++i) label_tokens[b * classes_ * d + i] += label_embeddings_[i];
    }
    layer_norm(label_norm_, label_tokens.data(), batch * classes_);
  } else {
    label_tokens = fused;
  }
  Floats logits(batch * classes_);
  if (!readout_mlp_.layers.empty()) {
    mlp(readout_mlp_, label_tokens.data(), batch, logits);
  } else if (options_.label_attention()) {
    for (int64_t b = 0; b < batch; ++b) {
      for (int64_t c = 0; c < classes_; ++c) {
        const float* h = label_tokens.data() + (b * classes_ + c) * d;
        float dot = 0;
        for (int64_t j = 0; j < d; ++j) dot += h[j] * classifier_weight_[c * d + j];
        logits[b * classes_ + c] = dot + classifier_bias_[c];
      }
    }
  } else {  // mean of the C fused tokens -> Linear(D, C)
    Floats pooled(batch * d, 0.0f);
    for (int64_t b = 0; b < batch; ++b) {
      for (int64_t c = 0; c < classes_; ++c) {
        for (int64_t j = 0; j < d; ++j) pooled[b * d + j] += fused[(b * classes_ + c) * d + j];
      }
    }
    for (auto& p : pooled) p /= static_cast<float>(classes_);
    linear(pooled_classifier_, pooled.data(), batch, logits);
  }
  auto log_probs = torch::empty({batch, classes_}, torch::kFloat32);
  float* out = log_probs.data_ptr<float>();
  for (int64_t b = 0; b < batch; ++b) {  // log_softmax
    const float* row = logits.data() + b * classes_;
    const float top = *std::max_element(row, row + classes_);
    double sum = 0;
    for (int64_t c = 0; c < classes_; ++c) sum += std::exp(double(row[c] - top));
    const float log_sum = static_cast<float>(std::log(sum));
    for (int64_t c = 0; c < classes_; ++c) out[b * classes_ + c] = row[c] - top - log_sum;
  }
  stage_done("label attention, readout");
  return log_probs;
}

}  // namespace emofuse::models
