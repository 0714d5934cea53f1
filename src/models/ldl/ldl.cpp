#include "models/ldl/ldl.h"

#include <cmath>
#include <sstream>

#include "core/error.h"
#include "core/options.h"
#include "models/registry.h"

namespace emofuse::models {
namespace {

// Width of the design matrix for `schema` (sum of modality sizes); rejects token-id modalities,
// which are not features.
int64_t design_width(const data::DatasetSchema& schema, const char* model) {
  int64_t width = 0;
  for (const auto& m : schema.modalities) {
    TORCH_CHECK(m.role != data::ModalityRole::kText, model, ": modality '", m.name,
                "' holds token ids; classical LDL methods need numeric features");
    width += m.numel();
  }
  TORCH_CHECK(width > 0, model, ": the dataset has no features");
  TORCH_CHECK(schema.num_classes() >= 2, model, ": needs at least 2 classes, got ", schema.num_classes());
  return width;
}

// X [N, D] float64 of `data`, checked against the width the estimator was built for.
torch::Tensor checked_design(const data::MultimodalDataset& data, int64_t width, const char* model) {
  auto x = ldl_design_matrix(data);
  TORCH_CHECK(x.size(1) == width, model, ": expected ", width, " features per sample, got ", x.size(1));
  return x;
}

torch::Tensor checked_targets(const data::MultimodalDataset& data, int64_t classes, const char* model) {
  TORCH_CHECK(data.num_classes() == classes, model, ": expected ", classes, " classes, got ", data.num_classes());
  TORCH_CHECK(data.size() > 0, model, ": empty training set");
  return data.targets().to(torch::kFloat64);
}

// Writes named tensors to one torch::serialize archive.
void write_archive(const std::string& path, const std::vector<std::pair<std::string, torch::Tensor>>& tensors) {
  torch::serialize::OutputArchive archive;
  for (const auto& [name, t] : tensors) archive.write(name, t);
  archive.save_to(path);
}

// Reads tensor `name` from `archive` and checks its shape; throws DataError naming `path`.
torch::Tensor read_tensor(torch::serialize::InputArchive& archive, const std::string& path, const std::string& model,
                          const std::string& name, const std::vector<int64_t>& shape) {
  torch::Tensor t;
  try {
    archive.read(name, t);
  } catch (const c10::Error&) {
    throw DataError(path, "tensor '" + name + "'", "missing (not a " + model + " model file?)");
  }
  if (shape.size() != static_cast<size_t>(t.dim())) {
    throw DataError(path, "tensor '" + name + "'", "wrong rank for " + model + " (built for another dataset?)");
  }
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] >= 0 && t.size(static_cast<int64_t>(i)) != shape[i]) {
      std::ostringstream msg;
      msg << "shape " << t.sizes() << " does not match the model's schema (dimension " << i << " should be " << shape[i]
          << ")";
      throw DataError(path, "tensor '" + name + "'", msg.str());
    }
  }
  return t.to(torch::kFloat64);
}

torch::serialize::InputArchive open_archive(const std::string& path, const std::string& model) {
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(path);
  } catch (const c10::Error&) {
    throw DataError(path, "", "cannot read " + model + " model file (missing or truncated)");
  }
  return archive;
}

}  // namespace

torch::Tensor ldl_design_matrix(const data::MultimodalDataset& data) {
  std::vector<torch::Tensor> flat;
  for (int64_t m = 0; m < data.num_modalities(); ++m) {
    flat.push_back(data.features(m).reshape({data.size(), -1}).to(torch::kFloat64));  // [N, numel_m]
  }
  TORCH_CHECK(!flat.empty(), "ldl_design_matrix: the dataset has no modalities");
  return torch::cat(flat, 1).contiguous();  // [N, D]
}

// ------------------------------------------------------------------------------------- options

AaKnnOptions AaKnnOptions::from_yaml(const YAML::Node& node) {
  OptionReader r(node, "model.options");
  AaKnnOptions o;
  o.k(r.get<int64_t>("k", o.k()));
  r.finish();
  require_option(o.k() >= 1, "model.options.k", "must be >= 1, got " + std::to_string(o.k()));
  return o;
}

