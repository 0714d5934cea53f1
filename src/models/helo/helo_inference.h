// A dedicated inference path for a trained HeLo model: the eval-mode forward pass of HeloModel
// on plain float arrays, with the weights copied (packed) once, no autograd, no LibTorch operator
// dispatch, and the matrix products as direct BLAS calls (the sgemm LibTorch itself calls).
//
// Why: at batch 1 the LibTorch forward pass is ~200 operator calls on tensors of a few thousand
// numbers; the dispatch, shape checks and allocations around them cost about as much as the
// arithmetic. Here every step writes into arrays this pass owns, the head split of the attention
// is a leading dimension passed to sgemm (no permute copies), and the label attention's query
// projection, which does not depend on the input, is computed once.
//
// It computes the same function as HeloModel::forward in eval() (Helo.InferenceMatchesForward
// checks log-probabilities to 1e-5 on several option sets). It is a snapshot: weights changed
// after construction are not seen. forward() is const and allocates its own scratch arrays, so
// one instance may serve several threads.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "models/helo/helo.h"

namespace emofuse::models {

class HeloInference {
 public:
  /// Copies the weights of `model` (built for `schema`). Throws OptionError when an option has no
  /// inference path (unsupported_reason).
  HeloInference(const HeloModel& model, const data::DatasetSchema& schema);

  /// "" when `options` have an inference path, else why not. Every option is covered except
  /// `ot: sinkhorn`.
  static std::string unsupported_reason(const HeloOptions& options);

  /// Wall-clock seconds per stage of forward(), summed over the calls that received it (the
  /// profile in bench_helo --profile). Stages in the order they run.
  struct StageTimes {
    std::vector<std::pair<std::string, double>> seconds;
    void add(const std::string& stage, double s);
  };

  /// inputs: one tensor per schema modality, [B, ...] (any float dtype; copied to contiguous
  /// float32). Returns log-probabilities [B, C], as HeloModel::forward(...).log_probs in eval().
  /// With `times`, each stage's wall-clock time is added to it.
  torch::Tensor forward(const std::vector<torch::Tensor>& inputs, StageTimes* times = nullptr) const;

  /// A fully connected layer y = x W^T + b, W [out, in] row-major.
  struct Dense {
    int64_t in = 0, out = 0;
    std::vector<float> weight, bias;
  };
  /// LayerNorm over the last axis (eps 1e-5, as torch::nn::LayerNorm's default).
  struct Norm {
    std::vector<float> weight, bias;
  };
  /// Multi-head attention: in_proj E -> 3E (queries, keys, values), out_proj E -> E.
  struct Attention {
    int64_t heads = 1;
    Dense in_proj, out_proj;
  };
  /// nn::Mlp: Linear, then (GELU, Linear) for each further layer.
  struct Mlp {
    std::vector<Dense> layers;
  };
  struct EncoderLayer {
    Attention attention;
    Mlp feedforward;  // ff1, GELU, ff2: the position-wise feed-forward network
    Norm norm1, norm2;
  };

 private:
  // phys [B, n, D] <- alignment with behav [B, n, D] through the GW plan.
  void align_with_ot(std::vector<float>& phys, const std::vector<float>& behav, int64_t batch,
                     const std::function<void(const char*)>& stage_done) const;

  HeloOptions options_;
  int64_t d_ = 0, classes_ = 0, tokens_ = 0, phys_tokens_ = 0;
  int64_t anchor_index_ = -1;
  bool anchor_has_channels_ = false;
  std::vector<int64_t> other_phys_, behavioural_;
  std::vector<std::vector<int64_t>> shapes_;  // per schema modality, without the batch axis
  int64_t behavioural_width_ = 0;

  Mlp anchor_encoder_;
  Dense anchor_token_up_;               // out == 0: no token generator factor
  std::vector<float> anchor_position_;  // [K, D]
  std::vector<Mlp> other_encoders_;
  std::vector<Dense> other_token_up_;
  std::vector<Attention> cross_attention_;
  std::vector<Norm> cross_norms_;
  Dense phys_projection_;
  Norm phys_norm_;
  Dense behav_bottleneck_, behav_encoder_, behav_token_up_;
  Norm align_norm_;
  std::vector<EncoderLayer> encoder_;
  Dense token_projection_;               // token axis L -> C
  std::vector<float> label_embeddings_;  // [C, D]
  std::vector<float> label_similarity_;  // S [C, C], the attention bias
  std::vector<float> label_queries_;     // E W_q^T + b_q [C, D], computed once
  Attention label_attention_;
  Norm label_norm_;
  std::vector<float> classifier_weight_, classifier_bias_;  // per_class readout
  Dense pooled_classifier_;
  Mlp readout_mlp_;
};

}  // namespace emofuse::models
