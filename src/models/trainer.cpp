#include "models/trainer.h"

#include <ATen/CPUGeneratorImpl.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <limits>

#include <nlohmann/json.hpp>
#include <sstream>

#include "core/error.h"
#include "core/io.h"
#include "core/runtime.h"
#include "dist/distributed.h"
#include "metrics/metrics.h"

namespace fs = std::filesystem;

namespace emofuse::models {
namespace {

// Rank `rank`'s contiguous part of a global batch's rows: rows [rank*G/W, (rank+1)*G/W). Sizes
// differ by at most one; a rank's part is empty only when the batch has fewer rows than ranks.
torch::Tensor shard_of_batch(const torch::Tensor& rows, int rank, int world_size) {
  const int64_t g = rows.size(0);
  const int64_t begin = g * rank / world_size, end = g * (rank + 1) / world_size;
  return rows.narrow(0, begin, end - begin);
}

// Replaces every parameter's gradient by its mean over the ranks, in one all-reduce of one flat
// buffer (a parameter without a gradient on this rank counts as zero, so every rank sends the
// same layout). The averaged gradients are identical on every rank, and so are the steps.
void average_gradients(torch::nn::Module& model, dist::Distributed& ranks) {
  std::vector<torch::Tensor> grads;
  for (auto& p : model.parameters()) {
    if (!p.requires_grad()) continue;
    if (!p.grad().defined()) p.mutable_grad() = torch::zeros_like(p);
    grads.push_back(p.grad());
  }
  ranks.all_reduce_mean(grads);
}

// Sums an epoch's loss (and each term), accumulated over this rank's rows, over all ranks.
void sum_over_ranks(double& loss_sum, std::map<std::string, double>& term_sums, dist::Distributed& ranks) {
  std::vector<double> values{loss_sum};
  for (const auto& [name, sum] : term_sums) values.push_back(sum);
  std::vector<torch::Tensor> buffer{torch::tensor(values, torch::kFloat64)};
  ranks.all_reduce_mean(buffer);
  const auto summed = buffer[0] * ranks.world_size();
  loss_sum = summed[0].item<double>();
  int64_t i = 1;
  for (auto& [name, sum] : term_sums) sum = summed[i++].item<double>();
}

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string format_duration(double seconds) {
  char buf[32];
  int s = static_cast<int>(seconds + 0.5);
  std::snprintf(buf, sizeof(buf), "%d:%02d", s / 60, s % 60);
  return buf;
}

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const TrainerOptions& o, std::vector<torch::Tensor> params) {
  switch (o.optimizer()) {
    case OptimizerKind::kAdam:
      return std::make_unique<torch::optim::Adam>(
          params, torch::optim::AdamOptions(o.learning_rate()).weight_decay(o.weight_decay()));
    case OptimizerKind::kAdamW:
      return std::make_unique<torch::optim::AdamW>(
          params, torch::optim::AdamWOptions(o.learning_rate()).weight_decay(o.weight_decay()));
  }
  throw OptionError("training.optimizer", "not a known optimizer");  // unreachable after validate()
}

// Copies every parameter and buffer (the model's full state) into detached clones.
std::vector<torch::Tensor> snapshot(const torch::nn::Module& model) {
  std::vector<torch::Tensor> state;
  for (const auto& p : model.parameters()) state.push_back(p.detach().clone());
  for (const auto& b : model.buffers()) state.push_back(b.detach().clone());
  return state;
}

void restore(torch::nn::Module& model, const std::vector<torch::Tensor>& state) {
  torch::NoGradGuard no_grad;
  size_t i = 0;
  for (auto& p : model.parameters()) p.copy_(state.at(i++));
  for (auto& b : model.buffers()) b.copy_(state.at(i++));
}

// Whose checkpoint it is: a checkpoint is only continued by the fold and seed that wrote it.
struct CheckpointOwner {
  std::string fold;
  int64_t seed = 0;
};

struct CheckpointState {
  int64_t next_epoch = 0;
  int64_t best_epoch = -1;
  double best_score = 0;
  int64_t bad_epochs = 0;
  std::vector<EpochRecord> history;
  std::vector<torch::Tensor> best_state;
};

void save_checkpoint(const std::string& path, torch::nn::Module& model, torch::optim::Optimizer& optimizer,
                     const CheckpointState& s, const CheckpointOwner& owner) {
  torch::serialize::OutputArchive archive, model_archive, optim_archive, best_archive;
  archive.write("fold", c10::IValue(owner.fold));
  archive.write("seed", c10::IValue(owner.seed));
  model.save(model_archive);
  optimizer.save(optim_archive);
  for (size_t i = 0; i < s.best_state.size(); ++i) best_archive.write(std::to_string(i), s.best_state[i]);
  archive.write("model", model_archive);
  archive.write("optimizer", optim_archive);
  archive.write("best", best_archive);
  archive.write("best_count", c10::IValue(static_cast<int64_t>(s.best_state.size())));
  archive.write("next_epoch", c10::IValue(s.next_epoch));
  archive.write("best_epoch", c10::IValue(s.best_epoch));
  archive.write("best_score", c10::IValue(s.best_score));
  archive.write("bad_epochs", c10::IValue(s.bad_epochs));
  std::vector<double> hist;
  for (const auto& r : s.history) {
    hist.insert(hist.end(), {double(r.epoch), r.train_loss, r.validation_score, r.learning_rate, r.seconds});
  }
  archive.write("history", torch::tensor(hist, torch::kFloat64));
  // The per-term losses and validation metrics of each epoch (history.csv), as JSON.
  nlohmann::json details = nlohmann::json::array();
  for (const auto& r : s.history) {
    details.push_back(
        {{"train", r.train_terms}, {"validation", r.validation_metrics}, {"validation_seconds", r.validation_seconds}});
  }
  archive.write("history_details", c10::IValue(details.dump()));
  const std::string tmp = path + ".partial";
  archive.save_to(tmp);
  fs::rename(tmp, path);
}

CheckpointState read_checkpoint(torch::serialize::InputArchive& archive, torch::nn::Module& model,
                                torch::optim::Optimizer& optimizer);

// Loads a checkpoint written by save_checkpoint for `owner`; every failure names the file.
CheckpointState load_checkpoint(const std::string& path, torch::nn::Module& model, torch::optim::Optimizer& optimizer,
                                const CheckpointOwner& owner) {
  const std::string restart = "; delete it to start this fold again from epoch 1";
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(path);
  } catch (const c10::Error&) {
    throw DataError(path, "", "cannot read the checkpoint (truncated, or not a LibTorch archive)" + restart);
  }
  c10::IValue fold, seed;
  if (!archive.try_read("fold", fold) || !fold.isString() || !archive.try_read("seed", seed) || !seed.isInt()) {
    throw DataError(path, "field 'fold'", "missing: not a checkpoint written by emofuse train for a fold" + restart);
  }
  if (fold.toStringRef() != owner.fold || seed.toInt() != owner.seed) {
    throw DataError(path, "field 'fold'",
                    "written for '" + fold.toStringRef() + "' (seed " + std::to_string(seed.toInt()) + "), not for '" +
                        owner.fold + "' (seed " + std::to_string(owner.seed) + ")" + restart);
  }
  try {
    return read_checkpoint(archive, model, optimizer);
  } catch (const c10::Error& e) {
    std::string reason = e.what_without_backtrace();
    reason = reason.substr(0, reason.find('\n'));
    throw DataError(path, "", "does not fit this fold's model or optimizer (" + reason + ")" + restart);
  } catch (const nlohmann::json::exception& e) {
    throw DataError(path, "field 'history_details'", std::string("not the expected JSON (") + e.what() + ")" + restart);
  }
}

