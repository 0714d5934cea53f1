// _emofuse's data loading, `train` and `Model`: the same entry points as the command-line tool
// (data/load.h, train/experiment.h, models/bundle.h), with NumPy arrays in and out.
#include <pybind11/stl.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/io.h"
#include "core/options.h"
#include "core/runtime.h"
#include "data/load.h"
#include "data/normalize.h"
#include "models/bundle.h"
#include "models/registry.h"
#include "protocol/splits.h"
#include "python/arrays.h"
#include "python/bindings.h"
#include "python/long_call.h"
#include "report/html_report.h"
#include "train/config.h"
#include "train/experiment.h"
#include "train/run_folder.h"

namespace fs = std::filesystem;

namespace emofuse::python {
namespace {

// YAML (or JSON, its subset) text from Python; `what` names it in a syntax error.
YAML::Node parse_yaml_text(const std::string& text, const std::string& what) {
  try {
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw DataError(what, "line " + std::to_string(e.mark.line + 1), e.msg);
  }
}

// ---------------------------------------------------------------------------------------- data

py::dict dataset_dict(const data::MultimodalDataset& d, const std::optional<std::map<std::string, double>>& ceiling) {
  py::dict modalities, roles;
  for (int64_t m = 0; m < d.num_modalities(); ++m) {
    modalities[py::str(d.modality(m).name)] = to_numpy(d.features(m));
    roles[py::str(d.modality(m).name)] = data::role_name(d.modality(m).role);
  }
  std::vector<std::string> subject_names;
  for (auto s : d.unique_subjects()) {
    if (static_cast<int64_t>(subject_names.size()) <= s) subject_names.resize(static_cast<std::size_t>(s) + 1);
    subject_names[static_cast<std::size_t>(s)] = d.subject_name(s);
  }
  py::dict out;
  out["modalities"] = modalities;
  out["roles"] = roles;
  out["targets"] = to_numpy(d.targets());
  out["labels"] = to_numpy(d.hard_labels());
  out["subjects"] = to_numpy(d.subjects());
  out["trials"] = to_numpy(d.trials());
  out["class_names"] = d.class_names();
  out["subject_names"] = subject_names;
  out["source"] = d.source();
  out["partitions"] = d.partitions().defined() ? py::object(to_numpy(d.partitions())) : py::object(py::none());
  out["ceiling"] = ceiling ? py::object(py::cast(*ceiling)) : py::object(py::none());
  return out;
}

py::dict load_dataset(const std::string& spec_text, uint64_t seed) {
  YAML::Node spec = parse_yaml_text(spec_text, "data");
  data::validate_data_options(spec);
  std::optional<data::LoadedData> loaded;
  {
    LongCall call;
    loaded = data::load_data(spec, seed);
  }
  return dataset_dict(loaded->dataset, loaded->ceiling);
}

// Rows given as arrays: one entry of `inputs` per modality, [N, shape...] (or flat [N, numel]).
struct ArrayRows {
  std::vector<data::ModalitySpec> specs;
  std::vector<torch::Tensor> features;
  std::vector<ArrayTensor> keep;  // the NumPy memory the features view
  int64_t rows = -1;
};

// Token ids (text modalities) are int64; every other modality float32.
torch::ScalarType modality_dtype(data::ModalityRole role) {
  return role == data::ModalityRole::kText ? torch::kInt64 : torch::kFloat32;
}

void add_rows(ArrayRows& rows, data::ModalitySpec spec, const py::handle& array) {
  auto view = tensor_view(array, modality_dtype(spec.role), "inputs['" + spec.name + "']");
  const auto& t = view.tensor;
  if (t.dim() < 2) throw DataError("inputs['" + spec.name + "']", "", "expected [samples, features...]");
  if (rows.rows >= 0 && t.size(0) != rows.rows) {
    throw DataError("inputs['" + spec.name + "']", "",
                    std::to_string(t.size(0)) + " rows, the other modalities have " + std::to_string(rows.rows));
  }
  rows.rows = t.size(0);
  if (spec.shape.empty()) spec.shape.assign(t.sizes().begin() + 1, t.sizes().end());
  rows.specs.push_back(std::move(spec));
  rows.features.push_back(t);
  rows.keep.push_back(std::move(view));
}

// The modalities a fitted model takes, in its order; names a missing or unknown one.
ArrayRows rows_for_schema(const py::dict& inputs, const data::DatasetSchema& schema) {
  std::vector<std::string> known;
  for (const auto& spec : schema.modalities) known.push_back(spec.name);
  for (const auto& [key, value] : inputs) {
    const auto name = py::str(key).cast<std::string>();
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      throw DataError("inputs", "", "unknown modality '" + name + "'; the model takes: " + join(known, ", "));
    }
  }
  ArrayRows rows;
  for (const auto& spec : schema.modalities) {
    if (!inputs.contains(spec.name)) {
      throw DataError("inputs", "", "missing modality '" + spec.name + "'; the model takes: " + join(known, ", "));
    }
    add_rows(rows, spec, py::object(inputs[py::str(spec.name)]));
  }
  return rows;
}

// The dataset views the rows' memory: `rows` (its `keep`, which owns converted copies) must
// outlive it.
data::MultimodalDataset dataset_of(const ArrayRows& rows, torch::Tensor targets, torch::Tensor subjects,
                                   std::vector<std::string> class_names) {
  const int64_t n = rows.rows;
  if (!subjects.defined()) subjects = torch::zeros({n}, torch::kInt64);
  auto trials = torch::arange(n, torch::kInt64);  // every row its own clip: no grouping is invented
  return data::MultimodalDataset(rows.specs, rows.features, std::move(targets), std::move(subjects), std::move(trials),
                                 std::move(class_names), "arrays");
}

torch::Tensor subjects_of(const py::handle& subjects, int64_t n) {
  if (subjects.is_none()) return {};
  auto s = tensor_view(subjects, torch::kInt64, "subjects").tensor.clone();
  if (s.dim() != 1 || s.size(0) != n) {
    throw DataError("subjects", "", "expected " + std::to_string(n) + " subject ids, one per row");
  }
  if (n > 0 && s.min().item<int64_t>() < 0) throw DataError("subjects", "", "ids must be >= 0");
  return s;
}

// --------------------------------------------------------------------------------------- Model

// A fitted model: what a bundle holds (models/bundle.h), fitted in Python or loaded from disk.
struct Model {
  std::string model_name;
  YAML::Node options;
  data::DatasetSchema schema;
  data::Standardizer standardizer;
  std::unique_ptr<models::Estimator> estimator;
  bool normalize_per_subject = false;

