#include "train/config.h"

#include "core/error.h"
#include "core/runtime.h"
#include "core/options.h"
#include "data/load.h"
#include "models/registry.h"

namespace emofuse::train {

void apply_override(YAML::Node& root, const std::string& assignment) {
  const auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0) {
    throw OptionError("--set", "expected key.path=value, got '" + assignment + "'");
  }
  const std::string key = assignment.substr(0, eq), text = assignment.substr(eq + 1);
  YAML::Node value;
  try {
    value = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw OptionError(key, "cannot parse value '" + text + "': " + e.msg);
  }
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
  o.optimizer(t.get<std::string>("optimizer", o.optimizer()));
  o.learning_rate(t.get<double>("learning_rate", o.learning_rate()));
  o.weight_decay(t.get<double>("weight_decay", o.weight_decay()));
  o.epochs(t.get<int64_t>("epochs", o.epochs()));
  o.batch_size(t.get<int64_t>("batch_size", o.batch_size()));
  o.eval_batch_size(t.get<int64_t>("eval_batch_size", o.eval_batch_size()));
  o.grad_clip(t.get<double>("grad_clip", o.grad_clip()));
  o.schedule(t.get<std::string>("schedule", o.schedule()));
  o.warmup_epochs(t.get<int64_t>("warmup_epochs", o.warmup_epochs()));
  o.step_size(t.get<int64_t>("step_size", o.step_size()));
  o.step_gamma(t.get<double>("step_gamma", o.step_gamma()));
  o.patience(t.get<int64_t>("patience", o.patience()));
  o.monitor(t.get<std::string>("monitor", o.monitor()));
  o.progress(t.get<bool>("progress", o.progress()));
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
  y["model"]["options"] = model_options.IsDefined() && !model_options.IsNull() ? YAML::Clone(model_options)
                                                                                : YAML::Node(YAML::NodeType::Map);
  const auto& o = training;
  auto t = y["training"];
  t["optimizer"] = o.optimizer();
  t["learning_rate"] = o.learning_rate();
  t["weight_decay"] = o.weight_decay();
  t["epochs"] = o.epochs();
  t["batch_size"] = o.batch_size();
  t["eval_batch_size"] = o.eval_batch_size();
  t["grad_clip"] = o.grad_clip();
  t["schedule"] = o.schedule();
  t["warmup_epochs"] = o.warmup_epochs();
  t["step_size"] = o.step_size();
  t["step_gamma"] = o.step_gamma();
  t["patience"] = o.patience();
  t["monitor"] = o.monitor();
  t["progress"] = o.progress();
  y["output"]["run_dir"] = run_dir;
  y["output"]["save_models"] = save_models;
  y["output"]["final_model"] = final_model;
  return y;
}

}  // namespace emofuse::train