PtBayesOptions PtBayesOptions::from_yaml(const YAML::Node& node) {
  OptionReader r(node, "model.options");
  PtBayesOptions o;
  o.var_smoothing(r.get<double>("var_smoothing", o.var_smoothing()));
  r.finish();
  require_option(o.var_smoothing() > 0 && std::isfinite(o.var_smoothing()), "model.options.var_smoothing",
                 "must be > 0 (a zero variance would make the likelihood infinite)");
  return o;
}

YAML::Node AaKnnOptions::to_yaml() const {
  YAML::Node y(YAML::NodeType::Map);
  y["k"] = k();
  return y;
}

YAML::Node PtBayesOptions::to_yaml() const {
  YAML::Node y(YAML::NodeType::Map);
  y["var_smoothing"] = var_smoothing();
  return y;
}

namespace {
void check_lbfgs(int64_t iterations, double tolerance) {
  require_option(iterations >= 1, "model.options.iterations", "must be >= 1, got " + std::to_string(iterations));
  require_option(tolerance > 0 && std::isfinite(tolerance), "model.options.tolerance", "must be > 0");
}
}  // namespace

SaBfgsOptions SaBfgsOptions::from_yaml(const YAML::Node& node) {
  OptionReader r(node, "model.options");
  SaBfgsOptions o;
  o.lambda(r.get<double>("lambda", o.lambda()));
  o.iterations(r.get<int64_t>("iterations", o.iterations()));
  o.tolerance(r.get<double>("tolerance", o.tolerance()));
  r.finish();
  require_option(o.lambda() >= 0 && std::isfinite(o.lambda()), "model.options.lambda", "must be >= 0");
  check_lbfgs(o.iterations(), o.tolerance());
  return o;
}

YAML::Node SaBfgsOptions::to_yaml() const {
  YAML::Node y(YAML::NodeType::Map);
  y["lambda"] = lambda();
  y["iterations"] = iterations();
  y["tolerance"] = tolerance();
  return y;
}

LdllcOptions LdllcOptions::from_yaml(const YAML::Node& node) {
  OptionReader r(node, "model.options");
  LdllcOptions o;
  o.lambda1(r.get<double>("lambda1", o.lambda1()));
  o.lambda2(r.get<double>("lambda2", o.lambda2()));
  o.iterations(r.get<int64_t>("iterations", o.iterations()));
  o.tolerance(r.get<double>("tolerance", o.tolerance()));
  r.finish();
  // lambda1 > 0 keeps the objective bounded below: the correlation term can be negative
  // (sgn(rho) = -1) and grows linearly in W, the L2 term quadratically.
  require_option(o.lambda1() > 0 && std::isfinite(o.lambda1()), "model.options.lambda1", "must be > 0");
  require_option(o.lambda2() >= 0 && std::isfinite(o.lambda2()), "model.options.lambda2", "must be >= 0");
  check_lbfgs(o.iterations(), o.tolerance());
  return o;
}

YAML::Node LdllcOptions::to_yaml() const {
  YAML::Node y(YAML::NodeType::Map);
  y["lambda1"] = lambda1();
  y["lambda2"] = lambda2();
  y["iterations"] = iterations();
  y["tolerance"] = tolerance();
  return y;
}

// --------------------------------------------------------------------------------------- AA-kNN

AaKnn::AaKnn(const data::DatasetSchema& schema, AaKnnOptions options)
    : width_(design_width(schema, "aa_knn")), classes_(schema.num_classes()), options_(options) {}

void AaKnn::fit(const data::MultimodalDataset& train, const data::MultimodalDataset&, const FitContext&) {
  auto y = checked_targets(train, classes_, "aa_knn");
  if (train.size() < options_.k()) {
    throw Error("aa_knn: k = " + std::to_string(options_.k()) + " exceeds the " + std::to_string(train.size()) +
                " training samples");
  }
  train_x_ = checked_design(train, width_, "aa_knn");
  train_y_ = y;
}

