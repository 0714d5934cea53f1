// Inner cross-validation: an Estimator that tunes another one on its own training rows.
//
// `inner_cv` wraps a registered model (e.g. sa_bfgs) and a list of candidate option sets (e.g.
// lambda = 0.01, 0.1, ..., 1000). fit(train) cuts `train` -- and nothing else -- into k inner
// folds (protocol `kfold`, seeded by FitContext::seed), and for every inner fold and candidate:
// standardises the features on the inner training rows (as the outer runner does on the outer
// ones), fits the candidate there and scores it on the inner validation rows. The candidate with
// the lowest mean inner validation loss (per sample, over all rows of `train`, each validated
// once) wins; candidates within a relative 1e-9 of the best count as tied and the tie goes to the
// LATER candidate, so list them from the least to the most regularised. The winner is then refit
// on all of `train`; predict() uses that model.
//
// Used under run_experiment (the outer folds), the outer test rows never reach fit(): the inner
// search is nested inside each outer training fold. The selection is recorded three ways: the
// accessors below, `<FitContext::checkpoint_dir>/inner_cv.json` (the fold folder of a run; every
// candidate's inner losses and the chosen options), and the saved model file (the chosen index,
// so load() rebuilds the chosen model). Meant for estimators that use no validation set (the
// classical LDL methods): the inner fits get an empty one. See docs/models/ldl.md.
//
// Registered as model `inner_cv` with options
//   model: sa_bfgs                           # the model tuned (required; not inner_cv itself)
//   options: {iterations: 500}               # its fixed options (never searched)
//   candidates: [{lambda: 0.01}, {lambda: 0.1}, ...]   # the grid, least regularised first
//   folds: 5                                 # inner folds (>= 2)
//   criterion: kl                            # kl or chebyshev
#pragma once

#include <torch/torch.h>
#include <yaml-cpp/yaml.h>

#include <array>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/options.h"
#include "data/dataset.h"
#include "models/estimator.h"

namespace emofuse::models {

struct ModelEntry;

/// The inner validation loss a candidate is selected by (both LDL measures, lower is better).
enum class InnerCvCriterion {
  kKl,         ///< mean KL(d || p): the maximum-entropy models' own objective, a proper score
  kChebyshev,  ///< mean max_j |d_j - p_j|
};
inline constexpr std::array<Choice<InnerCvCriterion>, 2> kInnerCvCriteria{
    {{"kl", InnerCvCriterion::kKl}, {"chebyshev", InnerCvCriterion::kChebyshev}}};

/// "kl" or "chebyshev"; throws OptionError(option, ...) listing them otherwise.
InnerCvCriterion inner_cv_criterion_from_name(const std::string& name, const std::string& option);
std::string inner_cv_criterion_name(InnerCvCriterion criterion);

struct InnerCvOptions {
  InnerCvOptions(std::string model, std::vector<YAML::Node> candidates)
      : model_(std::move(model)), candidates_(std::move(candidates)) {}
  /// Registered name of the model tuned.
  TORCH_ARG(std::string, model);
  /// Option sets searched, each a YAML map merged over `options`; least regularised first
  /// (ties go to the later one). A key may not be both here and in `options`.
  TORCH_ARG(std::vector<YAML::Node>, candidates);
  /// Fixed options of the model, shared by every candidate.
  TORCH_ARG(YAML::Node, options) = YAML::Node(YAML::NodeType::Map);
  /// Inner folds cut from the training rows (>= 2).
  TORCH_ARG(int64_t, folds) = 5;
  /// Loss the candidates are ranked by.
  TORCH_ARG(InnerCvCriterion, criterion) = InnerCvCriterion::kKl;

 public:
  /// Reads and validates "model.options" of `inner_cv`, including every candidate's options
  /// against the tuned model (so a misspelt option fails before any data is loaded).
  static InnerCvOptions from_yaml(const YAML::Node& node);
  /// `options` with candidate `index`'s keys added: what the tuned model is built with.
  YAML::Node candidate_options(size_t index) const;
  /// The YAML form from_yaml reads.
  YAML::Node to_yaml() const;
};

/// Builds the tuned model from its (merged) options; the registry's entry by default.
using EstimatorFactory = std::function<std::unique_ptr<Estimator>(const YAML::Node& options)>;

class InnerCvEstimator : public Estimator {
 public:
  /// Builds candidates with the registry entry of `options.model()`.
  InnerCvEstimator(const data::DatasetSchema& schema, InnerCvOptions options);
  /// Builds candidates with `factory` (tests pass an instrumented model).
  InnerCvEstimator(const data::DatasetSchema& schema, InnerCvOptions options, EstimatorFactory factory);
  std::string name() const override { return "inner_cv"; }
  /// Selects a candidate by inner cross-validation on `train` and refits it on all of `train`
  /// (with `validation`). Throws emofuse::Error when `train` has fewer rows than inner folds.
  void fit(const data::MultimodalDataset& train, const data::MultimodalDataset& validation,
           const FitContext& context) override;
  torch::Tensor predict(const data::MultimodalDataset& data) override;
  /// One archive: the chosen index, the inner losses and the chosen model's own file.
  void save(const std::string& path) const override;
  void load(const std::string& path) override;
  int64_t parameter_count() const override;

  const InnerCvOptions& options() const { return options_; }
  /// Index into options().candidates() of the selected candidate (-1 before fit/load).
  int64_t chosen() const { return chosen_; }
  /// Mean inner validation loss per candidate [candidates] (empty after load()).
  const std::vector<double>& losses() const { return losses_; }
  /// Per candidate, the mean loss on each inner validation fold [candidates][folds].
  const std::vector<std::vector<double>>& fold_losses() const { return fold_losses_; }
  /// The selection as JSON text (what fit() writes to <checkpoint_dir>/inner_cv.json).
  std::string selection_json() const;

 private:
  data::DatasetSchema schema_;
  InnerCvOptions options_;
  EstimatorFactory factory_;
  int64_t chosen_ = -1;
  int64_t train_size_ = 0;
  std::vector<double> losses_;
  std::vector<std::vector<double>> fold_losses_;
  std::unique_ptr<Estimator> model_;  // the chosen candidate refit on all training rows
};

/// Registers `inner_cv`.
void register_inner_cv(std::vector<ModelEntry>& registry);

}  // namespace emofuse::models
