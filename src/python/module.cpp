// The compiled part of the `emofuse` Python package (python/emofuse/ wraps it): errors, threads,
// metrics and optimal transport here; signal.cpp, models.cpp bind the rest. Arrays cross as NumPy
// arrays (arrays.h); long computations release the GIL and log through Python (long_call.h).
#include <pybind11/stl.h>

#include <map>
#include <string>

#include "core/build_info.h"
#include "core/error.h"
#include "core/memory.h"
#include "core/runtime.h"
#include "metrics/metrics.h"
#include "ot/gromov_wasserstein.h"
#include "ot/ipot.h"
#include "ot/sinkhorn.h"
#include "python/arrays.h"
#include "python/bindings.h"
#include "python/long_call.h"

namespace emofuse::python {
namespace {

// ------------------------------------------------------------------------------------- metrics

// Predictions and targets [N, C] of the same shape, as float64 tensors.
std::pair<ArrayTensor, ArrayTensor> distribution_pair(const py::handle& predictions, const py::handle& targets) {
  auto p = tensor_view(predictions, torch::kFloat64, "predictions");
  auto t = tensor_view(targets, torch::kFloat64, "targets");
  if (p.tensor.dim() != 2) throw DataError("predictions", "", "expected a 2-D array [samples, classes]");
  if (p.tensor.sizes() != t.tensor.sizes()) {
    throw DataError(
        "targets", "",
        "shape " + c10::str(t.tensor.sizes()) + " differs from the predictions' " + c10::str(p.tensor.sizes()));
  }
  return {p, t};
}

torch::Tensor labels_of(const py::handle& labels, const std::string& name, int64_t num_classes) {
  auto l = tensor_view(labels, torch::kInt64, name).tensor.clone();
  if (l.dim() != 1) throw DataError(name, "", "expected a 1-D array of class indices");
  if (l.numel() > 0 && (l.min().item<int64_t>() < 0 || l.max().item<int64_t>() >= num_classes)) {
    throw DataError(name, "", "class indices must lie in [0, " + std::to_string(num_classes) + ")");
  }
  return l;
}

py::dict report_dict(const metrics::ClassificationReport& r) {
  py::dict d;
  for (const auto& [name, value] : r.scalars()) d[py::str(name)] = value;
  d["precision"] = r.precision;
  d["recall"] = r.recall;
  d["f1"] = r.f1;
  d["support"] = r.support;
  d["confusion"] = to_numpy(r.confusion);
  return d;
}

void bind_metrics(py::module_& root) {
  auto m = root.def_submodule("metrics", "Distribution and classification metrics (metrics/metrics.h)");
  m.def("distribution_metric_names", &metrics::distribution_metric_names);
  m.def("classification_metric_names", &metrics::classification_metric_names);
  m.def("lower_is_better", &metrics::lower_is_better, py::arg("metric"));
  m.def(
      "per_sample",
      [](const std::string& metric, const py::handle& predictions, const py::handle& targets) {
        metrics::check_metric_name(metric, "metric");
        auto [p, t] = distribution_pair(predictions, targets);
        return to_numpy(metrics::distribution_metric_per_sample(metric, p.tensor, t.tensor));
      },
      py::arg("metric"), py::arg("predictions"), py::arg("targets"),
      "Per-sample values [N] of one distribution metric for predictions and targets [N, C].");
  m.def(
      "distribution_metrics",
      [](const py::handle& predictions, const py::handle& targets) {
        auto [p, t] = distribution_pair(predictions, targets);
        return metrics::distribution_metrics(p.tensor, t.tensor);
      },
      py::arg("predictions"), py::arg("targets"), "Mean over samples of the six distribution metrics.");
  m.def(
      "evaluate",
      [](const py::handle& predictions, const py::handle& targets, const py::handle& labels) {
        auto [p, t] = distribution_pair(predictions, targets);
        auto truth = labels.is_none() ? t.tensor.argmax(1) : labels_of(labels, "labels", t.tensor.size(1));
        return metrics::evaluate_predictions(p.tensor, t.tensor, truth);
      },
      py::arg("predictions"), py::arg("targets"), py::arg("labels") = py::none(),
      "Every metric: the six distribution metrics and accuracy, macro_f1, weighted_f1, uar "
      "(labels default to the targets' argmax).");
  m.def(
      "classification_report",
      [](const py::handle& predicted, const py::handle& truth, int64_t num_classes) {
        require_option(num_classes >= 1, "num_classes", "must be >= 1");
        auto p = labels_of(predicted, "predicted", num_classes);
        auto t = labels_of(truth, "truth", num_classes);
        if (p.sizes() != t.sizes()) throw DataError("truth", "", "length differs from the predicted labels'");
        return report_dict(metrics::classification_report(p, t, num_classes));
      },
      py::arg("predicted"), py::arg("truth"), py::arg("num_classes"),
      "Accuracy, macro/weighted F1, UAR, per-class precision/recall/F1/support and the confusion "
      "matrix (rows = true class) for predicted and true class indices.");
}

// ------------------------------------------------------------------------------------------ ot

// A cost [n, m] or [B, n, m] and marginals [n] / [B, n] (uniform when None), as float64
// batched tensors; `batched` tells whether the caller gave a batch.
struct TransportProblem {
  torch::Tensor cost, a, b;
  bool batched = false;
};

torch::Tensor marginal(const py::handle& value, int64_t batch, int64_t n, bool batched, const std::string& name) {
  if (value.is_none()) return torch::full({batch, n}, 1.0 / static_cast<double>(n), torch::kFloat64);
  auto t = tensor_view(value, torch::kFloat64, name).tensor.clone();
  if (!batched) t = t.unsqueeze(0);
  if (t.dim() != 2 || t.size(0) != batch || t.size(1) != n) {
    throw DataError(name, "",
                    "expected " + std::string(batched ? "[B, " : "[") + std::to_string(n) +
                        "] to match the cost, got " + c10::str(t.sizes()));
  }
  return t;
}

TransportProblem transport_problem(const py::handle& cost, const py::handle& a, const py::handle& b,
                                   const std::string& cost_name = "cost") {
  TransportProblem p;
  p.cost = tensor_view(cost, torch::kFloat64, cost_name).tensor.clone();
  if (p.cost.dim() != 2 && p.cost.dim() != 3) throw DataError(cost_name, "", "expected [n, m] or [B, n, m]");
  p.batched = p.cost.dim() == 3;
  if (!p.batched) p.cost = p.cost.unsqueeze(0);
  if (p.cost.size(1) == 0 || p.cost.size(2) == 0) throw DataError(cost_name, "", "empty");
  if (!torch::isfinite(p.cost).all().item<bool>()) throw DataError(cost_name, "", "holds NaN or Inf");
  p.a = marginal(a, p.cost.size(0), p.cost.size(1), p.batched, "a");
  p.b = marginal(b, p.cost.size(0), p.cost.size(2), p.batched, "b");
  return p;
}

py::array unbatched(const torch::Tensor& t, bool batched) {
  return to_numpy(batched ? t : t.squeeze(0));
}

void bind_ot(py::module_& root) {
  auto m = root.def_submodule("ot", "Optimal transport solvers (ot/): Sinkhorn, IPOT, Gromov-Wasserstein");
  m.def(
      "sinkhorn",
      [](const py::handle& cost, const py::handle& a, const py::handle& b, double epsilon, int64_t iterations,
         double tolerance, double epsilon_scaling) {
        auto p = transport_problem(cost, a, b);
        ot::SinkhornResult r;
        {
          LongCall call;
          r = ot::sinkhorn_log(p.cost, p.a, p.b,
                               ot::SinkhornOptions()
                                   .epsilon(epsilon)
                                   .iterations(iterations)
                                   .tolerance(tolerance)
                                   .epsilon_scaling(epsilon_scaling)
                                   .differentiable(false));
        }
        py::dict d;
        d["plan"] = unbatched(r.plan, p.batched);
        d["transport_cost"] = unbatched(r.transport_cost, p.batched);
        d["f"] = unbatched(r.f, p.batched);
        d["g"] = unbatched(r.g, p.batched);
        d["iterations"] = r.iterations;
        d["marginal_error"] = r.marginal_error;
        return d;
      },
      py::arg("cost"), py::arg("a") = py::none(), py::arg("b") = py::none(), py::arg("epsilon") = 0.1,
      py::arg("iterations") = 100, py::arg("tolerance") = 1e-6, py::arg("epsilon_scaling") = 1.0);
  m.def(
      "ipot",
      [](const py::handle& cost, const py::handle& a, const py::handle& b, double beta, int64_t outer_iterations,
         int64_t inner_iterations) {
        auto p = transport_problem(cost, a, b);
        ot::IpotResult r;
        {
          LongCall call;
          r = ot::ipot(p.cost, p.a, p.b,
                       ot::IpotOptions()
                           .beta(beta)
                           .outer_iterations(outer_iterations)
                           .inner_iterations(inner_iterations)
                           .differentiable(false));
        }
        py::dict d;
        d["plan"] = unbatched(r.plan, p.batched);
        d["transport_cost"] = unbatched(r.transport_cost, p.batched);
        d["marginal_error"] = r.marginal_error;
        return d;
      },
      py::arg("cost"), py::arg("a") = py::none(), py::arg("b") = py::none(), py::arg("beta") = 1.0,
      py::arg("outer_iterations") = 50, py::arg("inner_iterations") = 1);
  m.def(
      "gromov_wasserstein",
      [](const py::handle& c1, const py::handle& c2, const py::handle& a, const py::handle& b, double regularization,
         int64_t outer_iterations, int64_t inner_iterations, const std::string& inner_solver) {
        require_option(inner_solver == "ipot" || inner_solver == "sinkhorn", "inner_solver",
                       "must be ipot or sinkhorn, got " + inner_solver);
        auto p1 = transport_problem(c1, a, py::none(), "c1");
        auto p2 = transport_problem(c2, b, py::none(), "c2");
        if (p1.batched != p2.batched || p1.cost.size(0) != p2.cost.size(0)) {
          throw DataError("c2", "", "batch differs from c1's");
        }
        if (p1.cost.size(1) != p1.cost.size(2) || p2.cost.size(1) != p2.cost.size(2)) {
          throw DataError(p1.cost.size(1) != p1.cost.size(2) ? "c1" : "c2", "", "intra-set costs must be square");
        }
        ot::GromovWassersteinResult r;
        {
          LongCall call;
          r = ot::entropic_gromov_wasserstein(
              p1.cost, p2.cost, p1.a, p2.a,
              ot::GromovWassersteinOptions()
                  .regularization(regularization)
                  .outer_iterations(outer_iterations)
                  .inner_iterations(inner_iterations)
                  .inner_solver(inner_solver == "ipot" ? ot::GwInnerSolver::kIpot : ot::GwInnerSolver::kSinkhorn));
        }
        py::dict d;
        d["plan"] = unbatched(r.plan, p1.batched);
        d["distance"] = unbatched(r.distance, p1.batched);
        return d;
      },
      py::arg("c1"), py::arg("c2"), py::arg("a") = py::none(), py::arg("b") = py::none(),
      py::arg("regularization") = 0.1, py::arg("outer_iterations") = 5, py::arg("inner_iterations") = 20,
      py::arg("inner_solver") = "ipot");
}

}  // namespace

void bind_errors(py::module_& m) {
  static py::exception<Error> error(m, "Error", PyExc_RuntimeError);
  static py::exception<DataError> data_error(m, "DataError", error.ptr());
  static py::exception<OptionError> option_error(m, "OptionError", error.ptr());
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (PythonInterrupt& e) {
      e.error.restore();  // KeyboardInterrupt
    } catch (const OptionError& e) {
      option_error(e.what());
    } catch (const DataError& e) {
      data_error(e.what());
    } catch (const Error& e) {
      error(e.what());
    } catch (const c10::Error& e) {
      // LibTorch's checks (bad shapes, bad values): the message without LibTorch's C++ backtrace.
      PyErr_SetString(PyExc_ValueError, e.what_without_backtrace());
    }
  });
}

}  // namespace emofuse::python

PYBIND11_MODULE(_emofuse, m) {
  namespace py = pybind11;
  using namespace emofuse::python;
  m.doc() = "emofuse's C++ core; use it through the `emofuse` package";
  // Training from Python allocates as the CLI does: keep LibTorch's per-step buffers mapped.
  emofuse::reuse_freed_memory();
  bind_errors(m);
  m.def("set_threads", &emofuse::set_thread_count, py::arg("threads"),
        "LibTorch's (and OpenBLAS's) thread count; 0 = all cores. Returns the count in effect.");
  m.def("build_commit", &emofuse::build_commit);
  m.def("blas_library", &emofuse::blas_library_name);
  bind_metrics(m);
  bind_ot(m);
  bind_signal(m);
  bind_models(m);
}