torch::Tensor AaKnn::predict(const data::MultimodalDataset& data) {
  TORCH_CHECK(train_x_.defined(), "aa_knn: predict called before fit() or load()");
  torch::NoGradGuard no_grad;
  auto x = checked_design(data, width_, "aa_knn");                                                  // [M, D]
  auto distances = torch::cdist(x, train_x_);                                                       // [M, N] Euclidean
  auto nearest = std::get<1>(distances.topk(options_.k(), 1, /*largest=*/false, /*sorted=*/true));  // [M, k]
  auto neighbours = train_y_.index_select(0, nearest.reshape(-1)).reshape({x.size(0), options_.k(), classes_});
  return neighbours.mean(1).to(torch::kFloat32);  // [M, C]: mean of distributions is a distribution
}

void AaKnn::save(const std::string& path) const {
  TORCH_CHECK(train_x_.defined(), "aa_knn: save called before fit()");
  write_archive(path, {{"train_x", train_x_}, {"train_y", train_y_}, {"k", torch::tensor(options_.k())}});
}

void AaKnn::load(const std::string& path) {
  auto archive = open_archive(path, "aa_knn");
  auto x = read_tensor(archive, path, "aa_knn", "train_x", {-1, width_});
  auto y = read_tensor(archive, path, "aa_knn", "train_y", {x.size(0), classes_});
  if (x.size(0) < options_.k()) throw DataError(path, "tensor 'train_x'", "fewer samples than k");
  train_x_ = x;
  train_y_ = y;
}

// ------------------------------------------------------------------------------------- PT-Bayes

PtBayes::PtBayes(const data::DatasetSchema& schema, PtBayesOptions options)
    : width_(design_width(schema, "pt_bayes")), classes_(schema.num_classes()), options_(options) {}

void PtBayes::fit(const data::MultimodalDataset& train, const data::MultimodalDataset&, const FitContext&) {
  auto d = checked_targets(train, classes_, "pt_bayes");  // [N, C] description degrees
  auto x = checked_design(train, width_, "pt_bayes");     // [N, D]
  // Problem transformation (Geng 2016, Sec. 4.1): sample i becomes C single-label examples
  // (x_i, y_j) with weight d_ij. PyLDL draws N*C examples with probability d_ij / N; we use the
  // weights themselves, which is that resampling's expectation and deterministic.
  auto mass = d.sum(0);  // [C] total weight per class
  for (int64_t j = 0; j < classes_; ++j) {
    if (mass[j].item<double>() <= 0)
      throw Error("pt_bayes: class " + std::to_string(j) + " has zero weight in the training set");
  }
  means_ = d.t().mm(x) / mass.unsqueeze(1);                 // [C, D] weighted means
  auto second = d.t().mm(x * x) / mass.unsqueeze(1);        // [C, D] weighted E[x^2]
  auto variance = (second - means_ * means_).clamp_min(0);  // [C, D] weighted variances
  // sklearn GaussianNB smoothing: epsilon = var_smoothing * max_k Var(X[:, k]).
  const double epsilon = options_.var_smoothing() * x.var(0, /*unbiased=*/false).max().item<double>();
  variances_ = variance + std::max(epsilon, 1e-12);
  log_priors_ = (mass / mass.sum()).log();  // [C]
}

torch::Tensor PtBayes::predict(const data::MultimodalDataset& data) {
  TORCH_CHECK(means_.defined(), "pt_bayes: predict called before fit() or load()");
  torch::NoGradGuard no_grad;
  auto x = checked_design(data, width_, "pt_bayes");  // [M, D]
  // log N(x; mu_j, diag(var_j)) = -1/2 sum_k [ log(2 pi var_jk) + (x_k - mu_jk)^2 / var_jk ]
  auto diff = x.unsqueeze(1) - means_.unsqueeze(0);  // [M, C, D]
  auto log_likelihood = -0.5 * ((2 * M_PI * variances_).log().sum(1).unsqueeze(0) +
                                (diff * diff / variances_.unsqueeze(0)).sum(2));  // [M, C]
  // Posterior p(y_j | x) = softmax_j(log prior_j + log likelihood_j): the predicted distribution.
  return torch::softmax(log_likelihood + log_priors_.unsqueeze(0), 1).to(torch::kFloat32);
}

int64_t PtBayes::parameter_count() const {
  return 2 * classes_ * width_ + classes_;
}

void PtBayes::save(const std::string& path) const {
  TORCH_CHECK(means_.defined(), "pt_bayes: save called before fit()");
  write_archive(path, {{"means", means_}, {"variances", variances_}, {"log_priors", log_priors_}});
}