CheckpointState read_checkpoint(torch::serialize::InputArchive& archive, torch::nn::Module& model,
                                torch::optim::Optimizer& optimizer) {
  torch::serialize::InputArchive model_archive, optim_archive, best_archive;
  archive.read("model", model_archive);
  model.load(model_archive);
  archive.read("optimizer", optim_archive);
  optimizer.load(optim_archive);
  CheckpointState s;
  c10::IValue v;
  archive.read("next_epoch", v);
  s.next_epoch = v.toInt();
  archive.read("best_epoch", v);
  s.best_epoch = v.toInt();
  archive.read("best_score", v);
  s.best_score = v.toDouble();
  archive.read("bad_epochs", v);
  s.bad_epochs = v.toInt();
  archive.read("best_count", v);
  archive.read("best", best_archive);
  for (int64_t i = 0; i < v.toInt(); ++i) {
    torch::Tensor t;
    best_archive.read(std::to_string(i), t);
    s.best_state.push_back(t);
  }
  torch::Tensor hist;
  archive.read("history", hist);
  auto hist2 = hist.reshape({-1, 5});
  auto h = hist2.accessor<double, 2>();
  for (int64_t i = 0; i < hist.numel() / 5; ++i) {
    EpochRecord r;
    r.epoch = static_cast<int64_t>(h[i][0]);
    r.train_loss = h[i][1];
    r.validation_score = h[i][2];
    r.learning_rate = h[i][3];
    r.seconds = h[i][4];
    s.history.push_back(r);
  }
  c10::IValue details;
  if (archive.try_read("history_details", details) && details.isString()) {
    const auto j = nlohmann::json::parse(details.toStringRef());
    TORCH_CHECK(j.is_array() && j.size() == s.history.size(), "history_details has ", j.size(), " records for ",
                s.history.size(), " epochs");
    for (size_t i = 0; i < s.history.size(); ++i) {
      s.history[i].train_terms = j[i].at("train").get<std::map<std::string, double>>();
      s.history[i].validation_metrics = j[i].at("validation").get<std::map<std::string, double>>();
      s.history[i].validation_seconds = j[i].value("validation_seconds", 0.0);  // absent before it was kept
    }
  }
  return s;
}

}  // namespace

