#include "models/lsgmer/predict_text.h"

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <iomanip>
#include <sstream>

#include "core/error.h"
#include "core/io.h"
#include "core/options.h"
#include "data/meld.h"
#include "models/bundle.h"
#include "models/lsgmer/lsgmer.h"
#include "text/tokenizer.h"

namespace emofuse::models::lsgmer {

namespace fs = std::filesystem;

namespace {

// The lines of `path` as tokenize_lines reads them (std::getline), without a trailing '\r'.
std::vector<std::string> read_lines(const std::string& path) {
  if (!fs::exists(path)) throw DataError(path, "", "file not found");
  if (fs::is_directory(path)) throw DataError(path, "", "is a folder, expected a text file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw DataError(path, "", "cannot open file");
  std::vector<std::string> lines;
  std::string line;
  bool any_text = false;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    any_text |= line.find_first_not_of(" \t") != std::string::npos;
    lines.push_back(line);
  }
  if (!any_text) {
    throw DataError(path, "", "no utterances (the file is empty or blank); expected one per line");
  }
  return lines;
}

// data.context_window of the run that wrote the bundle: <run>/model or <run>/folds/NN/model.
void resolve_context(const std::string& bundle_dir, TextPredictions& out) {
  const fs::path bundle = fs::absolute(bundle_dir).lexically_normal();
  for (const fs::path& config :
       {bundle.parent_path() / "config.yaml", bundle.parent_path().parent_path().parent_path() / "config.yaml"}) {
    if (!fs::exists(config)) continue;
    const YAML::Node root = load_yaml_file(config.string());  // DataError naming file and line
    out.context_source = config.string();
    const auto node = root["data"]["context_window"];
    if (!node) return;  // the loader's default, 0
    try {
      out.context_window = node.as<int>();
    } catch (const YAML::Exception&) {
      throw DataError(config.string(), "field 'data.context_window'", "expected an integer");
    }
    if (out.context_window < 0) {
      throw DataError(config.string(), "field 'data.context_window'", "must be >= 0");
    }
    return;
  }
  out.context_source = "default (no config.yaml next to the bundle)";
}

}  // namespace

TextPredictions text_predict(const std::string& bundle_dir, const std::string& text_file,
                             const TextPredictOptions& options) {
  require_option(options.context_window >= -1, "--context-window", "must be >= 0");
  TextPredictions out;
  out.lines = read_lines(text_file);  // before the (slower) model load

  const fs::path bundle_path(bundle_dir);
  const std::string yaml_path = (bundle_path / "model.yaml").string();
  auto bundle = load_model_bundle(bundle_dir);
  const auto& schema = bundle.schema;
  std::string inputs;
  for (const auto& m : schema.modalities) {
    inputs += (inputs.empty() ? "" : ", ") + m.name + " (" + data::role_name(m.role) + ")";
  }
  if (schema.modalities.size() != 1 || schema.modalities[0].role != data::ModalityRole::kText) {
    throw DataError(yaml_path, "field 'schema'",
                    "not a text-only model: it reads " + inputs + "; --text supplies one text modality (token ids)");
  }
  const auto& spec = schema.modalities[0];
  const YAML::Node text_input = bundle.model_options.IsMap() ? bundle.model_options["text_input"] : YAML::Node();
  const bool tokens =
      !text_input || parse_choice(text_input.as<std::string>(), yaml_path + ": model.options.text_input",
                                  kTextInputs) == TextInput::kTokens;
  if (spec.shape.size() != 1 || !tokens) {
    throw DataError(yaml_path, "field 'model.options.text_input'",
                    "the model reads precomputed text features, not token ids; it cannot label "
                    "raw utterances");
  }
  const std::string tokenizer = (bundle_path / text::Tokenizer::kModelFile).string();
  if (!fs::exists(tokenizer)) {
    throw DataError(tokenizer, "",
                    "file not found: the bundle has no tokenizer, so it was not trained on token "
                    "ids from raw text");
  }

  if (options.context_window >= 0) {
    out.context_window = options.context_window;
    out.context_source = "--context-window";
  } else {
    resolve_context(bundle_dir, out);
  }
  const int max_tokens = static_cast<int>(spec.shape[0]);
  auto ids = data::tokenize_lines(text_file, tokenizer, max_tokens, out.context_window);
  const int64_t n = ids.size(0), c = schema.num_classes();
  TORCH_CHECK(n == static_cast<int64_t>(out.lines.size()), "text_predict: tokenize_lines gave ", n, " rows for ",
              out.lines.size(), " lines");

  // A dataset of the unlabelled lines: uniform placeholder targets (never scored), one trial per
  // line, all from one "speaker".
  data::MultimodalDataset dataset(schema.modalities, {ids}, torch::full({n, c}, 1.0 / static_cast<double>(c)),
                                  torch::zeros({n}, torch::kInt64), torch::arange(n, torch::kInt64), schema.class_names,
                                  text_file);
  out.probabilities = bundle.estimator->predict(bundle.standardizer.apply(dataset));
  out.class_names = schema.class_names;
  return out;
}

std::string text_predictions_csv(const TextPredictions& predictions) {
  const auto& p = predictions.probabilities;
  TORCH_CHECK(p.dim() == 2 && p.size(0) == static_cast<int64_t>(predictions.lines.size()) &&
                  p.size(1) == static_cast<int64_t>(predictions.class_names.size()),
              "text_predictions_csv: probabilities ", p.sizes(), " do not match ", predictions.lines.size(),
              " lines and ", predictions.class_names.size(), " classes");
  std::ostringstream out;
  out << std::setprecision(6) << "line,predicted";
  for (const auto& name : predictions.class_names) out << ",p_" << csv_escape(name);
  out << ",text\n";
  auto probs = p.to(torch::kDouble).contiguous();
  auto a = probs.accessor<double, 2>();
  const auto best = probs.argmax(1);
  const auto best_of = best.accessor<int64_t, 1>();
  for (int64_t i = 0; i < probs.size(0); ++i) {
    out << (i + 1) << "," << csv_escape(predictions.class_names[best_of[i]]);
    for (int64_t k = 0; k < probs.size(1); ++k) out << "," << a[i][k];
    out << "," << csv_escape(predictions.lines[i]) << "\n";
  }
  return out.str();
}

}  // namespace emofuse::models::lsgmer