void PtBayes::load(const std::string& path) {
  auto archive = open_archive(path, "pt_bayes");
  means_ = read_tensor(archive, path, "pt_bayes", "means", {classes_, width_});
  variances_ = read_tensor(archive, path, "pt_bayes", "variances", {classes_, width_});
  log_priors_ = read_tensor(archive, path, "pt_bayes", "log_priors", {classes_});
}

// ------------------------------------------------------------------------------ maximum entropy

MaxEntEstimator::MaxEntEstimator(const data::DatasetSchema& schema, int64_t iterations, double tolerance)
    : width_(design_width(schema, "maximum-entropy model")),
      classes_(schema.num_classes()),
      iterations_(iterations),
      tolerance_(tolerance) {}

void MaxEntEstimator::fit(const data::MultimodalDataset& train, const data::MultimodalDataset&, const FitContext&) {
  auto d = checked_targets(train, classes_, name().c_str());  // [N, C]
  auto x = checked_design(train, width_, name().c_str());     // [N, D]
  // Constant part of the KL, sum_ij d_ij ln d_ij (0 ln 0 = 0): it does not move the optimum but
  // makes the objective the summed KL the papers minimise.
  const double entropy_term = torch::xlogy(d, d).sum().item<double>();
  // Convex for sa_bfgs: start at the uniform model W = 0, b = 0 (deterministic; PyLDL starts at
  // random weights, which only changes the path).
  auto weight = torch::zeros({classes_, width_}, torch::dtype(torch::kFloat64).requires_grad(true));
  auto bias = torch::zeros({classes_}, torch::dtype(torch::kFloat64).requires_grad(true));
  torch::optim::LBFGS optimizer({weight, bias}, torch::optim::LBFGSOptions(1.0)
                                                    .max_iter(iterations_)
                                                    .max_eval(iterations_ * 5 / 4 + 1)
                                                    .tolerance_grad(tolerance_)
                                                    .tolerance_change(1e-12)
                                                    .history_size(20)
                                                    .line_search_fn("strong_wolfe"));
  auto objective = [&] {
    // sum_i KL(d_i || p_i) = sum_ij d_ij ln d_ij - sum_ij d_ij log_softmax(W x_i + b)_j
    auto log_p = torch::log_softmax(x.mm(weight.t()) + bias, 1);  // [N, C]
    return entropy_term - (d * log_p).sum() + penalty(weight);
  };
  optimizer.step([&] {
    optimizer.zero_grad();
    auto loss = objective();
    loss.backward();
    return loss;
  });
  torch::NoGradGuard no_grad;
  weight_ = weight.detach().clone();
  bias_ = bias.detach().clone();
  final_objective_ = objective().item<double>();
}

torch::Tensor MaxEntEstimator::predict(const data::MultimodalDataset& data) {
  TORCH_CHECK(weight_.defined(), name(), ": predict called before fit() or load()");
  torch::NoGradGuard no_grad;
  auto x = checked_design(data, width_, name().c_str());                    // [M, D]
  return torch::softmax(x.mm(weight_.t()) + bias_, 1).to(torch::kFloat32);  // [M, C]
}

void MaxEntEstimator::save(const std::string& path) const {
  TORCH_CHECK(weight_.defined(), name(), ": save called before fit()");
  write_archive(path, {{"weight", weight_}, {"bias", bias_}});
}

void MaxEntEstimator::load(const std::string& path) {
  auto archive = open_archive(path, name());
  weight_ = read_tensor(archive, path, name(), "weight", {classes_, width_});
  bias_ = read_tensor(archive, path, name(), "bias", {classes_});
}

SaBfgs::SaBfgs(const data::DatasetSchema& schema, SaBfgsOptions options)
    : MaxEntEstimator(schema, options.iterations(), options.tolerance()), options_(options) {}

torch::Tensor SaBfgs::penalty(const torch::Tensor& weight) const {
  return options_.lambda() * weight.pow(2).sum();  // lambda ||W||_F^2
}

Ldllc::Ldllc(const data::DatasetSchema& schema, LdllcOptions options)
    : MaxEntEstimator(schema, options.iterations(), options.tolerance()), options_(options) {}