LossReduction parse_loss_reduction(const std::string& text, const std::string& field) {
  return parse_choice(text, field, kLossReductions);
}

std::string to_string(LossReduction reduction) {
  return choice_name(reduction, kLossReductions);
}

std::vector<double> smoothed_scores(const std::vector<double>& scores, int64_t window) {
  TORCH_CHECK(window >= 1, "smoothed_scores: window must be >= 1, got ", window);
  std::vector<double> out(scores.size());
  for (size_t e = 0; e < scores.size(); ++e) {
    // Summed afresh in epoch order (no running sum), so the value depends only on the window.
    const size_t first = e + 1 > size_t(window) ? e + 1 - size_t(window) : 0;
    double sum = 0;
    for (size_t i = first; i <= e; ++i) sum += scores[i];
    out[e] = sum / double(e - first + 1);
  }
  return out;
}

EpochSelection select_epoch(const std::vector<EpochRecord>& history, const TrainerOptions& options) {
  const bool lower_better = metrics::lower_is_better(options.monitor());
  std::vector<double> scores;
  for (const auto& r : history) scores.push_back(r.validation_score);
  const auto smoothed = smoothed_scores(scores, options.smoothing());
  EpochSelection s;
  for (size_t e = 0; e < smoothed.size(); ++e) {
    // Epoch e (0-based) is epoch e + 1 to the user; none before min_epochs may stop or be kept.
    if (int64_t(e) + 1 < options.min_epochs()) continue;
    const double v = smoothed[e];
    const bool better = !std::isnan(v) && (s.best_epoch < 0 || (lower_better ? v < s.best_score : v > s.best_score));
    if (better) {
      s.best_epoch = int64_t(e);
      s.best_score = v;
      s.epochs_since_best = 0;
    } else {
      ++s.epochs_since_best;
    }
  }
  if (!smoothed.empty()) s.last_smoothed = smoothed.back();
  s.stop = options.patience() > 0 && s.epochs_since_best >= options.patience();
  return s;
}