  py::array predict(const py::dict& inputs, const py::handle& subjects) {
    ArrayRows rows = rows_for_schema(inputs, schema);
    const int64_t n = rows.rows;
    auto subject_ids = subjects_of(subjects, n);
    if (normalize_per_subject && !subject_ids.defined()) {
      throw OptionError("subjects", "the model was trained on features z-scored per subject: give each row's subject");
    }
    const auto c = schema.num_classes();
    auto targets = torch::full({n, c}, 1.0 / static_cast<double>(c), torch::kFloat32);  // not read by predict
    auto data = dataset_of(rows, targets, subject_ids, schema.class_names);
    torch::Tensor predictions;
    {
      LongCall call;
      if (normalize_per_subject) data = data::normalize_per_subject(data);
      predictions = estimator->predict(standardizer.apply(data));
    }
    return to_numpy(predictions);
  }

  void save(const std::string& dir) const {
    LongCall call;
    models::save_model_bundle(dir, model_name, options, schema, standardizer, *estimator, {},
                              models::BundleProvenance{"fitted from Python", {}, normalize_per_subject});
  }

  std::vector<py::tuple> modalities() const {
    std::vector<py::tuple> out;
    for (const auto& spec : schema.modalities)
      out.push_back(py::make_tuple(spec.name, data::role_name(spec.role), spec.shape));
    return out;
  }
};

std::unique_ptr<Model> load_model(const std::string& dir) {
  auto model = std::make_unique<Model>();
  models::ModelBundle bundle;
  {
    LongCall call;
    bundle = models::load_model_bundle(dir);
  }
  model->model_name = bundle.model_name;
  model->options = bundle.model_options;
  model->schema = bundle.schema;
  model->standardizer = bundle.standardizer;
  model->estimator = std::move(bundle.estimator);
  model->normalize_per_subject = bundle.provenance && bundle.provenance->normalize_per_subject;
  return model;
}

// Fits model `name` on arrays, as a run's final model is fitted (train/experiment.h): features
// standardised on the training rows; validation rows (for early stopping) held out from the
// given rows, by subject when there are several subjects, else by row.
std::unique_ptr<Model> fit_model(const std::string& name, const std::string& options_text,
                                 const std::string& training_text, uint64_t seed, int threads,
                                 double validation_fraction, const py::dict& inputs,
                                 const std::map<std::string, std::string>& roles, const py::handle& targets,
                                 const py::handle& subjects, const std::vector<std::string>& class_names) {
  YAML::Node root;
  root["seed"] = seed;
  root["model"]["name"] = name;
  root["model"]["options"] = parse_yaml_text(options_text, "options");
  root["training"] = parse_yaml_text(training_text, "training");
  root["data"]["format"] = "synthetic";  // parse_experiment_config wants a data section; unused here
  if (!root["training"].IsMap()) root["training"] = YAML::Node(YAML::NodeType::Map);
  if (!root["model"]["options"].IsMap()) root["model"]["options"] = YAML::Node(YAML::NodeType::Map);
  const auto config = train::parse_experiment_config(root);
  protocol::ProtocolOptions protocol;
  protocol.validation_fraction = validation_fraction;
  protocol.seed = seed;
  validate_thread_count(threads, "threads");

  for (const auto& [modality, role] : roles) {
    if (!inputs.contains(modality)) throw OptionError("roles", "names '" + modality + "', which is not an input");
  }
  ArrayRows rows;
  for (const auto& [key, value] : inputs) {
    data::ModalitySpec spec;
    spec.name = py::str(key).cast<std::string>();
    auto role = roles.find(spec.name);
    spec.role = role == roles.end() ? data::ModalityRole::kOther : data::role_from_name(role->second, "roles");
    add_rows(rows, spec, value);
  }
  if (rows.specs.empty()) throw DataError("inputs", "", "no modality given");
  for (auto& f : rows.features) f = f.clone();  // the model may keep training rows (kNN methods)
  const int64_t n = rows.rows;
  auto target_rows = tensor_view(targets, torch::kFloat32, "targets").tensor.clone();
  if (target_rows.dim() != 2 || target_rows.size(0) != n) {
    throw DataError("targets", "",
                    "expected [" + std::to_string(n) + ", classes], got " + c10::str(target_rows.sizes()));
  }
  if (static_cast<int64_t>(class_names.size()) != target_rows.size(1)) {
    throw OptionError("class_names", std::to_string(class_names.size()) + " names for " +
                                         std::to_string(target_rows.size(1)) + " target columns");
  }
  auto subject_ids = subjects_of(subjects, n);
  const bool by_subject = subject_ids.defined() && std::get<0>(torch::_unique(subject_ids)).numel() > 1;
  protocol.name = by_subject ? "loso" : "kfold";
  protocol.validate();
  auto dataset = dataset_of(rows, target_rows, subject_ids, class_names);

  auto model = std::make_unique<Model>();
  model->model_name = name;
  model->options = config.model_options;
  model->schema = dataset.schema();
  {
    LongCall call;
    set_thread_count(threads);
    const auto split = protocol::make_final_split(dataset, protocol);
    auto train_raw = dataset.subset(split.train);
    model->standardizer.fit(train_raw);
    model->estimator = models::find_model(name).build(dataset.schema(), config.model_options);
    models::FitContext context;
    context.trainer = &config.training;
    context.fold_name = name + " (Python fit)";
    context.seed = mix_seed(seed, 0);
    model->estimator->fit(model->standardizer.apply(train_raw),
                          model->standardizer.apply(dataset.subset(split.validation)), context);
  }
  return model;
}

// ---------------------------------------------------------------------------------------- train

// `emofuse train` from Python: the config file or text, the --set overrides, then the run; returns
// the run folder (its metrics.json holds every result).
std::string train_run(const std::string& config_path, const std::string& config_text,
                      const std::vector<std::string>& sets, const std::string& run_dir, bool resume, bool overwrite,
                      bool quiet, std::optional<int> threads, bool report) {
  YAML::Node root = !config_path.empty() ? load_yaml_file(config_path) : parse_yaml_text(config_text, "config");
  if (!root.IsMap()) root = YAML::Node(YAML::NodeType::Map);
  if (!root["data"]) root["data"]["format"] = "synthetic";
  std::vector<std::string> notes;
  train::apply_overrides(root, sets, &notes);
  if (threads) root["threads"] = *threads;
  if (!run_dir.empty()) root["output"]["run_dir"] = run_dir;
  const auto config = train::parse_experiment_config(root);
  LongCall call;
  for (const auto& note : notes) std::cerr << "note: " << note << "\n";
  set_thread_count(config.threads);
  train::RunFolder folder(config, resume, overwrite);
  auto loaded = data::load_data(config.data, config.seed, config.run_dir);
  std::cerr << "data: " << loaded.dataset.source() << ", " << loaded.dataset.size() << " samples, "
            << loaded.dataset.unique_subjects().size() << " subjects\n";
  train::RunOptions run;
  run.resume = resume;
  run.overwrite = overwrite;
  run.quiet = quiet;
  run.folder = &folder;
  run.ceiling = loaded.ceiling;
  std::optional<train::ExperimentResult> result;
  try {
    result = train::run_experiment(config, loaded.dataset, run);
  } catch (const Interrupted&) {
    folder.keep_interrupted();  // Ctrl-C: the checkpoints stay for resume, as after a killed CLI run
    throw;
  }
  if (report) report::write_report({result->run_dir}, (fs::path(result->run_dir) / "report.html").string());
  return result->run_dir;
}

}  // namespace

