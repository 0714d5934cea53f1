// Classical label-distribution-learning (LDL) methods, each an Estimator registered by name.
// All of them work on the design matrix X [N, D]: every modality of the dataset flattened and
// concatenated in dataset order (the experiment runner standardises each fold's features on its
// training rows first). Targets are the distributions D [N, C].
//
//   aa_knn    Algorithm adaptation kNN (Geng, "Label Distribution Learning", IEEE TKDE 2016,
//             Sec. 4.2): the mean of the k nearest training distributions (Euclidean).
//   pt_bayes  Problem transformation + Bayes (Geng 2016, Sec. 4.1): every sample becomes C
//             single-label examples weighted by its description degrees; a Gaussian naive-Bayes
//             classifier (per-class diagonal covariance) fitted on them; its posterior is the
//             predicted distribution.
//   sa_bfgs   Specialised algorithm (Geng 2016, Sec. 4.3): the maximum-entropy model
//             p(y|x) = softmax(W x + b) fitted by (L-)BFGS on the KL objective (+ lambda ||W||^2).
//   ldllc     LDL by exploiting label correlations (Jia, Li, Liu, Zhang, AAAI 2018): the
//             maximum-entropy model with lambda1 ||W||^2 plus lambda2 * sum_{j<k} sgn(rho_jk)
//             ||w_j - w_k||_2, pulling the weight vectors of positively correlated labels together.
// See docs/models/ldl.md for options, defaults and the papers' equations.
#pragma once

#include <torch/torch.h>
#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

#include "data/dataset.h"
#include "models/estimator.h"

namespace emofuse::models {

struct ModelEntry;

/// Every modality of `data` flattened and concatenated: [N, D] float64 (D = sum of numel).
torch::Tensor ldl_design_matrix(const data::MultimodalDataset& data);

// ------------------------------------------------------------------------------------- options

struct AaKnnOptions {
  /// Neighbours averaged. Default 5 = PyLDL's AA_KNN default (SpriteMisaka/PyLDL,
  /// pyldl/algorithms/_algorithm_adaptation.py, `fit(X, y, k=5)`).
  TORCH_ARG(int64_t, k) = 5;

 public:
  /// Reads and validates "model.options" (unknown keys rejected).
  static AaKnnOptions from_yaml(const YAML::Node& node);
  /// Every option by its key, as from_yaml reads them.
  YAML::Node to_yaml() const;
};

struct PtBayesOptions {
  /// Added to every per-class variance: var_smoothing * (largest feature variance of the
  /// training set), as sklearn's GaussianNB; 0.1 is PyLDL's PT_Bayes setting.
  TORCH_ARG(double, var_smoothing) = 0.1;

 public:
  static PtBayesOptions from_yaml(const YAML::Node& node);
  /// Every option by its key, as from_yaml reads them.
  YAML::Node to_yaml() const;
};

struct SaBfgsOptions {
  /// L2 weight on ||W||_F^2 (the intercept is not penalised). 0 = the unregularised objective of Geng 2016.
  TORCH_ARG(double, lambda) = 0.0;
  /// Maximum L-BFGS iterations (PyLDL's SA_BFGS default max_iterations = 500).
  TORCH_ARG(int64_t, iterations) = 500;
  /// Stop when the largest gradient entry falls below this (PyLDL's gtol 1e-7).
  TORCH_ARG(double, tolerance) = 1e-7;

 public:
  static SaBfgsOptions from_yaml(const YAML::Node& node);
  /// Every option by its key, as from_yaml reads them.
  YAML::Node to_yaml() const;
};

struct LdllcOptions {
  /// Weight of ||W||_F^2; 0.1 = c1 of the authors' code (TANG16/LDLLC, lcLdlTrain.m).
  TORCH_ARG(double, lambda1) = 0.1;
  /// Weight of the label-correlation term; 0.01 = c2 = 0.1 * c1 of the authors' code.
  TORCH_ARG(double, lambda2) = 0.01;
  TORCH_ARG(int64_t, iterations) = 500;  ///< maximum L-BFGS iterations
  TORCH_ARG(double, tolerance) = 1e-7;   ///< gradient tolerance of L-BFGS