void TrainerOptions::validate() const {
  check_choice(optimizer(), "training.optimizer", kOptimizerKinds);
  require_option(learning_rate() > 0 && std::isfinite(learning_rate()), "training.learning_rate", "must be > 0");
  require_option(weight_decay() >= 0, "training.weight_decay", "must be >= 0");
  require_option(epochs() >= 1, "training.epochs", "must be >= 1");
  require_option(batch_size() >= 1, "training.batch_size", "must be >= 1");
  require_option(eval_batch_size() >= 1, "training.eval_batch_size", "must be >= 1");
  require_option(grad_clip() >= 0, "training.grad_clip", "must be >= 0 (0 disables clipping)");
  check_choice(schedule(), "training.schedule", kLrSchedules);
  require_option(warmup_epochs() >= 0 && warmup_epochs() < epochs(), "training.warmup_epochs",
                 "must be in [0, epochs)");
  require_option(step_size() >= 1, "training.step_size", "must be >= 1");
  require_option(step_gamma() > 0 && step_gamma() <= 1, "training.step_gamma", "must be in (0, 1]");
  require_option(decay_gamma() > 0 && decay_gamma() <= 1, "training.decay_gamma", "must be in (0, 1]");
  require_option(patience() >= 0, "training.patience", "must be >= 0 (0 disables early stopping)");
  require_option(min_epochs() >= 0 && min_epochs() <= epochs(), "training.min_epochs",
                 "must be in [0, epochs] (epochs is " + std::to_string(epochs()) + ")");
  require_option(smoothing() >= 1 && smoothing() <= epochs(), "training.smoothing",
                 "must be in [1, epochs] (1 = no smoothing; epochs is " + std::to_string(epochs()) + ")");
  metrics::check_metric_name(monitor(), "training.monitor");
  check_choice(loss_reduction(), "training.loss_reduction", kLossReductions);
}

double TrainerOptions::lr_factor(int64_t epoch) const {
  if (epoch < warmup_epochs()) return double(epoch + 1) / double(warmup_epochs() + 1);
  const int64_t e = epoch - warmup_epochs(), span = epochs() - warmup_epochs();
  switch (schedule()) {
    case LrSchedule::kNone:
      return 1.0;
    case LrSchedule::kCosine:
      return 0.5 * (1.0 + std::cos(M_PI * double(e) / double(span)));
    case LrSchedule::kStep:
      return std::pow(step_gamma(), double(e / step_size()));
    case LrSchedule::kExponential:
      return std::pow(decay_gamma(), double(e));
  }
  throw OptionError("training.schedule", "not a known schedule");  // unreachable after validate()
}

std::string history_csv(const std::vector<EpochRecord>& history) {
  std::vector<std::string> terms, metrics_names;
  if (!history.empty()) {
    for (const auto& [name, value] : history.front().train_terms) terms.push_back(name);
    for (const auto& [name, value] : history.front().validation_metrics) metrics_names.push_back(name);
  }
  std::ostringstream csv;
  csv << std::setprecision(8) << "epoch,train_loss";
  for (const auto& t : terms) csv << ",train_" << t;
  for (const auto& m : metrics_names) csv << ",validation_" << m;
  csv << ",learning_rate,seconds\n";
  auto cell = [&csv](const std::map<std::string, double>& values, const std::string& key) {
    csv << ",";
    auto it = values.find(key);
    if (it != values.end()) csv << it->second;
  };
  for (const auto& r : history) {
    csv << r.epoch + 1 << "," << r.train_loss;
    for (const auto& t : terms) cell(r.train_terms, t);
    for (const auto& m : metrics_names) cell(r.validation_metrics, m);
    csv << "," << r.learning_rate << "," << r.seconds << "\n";
  }
  return csv.str();
}

Trainer::Trainer(TrainerOptions options) : options_(std::move(options)) {
  options_.validate();
}