torch::Tensor Ldllc::penalty(const torch::Tensor& weight) const {
  // Jia et al. (AAAI 2018), objective of LDLLC:
  //   lambda1 ||W||_F^2 + lambda2 sum_{j<k} sgn(rho_jk) ||w_j - w_k||_2,
  // w_j = row j of W [C, D] (the weight vector of label j) and rho_jk the Pearson correlation of
  // w_j and w_k, as in the authors' code (TANG16/LDLLC lcLdlTrain.m) and PyLDL's LDLLC. sgn(rho)
  // is piecewise constant, so it carries no gradient; it is recomputed at every evaluation.
  const int64_t c = weight.size(0);
  torch::Tensor signs;
  {
    torch::NoGradGuard no_grad;
    auto centred = weight - weight.mean(1, true);                                // [C, D]
    auto norms = centred.norm(2, 1, true);                                       // [C, 1]
    auto rho = centred.mm(centred.t()) / (norms * norms.t()).clamp_min(1e-300);  // [C, C]
    // A zero-variance weight vector (e.g. W = 0 at the start) has no defined correlation: sign 0.
    auto defined = (norms > 1e-150).to(torch::kFloat64);
    signs = rho.sign() * defined * defined.t();
  }
  auto upper = torch::triu(torch::ones({c, c}, weight.options().requires_grad(false)), 1);  // j < k
  auto diff = weight.unsqueeze(1) - weight.unsqueeze(0);                                    // [C, C, D]
  // sqrt(. + 1e-12): ||.||_2 with a finite gradient at w_j = w_k (e.g. W = 0 at the start).
  auto distance = (diff.pow(2).sum(2) + 1e-12).sqrt();  // [C, C]
  return options_.lambda1() * weight.pow(2).sum() + options_.lambda2() * (upper * signs * distance).sum();
}

// ---------------------------------------------------------------------------------- registration

void register_ldl(std::vector<ModelEntry>& registry) {
  registry.push_back({"aa_knn", "AA-kNN (Geng 2016): mean of the k nearest training distributions",
                      [](const YAML::Node& n) { AaKnnOptions::from_yaml(n); },
                      [](const data::DatasetSchema& s, const YAML::Node& n) -> std::unique_ptr<Estimator> {
                        return std::make_unique<AaKnn>(s, AaKnnOptions::from_yaml(n));
                      },
                      [](const YAML::Node& n) { return AaKnnOptions::from_yaml(n).to_yaml(); }});
  registry.push_back({"pt_bayes", "PT-Bayes (Geng 2016): Gaussian naive Bayes on degree-weighted single labels",
                      [](const YAML::Node& n) { PtBayesOptions::from_yaml(n); },
                      [](const data::DatasetSchema& s, const YAML::Node& n) -> std::unique_ptr<Estimator> {
                        return std::make_unique<PtBayes>(s, PtBayesOptions::from_yaml(n));
                      },
                      [](const YAML::Node& n) { return PtBayesOptions::from_yaml(n).to_yaml(); }});
  registry.push_back({"sa_bfgs", "SA-BFGS (Geng 2016): maximum-entropy model, KL objective, L-BFGS",
                      [](const YAML::Node& n) { SaBfgsOptions::from_yaml(n); },
                      [](const data::DatasetSchema& s, const YAML::Node& n) -> std::unique_ptr<Estimator> {
                        return std::make_unique<SaBfgs>(s, SaBfgsOptions::from_yaml(n));
                      },
                      [](const YAML::Node& n) { return SaBfgsOptions::from_yaml(n).to_yaml(); }});
  registry.push_back({"ldllc", "LDLLC (Jia et al. 2018): maximum entropy + label-correlation distance penalty",
                      [](const YAML::Node& n) { LdllcOptions::from_yaml(n); },
                      [](const data::DatasetSchema& s, const YAML::Node& n) -> std::unique_ptr<Estimator> {
                        return std::make_unique<Ldllc>(s, LdllcOptions::from_yaml(n));
                      },
                      [](const YAML::Node& n) { return LdllcOptions::from_yaml(n).to_yaml(); }});
}

}  // namespace emofuse::models