 public:
  static LdllcOptions from_yaml(const YAML::Node& node);
  /// Every option by its key, as from_yaml reads them.
  YAML::Node to_yaml() const;
};

// ----------------------------------------------------------------------------------- estimators

/// AA-kNN: stores the training set; predict averages the k nearest training distributions.
class AaKnn : public Estimator {
 public:
  AaKnn(const data::DatasetSchema& schema, AaKnnOptions options);
  std::string name() const override { return "aa_knn"; }
  void fit(const data::MultimodalDataset& train, const data::MultimodalDataset& validation,
           const FitContext& context) override;
  torch::Tensor predict(const data::MultimodalDataset& data) override;
  void save(const std::string& path) const override;
  void load(const std::string& path) override;
  int64_t parameter_count() const override { return 0; }  // non-parametric

 private:
  int64_t width_, classes_;
  AaKnnOptions options_;
  torch::Tensor train_x_;  // [N, D] float64
  torch::Tensor train_y_;  // [N, C] float64
};

/// PT-Bayes: weighted Gaussian naive Bayes on the problem-transformed single-label examples.
class PtBayes : public Estimator {
 public:
  PtBayes(const data::DatasetSchema& schema, PtBayesOptions options);
  std::string name() const override { return "pt_bayes"; }
  void fit(const data::MultimodalDataset& train, const data::MultimodalDataset& validation,
           const FitContext& context) override;
  torch::Tensor predict(const data::MultimodalDataset& data) override;
  void save(const std::string& path) const override;
  void load(const std::string& path) override;
  /// Fitted statistics: C means and C variances of D features, C priors.
  int64_t parameter_count() const override;
  const torch::Tensor& means() const { return means_; }            ///< [C, D]
  const torch::Tensor& variances() const { return variances_; }    ///< [C, D]
  const torch::Tensor& log_priors() const { return log_priors_; }  ///< [C]

 private:
  int64_t width_, classes_;
  PtBayesOptions options_;
  torch::Tensor means_, variances_, log_priors_;
};

/// The maximum-entropy model softmax(W x + b) fitted by L-BFGS on
///   sum_i KL(d_i || p(.|x_i)) + penalty(W);
/// sa_bfgs and ldllc differ in the penalty only.
class MaxEntEstimator : public Estimator {
 public:
  void fit(const data::MultimodalDataset& train, const data::MultimodalDataset& validation,
           const FitContext& context) override;
  torch::Tensor predict(const data::MultimodalDataset& data) override;
  void save(const std::string& path) const override;
  void load(const std::string& path) override;
  int64_t parameter_count() const override { return classes_ * width_ + classes_; }
  const torch::Tensor& weight() const { return weight_; }  ///< [C, D] float64
  const torch::Tensor& bias() const { return bias_; }      ///< [C] float64
  /// The training objective at the fitted parameters (last fit), for tests and logs.
  double final_objective() const { return final_objective_; }

 protected:
  MaxEntEstimator(const data::DatasetSchema& schema, int64_t iterations, double tolerance);
  /// The regulariser added to the summed KL, for weight W [C, D] (bias excluded).
  virtual torch::Tensor penalty(const torch::Tensor& weight) const = 0;

 private:
  int64_t width_, classes_, iterations_;
  double tolerance_;
  double final_objective_ = 0;
  torch::Tensor weight_, bias_;
};

class SaBfgs : public MaxEntEstimator {
 public:
  SaBfgs(const data::DatasetSchema& schema, SaBfgsOptions options);
  std::string name() const override { return "sa_bfgs"; }

 protected:
  torch::Tensor penalty(const torch::Tensor& weight) const override;

 private:
  SaBfgsOptions options_;
};

class Ldllc : public MaxEntEstimator {
 public:
  Ldllc(const data::DatasetSchema& schema, LdllcOptions options);
  std::string name() const override { return "ldllc"; }

 protected:
  torch::Tensor penalty(const torch::Tensor& weight) const override;

 private:
  LdllcOptions options_;
};

/// Registers aa_knn, pt_bayes, sa_bfgs and ldllc.
void register_ldl(std::vector<ModelEntry>& registry);

}  // namespace emofuse::models