torch::Tensor Trainer::predict(DistributionModule& model, const data::MultimodalDataset& data, int64_t batch_size) {
  c10::InferenceMode inference;  // no autograd bookkeeping at all (stronger than NoGradGuard)
  const bool was_training = model.is_training();
  model.eval();
  std::vector<torch::Tensor> parts;
  for (int64_t start = 0; start < data.size(); start += batch_size) {
    auto idx = torch::arange(start, std::min(start + batch_size, data.size()), torch::kInt64);
    parts.push_back(model.forward(data.batch(idx).inputs).log_probs.exp());
  }
  model.train(was_training);
  if (parts.empty()) return torch::empty({0, data.num_classes()});
  return torch::cat(parts);
}

TrainResult Trainer::fit(DistributionModule& model, const data::MultimodalDataset& train,
                         const data::MultimodalDataset& validation, const FitContext& context) {
  const auto& o = options_;
  if (train.size() == 0) throw Error(train.source() + ": empty training set");
  model.prepare(train);
  auto optimizer = make_optimizer(o, model.parameters());
  const bool has_validation = validation.size() > 0;
  const std::string checkpoint =
      context.checkpoint_dir.empty() ? "" : (fs::path(context.checkpoint_dir) / "checkpoint.pt").string();

  // Data-parallel: the ranks that share this fit (null: this process alone).
  dist::Distributed* ranks =
      o.data_parallel() && context.data_parallel && context.data_parallel->enabled() ? context.data_parallel : nullptr;
  if (ranks && model.updates_after_step()) {
    throw OptionError("training.data_parallel",
                      "this model updates its state from every batch it sees (after_step), so data-parallel ranks "
                      "would each update it from their own shard and drift apart; train it in one process per fold "
                      "(leave data_parallel off: the folds are spread over the ranks instead)");
  }
  if (ranks && train.size() < ranks->world_size()) {
    throw OptionError("training.data_parallel", "the training set has " + std::to_string(train.size()) +
                                                    " rows, fewer than the " + std::to_string(ranks->world_size()) +
                                                    " ranks that would share it");
  }
  // A data-parallel fit resumes from rank 0's checkpoint on every rank: the ranks' own files may
  // be an epoch apart (a kill lands between their writes), and ranks at different epochs would
  // wait for each other's all-reduce for ever.
  if (ranks && o.resume() && !checkpoint.empty()) {
    const std::string key = "fit" + std::to_string(ranks->next_sequence()) + "/checkpoint";
    if (ranks->is_main()) {
      ranks->publish(key, fs::exists(checkpoint) ? "1" + read_file(checkpoint) : "0");
    } else {
      const std::string received = ranks->receive(key);
      if (received.front() == '1') {
        fs::create_directories(context.checkpoint_dir);
        write_text_atomic(checkpoint, received.substr(1));
      } else {
        fs::remove(checkpoint);
      }
    }
  }
  CheckpointState state;
  state.best_score = std::numeric_limits<double>::quiet_NaN();
  const CheckpointOwner owner{context.fold_name, static_cast<int64_t>(context.seed)};
  if (o.resume() && !checkpoint.empty() && fs::exists(checkpoint)) {
    state = load_checkpoint(checkpoint, model, *optimizer, owner);
    std::cerr << context.fold_name << ": resumed from " << checkpoint << " at epoch " << state.next_epoch + 1 << "\n";
  }
  if (!checkpoint.empty()) fs::create_directories(context.checkpoint_dir);

  const bool tty = o.progress() && isatty(fileno(stderr));
  const int64_t n = train.size();
  const int64_t batches = (n + o.batch_size() - 1) / o.batch_size();
  const auto fit_start = Clock::now();
  const int64_t first_epoch = state.next_epoch;
  bool stopped_early = false;

  for (int64_t epoch = state.next_epoch; epoch < o.epochs(); ++epoch) {
    const auto epoch_start = Clock::now();
    const double lr = o.learning_rate() * o.lr_factor(epoch);
    for (auto& group : optimizer->param_groups()) group.options().set_lr(lr);
    seed_everything(mix_seed(context.seed, static_cast<uint64_t>(epoch)));
    auto gen = at::make_generator<at::CPUGeneratorImpl>(mix_seed(context.seed, epoch, 1));
    auto order = torch::randperm(n, gen, torch::TensorOptions().dtype(torch::kInt64));

    model.train();
    double loss_sum = 0;
    std::map<std::string, double> term_sums;  // each loss term, summed over samples
    for (int64_t b = 0; b < batches; ++b) {
      check_interrupt();  // a host's stop request (Python's Ctrl-C) ends the fit between batches
      auto idx = order.narrow(0, b * o.batch_size(), std::min(o.batch_size(), n - b * o.batch_size()));
      const int64_t global_rows = idx.size(0);
      if (ranks) idx = shard_of_batch(idx, ranks->rank(), ranks->world_size());
      optimizer->zero_grad();
      double loss_value = 0;
      LossTerms terms;
      ModelOutput output;
      data::Batch batch;
      if (idx.size(0) > 0) {
        batch = train.batch(idx);
        output = model.forward(batch.inputs);
        terms = model.loss(output, batch);
        loss_value = terms.total.item<double>();
        if (!std::isfinite(loss_value)) {
          throw Error(context.fold_name + ": training loss became " + std::to_string(loss_value) + " at epoch " +
                      std::to_string(epoch + 1) + ", batch " + std::to_string(b + 1) +
                      " (non-finite); lower training.learning_rate or check the input features");
        }
        // Every model's loss is a mean over the rows it saw. The sum over the batch is B times it.
        // On a rank of a data-parallel fit, the shard's mean is weighted by its share of the global
        // batch, times the world size that all_reduce_mean divides by again: the averaged gradient
        // is then the gradient of the global batch's mean (or sum), whatever the shard sizes.
        double weight = o.loss_reduction() == LossReduction::kSum ? double(idx.size(0)) : 1.0;
        if (ranks) {
          weight =
              ranks->world_size() *
              (o.loss_reduction() == LossReduction::kSum ? double(idx.size(0)) : double(idx.size(0)) / global_rows);
        }
        if (weight == 1.0) {
          terms.total.backward();
        } else {
          (terms.total * weight).backward();
        }
      }
      if (ranks) average_gradients(model, *ranks);
      if (o.grad_clip() > 0) torch::nn::utils::clip_grad_norm_(model.parameters(), o.grad_clip());
      optimizer->step();
      if (idx.size(0) > 0) {
        torch::NoGradGuard no_grad;
        model.after_step(output, batch);
      }
      loss_sum += loss_value * idx.size(0);
      for (const auto& [name, value] : terms.parts) term_sums[name] += value * idx.size(0);
      if (tty) {
        const double done = double(epoch - first_epoch) + double(b + 1) / batches;
        const double eta = seconds_since(fit_start) / done * (o.epochs() - first_epoch - done);
        const int width = 24, filled = static_cast<int>(width * (b + 1) / batches);
        char bar[512];
        std::snprintf(bar, sizeof(bar), "\r%s epoch %lld/%lld [%s%s] loss %.4f ETA %s   ", context.fold_name.c_str(),
                      static_cast<long long>(epoch + 1), static_cast<long long>(o.epochs()),
                      std::string(filled, '#').c_str(), std::string(width - filled, '.').c_str(),
                      loss_sum / ((b * o.batch_size()) + idx.size(0)), format_duration(eta).c_str());
        std::cerr << bar;
      }
    }

    if (ranks) sum_over_ranks(loss_sum, term_sums, *ranks);
    EpochRecord record;
    record.epoch = epoch;
    record.train_loss = loss_sum / n;
    record.validation_score = std::numeric_limits<double>::quiet_NaN();
    record.learning_rate = lr;
    record.seconds = seconds_since(epoch_start);
    for (const auto& [name, sum] : term_sums) record.train_terms[name] = sum / n;
    double smoothed = std::numeric_limits<double>::quiet_NaN();
    if (has_validation) {
      const auto validation_start = Clock::now();
      auto pred = predict(model, validation, o.eval_batch_size());
      record.validation_metrics = metrics::evaluate_predictions(pred, validation.targets(), validation.hard_labels());
      record.validation_metrics["loss"] =
          models::kl_divergence_loss(pred.clamp_min(1e-12).log(), validation.targets()).item<double>();
      record.validation_score = record.validation_metrics.at(o.monitor());
      record.validation_seconds = seconds_since(validation_start);
    }
    state.history.push_back(record);
    bool improved = true, stop = false;
    if (has_validation) {
      // Recomputed from the whole history (which the checkpoint holds), so a resumed run decides
      // exactly as an uninterrupted one. An earlier epoch's smoothed score never changes, so the
      // selection either stays or moves to this epoch.
      const auto selection = select_epoch(state.history, o);
      improved = selection.best_epoch == epoch;
      TORCH_INTERNAL_ASSERT(improved || selection.best_epoch == state.best_epoch, "select_epoch moved back to epoch ",
                            selection.best_epoch, " from ", state.best_epoch);
      state.best_epoch = selection.best_epoch;
      state.best_score = selection.best_score;
      state.bad_epochs = selection.epochs_since_best;
      smoothed = selection.last_smoothed;
      stop = selection.stop;
    } else {
      state.best_epoch = epoch;  // without validation the last epoch is kept
      state.best_score = record.train_loss;
      state.bad_epochs = 0;
    }
    if (improved) state.best_state = snapshot(model);
    state.next_epoch = epoch + 1;
    if (stop) state.next_epoch = o.epochs();  // a resumed run must not continue past the stop
    if (!checkpoint.empty()) {
      save_checkpoint(checkpoint, model, *optimizer, state, owner);
      // Rewritten whole from the history the checkpoint holds, so after a resume it has exactly
      // the epochs the checkpoint has.
      write_text_atomic((fs::path(context.checkpoint_dir) / "history.csv").string(), history_csv(state.history));
    }
    if (tty) std::cerr << "\r\033[K";
    if (o.progress()) {
      char mean_text[48] = "";
      if (has_validation && o.smoothing() > 1) std::snprintf(mean_text, sizeof(mean_text), " (mean %.4f)", smoothed);
      std::string run_text;
      if (context.run_progress) {
        // The run's ETA: the time spent since the run started over the work done since, times the
        // work left (an upper bound when early stopping ends folds before their last epoch).
        const auto& p = *context.run_progress;
        const double done = p.done_before + p.share * double(epoch + 1) / double(o.epochs());
        const double elapsed = seconds_since(p.started), progressed = done - p.done_at_start;
        run_text = " | run " + std::to_string(static_cast<int>(100 * done + 0.5)) + "%";
        if (progressed > 0) run_text += " ETA " + format_duration(elapsed / progressed * (1 - done));
      }
      // Through std::cerr (not stdio), like every progress line, so that a host that redirects it
      // (the Python module's logging) receives them.
      char line[1024];
      std::snprintf(line, sizeof(line), "%s epoch %lld/%lld loss %.4f val_%s %.4f%s lr %.2e %.1fs%s%s\n",
                    context.fold_name.c_str(), static_cast<long long>(epoch + 1), static_cast<long long>(o.epochs()),
                    record.train_loss, o.monitor().c_str(), record.validation_score, mean_text, lr, record.seconds,
                    improved ? " *" : "", run_text.c_str());
      std::cerr << line;
    }
    if (on_epoch_end) on_epoch_end(record);
    if (stop) {
      stopped_early = true;
      break;
    }
  }
  if (!state.best_state.empty()) restore(model, state.best_state);
  TrainResult result;
  result.best_epoch = state.best_epoch;
  result.best_score = state.best_score;
  result.epochs_run = static_cast<int64_t>(state.history.size());
  result.stopped_early = stopped_early || (state.next_epoch >= o.epochs() && result.epochs_run < o.epochs());
  result.history = state.history;
  return result;
}

}  // namespace emofuse::models