void bind_models(py::module_& m) {
  m.def("load_data", &load_dataset, py::arg("spec"), py::arg("seed") = 0,
        "Loads the dataset a `data:` section (YAML or JSON text) describes; returns a dict of arrays.");
  m.def("data_formats", &data::data_formats);
  m.def("model_names", [] {
    std::vector<std::string> names;
    for (const auto& entry : models::model_registry()) names.push_back(entry.name);
    return names;
  });
  m.def(
      "model_options",
      [](const std::string& name, const std::string& options_text) {
        return YAML::Dump(models::resolved_model_options(name, parse_yaml_text(options_text, "options")));
      },
      py::arg("name"), py::arg("options") = "{}", "Model `name`'s options with every default filled in (YAML).");
  m.def("train", &train_run, py::arg("config_path") = "", py::arg("config_text") = "",
        py::arg("sets") = std::vector<std::string>(), py::arg("run_dir") = "", py::arg("resume") = false,
        py::arg("overwrite") = false, py::arg("quiet") = false, py::arg("threads") = py::none(),
        py::arg("report") = true);
  py::class_<Model>(m, "Model", "A fitted model: predict, save (a bundle `emofuse predict` reads)")
      .def_readonly("name", &Model::model_name)
      .def_property_readonly("class_names", [](const Model& model) { return model.schema.class_names; })
      .def_property_readonly("modalities", &Model::modalities, "(name, role, shape) per input modality")
      .def_property_readonly("options", [](const Model& model) { return YAML::Dump(model.options); })
      .def_property_readonly("parameter_count", [](const Model& model) { return model.estimator->parameter_count(); })
      .def_readonly("normalize_per_subject", &Model::normalize_per_subject)
      .def("predict", &Model::predict, py::arg("inputs"), py::arg("subjects") = py::none(),
           "Predicted distributions [N, C] for a dict of modality arrays [N, ...].")
      .def("save", &Model::save, py::arg("dir"));
  m.def("load_model", &load_model, py::arg("dir"), "Loads a model bundle (a run's folds/NN_*/model or model/).");
  m.def("fit_model", &fit_model, py::arg("name"), py::arg("options"), py::arg("training"), py::arg("seed"),
        py::arg("threads"), py::arg("validation_fraction"), py::arg("inputs"), py::arg("roles"), py::arg("targets"),
        py::arg("subjects"), py::arg("class_names"));
}

}  // namespace emofuse::python
