#include "train/config.h"

#include <cctype>

#include "core/error.h"
#include "core/options.h"
#include "core/runtime.h"
#include "data/load.h"
#include "models/registry.h"

namespace emofuse::train {

namespace {

// "a.b.c=value" -> ("a.b.c", value parsed as YAML). Throws OptionError for a malformed assignment.
std::pair<std::string, YAML::Node> parse_assignment(const std::string& assignment) {
  const auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0) {
    throw OptionError("--set", "expected key.path=value, got '" + assignment + "'");
  }
  const std::string key = assignment.substr(0, eq), text = assignment.substr(eq + 1);
  try {
    return {key, YAML::Load(text)};
  } catch (const YAML::Exception& e) {
    throw OptionError(key, "cannot parse value '" + text + "': " + e.msg);
  }
}

// Sets root[a][b][c] = value for key "a.b.c", creating (or replacing non-map) parents.
void set_path(YAML::Node& root, const std::string& key, const YAML::Node& value) {
  if (!root.IsDefined() || root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    auto dot = key.find('.', start);
    parts.push_back(key.substr(start, dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  // Walk with fresh handles (yaml-cpp node assignment rebinds, so build a chain of copies).
  std::vector<YAML::Node> chain{root};
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    if (parts[i].empty()) throw OptionError("--set", "empty key part in '" + key + "'");
    YAML::Node next = chain.back()[parts[i]];
    if (!next.IsDefined() || next.IsNull() || !next.IsMap()) {
      chain.back()[parts[i]] = YAML::Node(YAML::NodeType::Map);
      next = chain.back()[parts[i]];
    }
    chain.push_back(next);
  }
  chain.back()[parts.back()] = value;
}

// node[key] read without creating anything; undefined when `node` is not a map or lacks `key`.
YAML::Node child(const YAML::Node& node, const std::string& key) {
  if (!node.IsDefined() || !node.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
  const YAML::Node& map = node;
  return map[key];
}

std::string scalar_or(const YAML::Node& node, const std::string& fallback) {
  return node.IsDefined() && node.IsScalar() ? node.Scalar() : fallback;
}

// `name` with every whole-word occurrence of `from` (bounded by an end or by a character other
// than a letter or digit) replaced by `to`: helo_wesad -> mlp_early_wesad. Without one, "_<to>"
// is appended: my_run -> my_run_mlp_early.
std::string follow_model(const std::string& name, const std::string& from, const std::string& to) {
  const auto word_char = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  std::string out;
  size_t pos = 0;
  bool replaced = false;
  for (auto hit = name.find(from); !from.empty() && hit != std::string::npos; hit = name.find(from, hit + 1)) {
    const size_t after = hit + from.size();
    if (hit < pos || (hit > 0 && word_char(name[hit - 1])) || (after < name.size() && word_char(name[after]))) continue;
    out += name.substr(pos, hit - pos) + to;
    pos = after;
    replaced = true;
  }
  return replaced ? out + name.substr(pos) : name + "_" + to;
}

}  // namespace

void apply_override(YAML::Node& root, const std::string& assignment) {
  const auto [key, value] = parse_assignment(assignment);
  set_path(root, key, value);
}

void apply_overrides(YAML::Node& root, const std::vector<std::string>& assignments, std::vector<std::string>* notes) {
  if (!root.IsDefined() || root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
  const ExperimentConfig defaults;
  const std::string file_model = scalar_or(child(child(root, "model"), "name"), defaults.model_name);
  const std::string file_name = scalar_or(child(root, "name"), "");
  const YAML::Node file_run_dir = child(child(root, "output"), "run_dir");

  // What the assignments set, all parsed (and malformed ones reported) before any is applied.
  std::vector<std::pair<std::string, YAML::Node>> parsed;
  std::string model = file_model;
  bool sets_name = false, sets_run_dir = false, sets_model_options = false;
  for (const auto& assignment : assignments) {
    auto [key, value] = parse_assignment(assignment);
    if (key == "model.name") model = scalar_or(value, model);
    if (key == "model") model = scalar_or(child(value, "name"), defaults.model_name);
    sets_name = sets_name || key == "name";
    sets_run_dir = sets_run_dir || key == "output.run_dir" || (key == "output" && child(value, "run_dir").IsDefined());
    sets_model_options = sets_model_options || key.rfind("model.options", 0) == 0;
    parsed.emplace_back(std::move(key), std::move(value));
  }
  const bool switched = model != file_model;
  auto note = [&](const std::string& line) {
    if (notes) notes->push_back(line);
  };

  // Options of one model mean nothing to another: the new model starts from its defaults, plus the
  // model.options.* assignments (whether given before or after model.name).
  if (switched && child(child(root, "model"), "options").IsDefined()) {
    const YAML::Node options = child(child(root, "model"), "options");
    std::string keys;
    if (options.IsMap()) {
      for (const auto& kv : options) keys += (keys.empty() ? "" : ", ") + kv.first.as<std::string>();
    }
    root["model"].remove("options");
    if (!keys.empty()) {
      note("model.name changed from " + file_model + " to " + model + ": the config's model.options (" + keys +
           ") are dropped; " + model + " starts from its defaults" +
           (sets_model_options ? " and the model.options given with --set" : ""));
    }
  }
  for (const auto& [key, value] : parsed) set_path(root, key, value);

  // The run name (and with it the default run folder runs/<name>) follows the model, so a run of
  // another model is never labelled, or written over, as the file's run. Without a name in the
  // file the name defaults to the model's anyway.
  if (switched && !sets_name && !file_name.empty()) {
    const std::string name = follow_model(file_name, file_model, model);
    root["name"] = name;
    const bool own_run_dir = file_run_dir.IsDefined() || sets_run_dir;
    note("name changed from " + file_name + " to " + name + " to follow model.name" +
         (own_run_dir ? "" : " (default run folder runs/" + name + ")") + "; set name=... to choose another");
  }
  if (switched && file_run_dir.IsDefined() && !sets_run_dir) {
    note("output.run_dir stays " + scalar_or(file_run_dir, "as given") +
         " as the config sets it, although model.name changed");
  }
}

ExperimentConfig parse_experiment_config(const YAML::Node& root) {
  OptionReader r(root, "");
  ExperimentConfig c;
  c.name = r.get<std::string>("name", "");
  c.seed = r.get<uint64_t>("seed", c.seed);
  c.threads = r.get<int>("threads", c.threads);
  validate_thread_count(c.threads);

  c.data = r.node("data");
  if (!c.data.IsDefined()) throw OptionError("data", "required: the data section (e.g. {format: synthetic})");
  data::validate_data_options(c.data);

  OptionReader p(r.node("protocol"), "protocol");
  c.protocol.name = p.get<std::string>("name", c.protocol.name);
  c.protocol.folds = p.get<int64_t>("folds", c.protocol.folds);
  c.protocol.validation_fraction = p.get<double>("validation_fraction", c.protocol.validation_fraction);
  c.protocol.max_folds = p.get<int64_t>("max_folds", c.protocol.max_folds);
  c.protocol.seed = c.seed;
  p.finish();
  c.protocol.validate();

  OptionReader m(r.node("model"), "model");
  c.model_name = m.get<std::string>("name", c.model_name);
  c.model_options = m.node("options");
  m.finish();
  models::find_model(c.model_name).validate_options(c.model_options);
  if (c.name.empty()) c.name = c.model_name;

  OptionReader t(r.node("training"), "training");
  auto& o = c.training;
  o.optimizer(t.choice("optimizer", o.optimizer(), models::kOptimizerKinds));
  o.learning_rate(t.get<double>("learning_rate", o.learning_rate()));
  o.weight_decay(t.get<double>("weight_decay", o.weight_decay()));
  o.epochs(t.get<int64_t>("epochs", o.epochs()));
  o.batch_size(t.get<int64_t>("batch_size", o.batch_size()));
  o.eval_batch_size(t.get<int64_t>("eval_batch_size", o.eval_batch_size()));
  o.grad_clip(t.get<double>("grad_clip", o.grad_clip()));
  o.schedule(t.choice("schedule", o.schedule(), models::kLrSchedules));
  o.warmup_epochs(t.get<int64_t>("warmup_epochs", o.warmup_epochs()));
  o.step_size(t.get<int64_t>("step_size", o.step_size()));
  o.step_gamma(t.get<double>("step_gamma", o.step_gamma()));
  o.decay_gamma(t.get<double>("decay_gamma", o.decay_gamma()));
  o.patience(t.get<int64_t>("patience", o.patience()));
  // Omitted, these default to min(default, epochs) so short runs stay valid; given, they are checked.
  o.min_epochs(t.get<int64_t>("min_epochs", std::min(o.min_epochs(), o.epochs())));
  o.smoothing(t.get<int64_t>("smoothing", std::min(o.smoothing(), o.epochs())));
  o.monitor(t.get<std::string>("monitor", o.monitor()));
  o.loss_reduction(t.choice("loss_reduction", o.loss_reduction(), models::kLossReductions));
  o.progress(t.get<bool>("progress", o.progress()));
  o.data_parallel(t.get<bool>("data_parallel", o.data_parallel()));
  t.finish();
  o.validate();

  OptionReader out(r.node("output"), "output");
  c.run_dir = out.get<std::string>("run_dir", "runs/" + c.name);
  c.save_models = out.get<bool>("save_models", c.save_models);
  c.final_model = out.get<bool>("final_model", c.final_model);
  out.finish();
  r.finish();
  return c;
}

YAML::Node ExperimentConfig::to_yaml() const {
  YAML::Node y;
  y["name"] = name;
  y["seed"] = seed;
  y["threads"] = threads;
  y["data"] = YAML::Clone(data);
  y["protocol"]["name"] = protocol.name;
  y["protocol"]["folds"] = protocol.folds;
  y["protocol"]["validation_fraction"] = protocol.validation_fraction;
  y["protocol"]["max_folds"] = protocol.max_folds;
  y["model"]["name"] = model_name;
  y["model"]["options"] = models::resolved_model_options(model_name, model_options);  // defaults filled in
  const auto& o = training;
  auto t = y["training"];
  t["optimizer"] = choice_name(o.optimizer(), models::kOptimizerKinds);
  t["learning_rate"] = o.learning_rate();
  t["weight_decay"] = o.weight_decay();
  t["epochs"] = o.epochs();
  t["batch_size"] = o.batch_size();
  t["eval_batch_size"] = o.eval_batch_size();
  t["grad_clip"] = o.grad_clip();
  t["schedule"] = choice_name(o.schedule(), models::kLrSchedules);
  t["warmup_epochs"] = o.warmup_epochs();
  t["step_size"] = o.step_size();
  t["step_gamma"] = o.step_gamma();
  t["decay_gamma"] = o.decay_gamma();
  t["patience"] = o.patience();
  t["min_epochs"] = o.min_epochs();
  t["smoothing"] = o.smoothing();
  t["monitor"] = o.monitor();
  t["loss_reduction"] = choice_name(o.loss_reduction(), models::kLossReductions);
  t["progress"] = o.progress();
  // Written only when on, so that config.yaml (and the fingerprint) of other runs is unchanged.
  if (o.data_parallel()) t["data_parallel"] = true;
  y["output"]["run_dir"] = run_dir;
  y["output"]["save_models"] = save_models;
  y["output"]["final_model"] = final_model;
  return with_short_floats(y);  // 0.2, not yaml-cpp's 0.20000000000000001
}

}  // namespace emofuse::train
