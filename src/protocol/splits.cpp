#include "protocol/splits.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <numeric>
#include <random>
#include <set>

#include "core/error.h"
#include "core/options.h"

namespace emofuse::protocol {
namespace {

// Every protocol by its name in protocol.name.
constexpr std::array<Choice<ProtocolKind>, 7> kProtocolKinds{{{"loso", ProtocolKind::kLoso},
                                                              {"subject_kfold", ProtocolKind::kSubjectKFold},
                                                              {"subject_dependent", ProtocolKind::kSubjectDependent},
                                                              {"random_leaky", ProtocolKind::kRandomLeaky},
                                                              {"fixed", ProtocolKind::kFixed},
                                                              {"kfold", ProtocolKind::kKFold},
                                                              {"per_subject_leaky", ProtocolKind::kPerSubjectLeaky}}};

torch::Tensor to_index_tensor(const std::vector<int64_t>& v) {
  auto t = torch::tensor(v, torch::kInt64);
  return v.empty() ? torch::empty({0}, torch::kInt64) : std::get<0>(t.sort());
}

// Rows whose group key is in `keys`.
std::vector<int64_t> rows_with_keys(const torch::Tensor& row_keys, const std::set<int64_t>& keys) {
  std::vector<int64_t> rows;
  auto acc = row_keys.accessor<int64_t, 1>();
  for (int64_t i = 0; i < row_keys.size(0); ++i) {
    if (keys.count(acc[i])) rows.push_back(i);
  }
  return rows;
}

// Splits `groups` (already shuffled) into k nearly equal consecutive chunks.
std::vector<std::vector<int64_t>> chunk(const std::vector<int64_t>& groups, int64_t k) {
  std::vector<std::vector<int64_t>> out(k);
  const int64_t n = static_cast<int64_t>(groups.size());
  for (int64_t f = 0; f < k; ++f) {
    int64_t begin = f * n / k, end = (f + 1) * n / k;
    out[f].assign(groups.begin() + begin, groups.begin() + end);
  }
  return out;
}

// Holds out round(fraction * |groups|) of `train_groups` (at least 1 when fraction > 0 and
// there are >= 2 groups) as validation groups; returns {train, validation} group sets.
std::pair<std::set<int64_t>, std::set<int64_t>> hold_out(std::vector<int64_t> train_groups, double fraction,
                                                         std::mt19937_64& rng) {
  std::shuffle(train_groups.begin(), train_groups.end(), rng);
  int64_t n_val = 0;
  if (fraction > 0 && train_groups.size() >= 2) {
    n_val = std::max<int64_t>(1, std::llround(fraction * train_groups.size()));
    n_val = std::min<int64_t>(n_val, static_cast<int64_t>(train_groups.size()) - 1);
  }
  std::set<int64_t> val(train_groups.begin(), train_groups.begin() + n_val);
  std::set<int64_t> train(train_groups.begin() + n_val, train_groups.end());
  return {train, val};
}

std::vector<int64_t> unique_keys(const torch::Tensor& keys) {
  auto u = std::get<0>(torch::_unique(keys.contiguous(), true));
  return std::vector<int64_t>(u.data_ptr<int64_t>(), u.data_ptr<int64_t>() + u.numel());
}

// Group-wise folds: `row_keys` assigns every row a group; each fold tests one chunk of groups and
// validates on a held-out share of the remaining groups.
std::vector<Fold> grouped_folds(const torch::Tensor& row_keys, const std::vector<std::vector<int64_t>>& test_chunks,
                                const std::vector<std::string>& names, double validation_fraction, uint64_t seed) {
  auto all = unique_keys(row_keys);
  std::vector<Fold> folds;
  for (size_t f = 0; f < test_chunks.size(); ++f) {
    std::set<int64_t> test(test_chunks[f].begin(), test_chunks[f].end());
    std::vector<int64_t> rest;
    for (auto g : all) {
      if (!test.count(g)) rest.push_back(g);
    }
    std::mt19937_64 rng(seed * 1000003ULL + f);
    auto [train, val] = hold_out(rest, validation_fraction, rng);
    folds.push_back({names[f], to_index_tensor(rows_with_keys(row_keys, train)),
                     to_index_tensor(rows_with_keys(row_keys, val)), to_index_tensor(rows_with_keys(row_keys, test))});
  }
  return folds;
}

}  // namespace

std::string protocol_name(ProtocolKind kind) {
  return choice_name(kind, kProtocolKinds);
}

ProtocolKind protocol_from_name(const std::string& name) {
  return parse_choice(name, "protocol.name", kProtocolKinds);
}

bool is_leaky(ProtocolKind kind) {
  return kind == ProtocolKind::kRandomLeaky || kind == ProtocolKind::kPerSubjectLeaky;
}

void ProtocolOptions::validate() const {
  auto kind = protocol_from_name(name);
  if (kind == ProtocolKind::kSubjectKFold || kind == ProtocolKind::kSubjectDependent ||
      kind == ProtocolKind::kRandomLeaky || kind == ProtocolKind::kKFold) {
    require_option(folds >= 2, "protocol.folds", "must be >= 2, got " + std::to_string(folds));
  }
  require_option(validation_fraction >= 0 && validation_fraction < 1, "protocol.validation_fraction",
                 "must be in [0, 1), got " + std::to_string(validation_fraction));
  require_option(max_folds >= 0, "protocol.max_folds", "must be >= 0");
}

std::vector<Fold> make_folds(const data::MultimodalDataset& dataset, const ProtocolOptions& options) {
  options.validate();
  const auto kind = protocol_from_name(options.name);
  const auto& source = dataset.source();
  std::vector<Fold> folds;
  std::mt19937_64 rng(options.seed);

  switch (kind) {
    case ProtocolKind::kLoso: {
      auto subjects = dataset.unique_subjects();
      if (subjects.size() < 2) {
        throw Error(source + ": protocol loso needs at least 2 subjects, the data has " +
                    std::to_string(subjects.size()));
      }
      std::vector<std::vector<int64_t>> chunks;
      std::vector<std::string> names;
      for (auto s : subjects) {
        chunks.push_back({s});
        names.push_back(dataset.subject_name(s));
      }
      folds = grouped_folds(dataset.subjects(), chunks, names, options.validation_fraction, options.seed);
      break;
    }
    case ProtocolKind::kSubjectKFold: {
      auto subjects = dataset.unique_subjects();
      if (static_cast<int64_t>(subjects.size()) < options.folds) {
        throw Error(source + ": protocol subject_kfold with " + std::to_string(options.folds) +
                    " folds needs at least that many subjects, the data has " + std::to_string(subjects.size()));
      }
      std::shuffle(subjects.begin(), subjects.end(), rng);
      auto chunks = chunk(subjects, options.folds);
      std::vector<std::string> names;
      for (int64_t f = 0; f < options.folds; ++f) names.push_back("fold " + std::to_string(f + 1));
      folds = grouped_folds(dataset.subjects(), chunks, names, options.validation_fraction, options.seed);
      break;
    }
    case ProtocolKind::kSubjectDependent: {
      // Per subject, that subject's clips are dealt into k chunks; fold f tests chunk f of every
      // subject, so every subject appears on both sides but no clip does.
      auto keys = dataset.clip_keys();
      std::map<int64_t, std::vector<int64_t>> clips_by_subject;
      for (auto key : unique_keys(keys)) clips_by_subject[key >> 32].push_back(key);
      std::vector<std::vector<int64_t>> chunks(options.folds);
      for (auto& [subject, clips] : clips_by_subject) {
        if (static_cast<int64_t>(clips.size()) < options.folds) {
          throw Error(source + ": protocol subject_dependent with " + std::to_string(options.folds) +
                      " folds needs that many clips per subject; " + dataset.subject_name(subject) + " has " +
                      std::to_string(clips.size()));
        }
        std::shuffle(clips.begin(), clips.end(), rng);
        auto c = chunk(clips, options.folds);
        for (int64_t f = 0; f < options.folds; ++f) chunks[f].insert(chunks[f].end(), c[f].begin(), c[f].end());
      }
      std::vector<std::string> names;
      for (int64_t f = 0; f < options.folds; ++f) names.push_back("fold " + std::to_string(f + 1));
      folds = grouped_folds(keys, chunks, names, options.validation_fraction, options.seed);
      break;
    }
    case ProtocolKind::kKFold:
    case ProtocolKind::kRandomLeaky: {
      if (kind == ProtocolKind::kKFold &&
          unique_keys(dataset.clip_keys()).size() != static_cast<size_t>(dataset.size())) {
        throw Error(source +
                    ": protocol kfold assumes independent samples, but several samples "
                    "share a clip; use subject_kfold / subject_dependent (or random_leaky to "
                    "reproduce the leaky per-sample split knowingly)");
      }
      if (dataset.size() < options.folds) {
        throw Error(source + ": " + std::to_string(options.folds) + " folds need at least as many samples");
      }
      std::vector<int64_t> rows(dataset.size());
      std::iota(rows.begin(), rows.end(), 0);
      std::shuffle(rows.begin(), rows.end(), rng);
      auto row_keys = torch::arange(dataset.size(), torch::kInt64);
      auto chunks = chunk(rows, options.folds);
      std::vector<std::string> names;
      for (int64_t f = 0; f < options.folds; ++f) {
        names.push_back(std::string(kind == ProtocolKind::kRandomLeaky ? "LEAKY " : "") + "fold " +
                        std::to_string(f + 1));
      }
      folds = grouped_folds(row_keys, chunks, names, options.validation_fraction, options.seed);
      break;
    }
    case ProtocolKind::kPerSubjectLeaky: {
      // The public HeLo code's train.py: per subject, one model trained on
      // random_split(windows, [floor(0.8 n), n - floor(0.8 n)]) and tested on the rest. Windows
      // of one clip land on both sides (LEAKY). Validation, when asked for, is a random share of
      // that subject's training windows.
      std::map<int64_t, std::vector<int64_t>> rows_by_subject;
      auto subject_of = dataset.subjects().contiguous();
      auto acc = subject_of.accessor<int64_t, 1>();
      for (int64_t i = 0; i < subject_of.size(0); ++i) rows_by_subject[acc[i]].push_back(i);
      int64_t f = 0;
      for (auto& [subject, rows] : rows_by_subject) {
        const auto n = static_cast<int64_t>(rows.size());
        const auto n_train = static_cast<int64_t>(std::floor(kPerSubjectTrainFraction * n));
        if (n_train < 1 || n_train >= n) {
          throw Error(source + ": protocol per_subject_leaky needs at least 2 windows per subject; " +
                      dataset.subject_name(subject) + " has " + std::to_string(n));
        }
        std::mt19937_64 subject_rng(options.seed * 1000003ULL + static_cast<uint64_t>(f++));
        std::shuffle(rows.begin(), rows.end(), subject_rng);
        std::vector<int64_t> test(rows.begin() + n_train, rows.end());
        auto [train, val] = hold_out(std::vector<int64_t>(rows.begin(), rows.begin() + n_train),
                                     options.validation_fraction, subject_rng);
        folds.push_back({"LEAKY " + dataset.subject_name(subject),
                         to_index_tensor(std::vector<int64_t>(train.begin(), train.end())),
                         to_index_tensor(std::vector<int64_t>(val.begin(), val.end())), to_index_tensor(test)});
      }
      break;
    }
    case ProtocolKind::kFixed: {
      const auto& part = dataset.partitions();
      if (!part.defined()) {
        throw Error(source +
                    ": protocol fixed needs the dataset's train/dev/test partition, "
                    "and this dataset has none");
      }
      auto rows_in = [&](int64_t p) { return (part == p).nonzero().flatten().to(torch::kInt64); };
      Fold f{"test", rows_in(0), rows_in(1), rows_in(2)};
      if (f.train.numel() == 0 || f.test.numel() == 0) {
        throw Error(source + ": protocol fixed: the train or the test partition is empty");
      }
      folds.push_back(f);
      break;
    }
  }
  for (const auto& f : folds) check_no_leak(dataset, f, kind);
  if (options.max_folds > 0 && static_cast<int64_t>(folds.size()) > options.max_folds) {
    folds.resize(options.max_folds);
  }
  return folds;
}

Fold make_final_split(const data::MultimodalDataset& dataset, const ProtocolOptions& options) {
  options.validate();
  const auto kind = protocol_from_name(options.name);
  torch::Tensor keys = dataset.subjects();
  if (kind == ProtocolKind::kSubjectDependent) keys = dataset.clip_keys();
  if (kind == ProtocolKind::kRandomLeaky || kind == ProtocolKind::kPerSubjectLeaky || kind == ProtocolKind::kKFold ||
      kind == ProtocolKind::kFixed) {
    keys = torch::arange(dataset.size(), torch::kInt64);
  }
  auto folds = grouped_folds(keys, {{}}, {"final"}, options.validation_fraction, options.seed);
  return folds.front();
}

void check_no_leak(const data::MultimodalDataset& dataset, const Fold& fold, ProtocolKind kind) {
  auto overlap = [](const torch::Tensor& a, const torch::Tensor& b) {
    if (a.numel() == 0 || b.numel() == 0) return false;
    return torch::isin(a, b).any().item<bool>();
  };
  auto check = [&](const torch::Tensor& keys, const std::string& what) {
    auto k_train = keys.index_select(0, fold.train);
    auto k_val = keys.index_select(0, fold.validation);
    auto k_test = keys.index_select(0, fold.test);
    if (overlap(k_train, k_test) || overlap(k_val, k_test) || overlap(k_train, k_val)) {
      throw Error(dataset.source() + ": fold '" + fold.name + "' leaks: a " + what +
                  " appears on two sides of the split");
    }
  };
  // random_leaky and per_subject_leaky are held to sample disjointness only: their clips do
  // cross sides, which is the leak their LEAKY label declares.
  check(torch::arange(dataset.size(), torch::kInt64), "sample");
  if (kind == ProtocolKind::kLoso || kind == ProtocolKind::kSubjectKFold) {
    check(dataset.subjects(), "subject");
  }
  if (kind == ProtocolKind::kSubjectDependent) check(dataset.clip_keys(), "clip");
}

}  // namespace emofuse::protocol
