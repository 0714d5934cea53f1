// Labels new utterances with a saved text model (LSGMER trained on token ids): the engine of
// `emofuse predict --text`. The utterances are tokenised with the tokenizer saved in the model
// bundle (tokenizer.model, the one learned on the training split) by data::tokenize_lines, then
// the bundle's estimator predicts one distribution over the emotions per line.
#pragma once

#include <string>
#include <vector>

#include <torch/torch.h>

namespace emofuse::models::lsgmer {

struct TextPredictOptions {
  /// Previous lines prepended as dialogue context (the lines then form one dialogue, in order);
  /// -1 = the `data.context_window` of the run's config.yaml found next to the bundle
  /// (<run>/folds/NN_<fold>/model or <run>/model), or 0 when there is none.
  int context_window = -1;
};

/// What text_predict returns.
struct TextPredictions {
  std::vector<std::string> lines;        ///< the utterances as read (one per line of the file)
  torch::Tensor probabilities;           ///< [N, C] predicted distributions, rows sum to 1
  std::vector<std::string> class_names;  ///< C emotion names, in column order
  int context_window = 0;                ///< the context actually used
  std::string context_source;            ///< where it came from ("--context-window", a config path, "default")
};

/// Predicts one emotion distribution per line of `text_file` (UTF-8, one utterance per line;
/// blank lines are kept as empty utterances so that rows match line numbers). Throws
/// emofuse::DataError naming the file when the text file is missing or has no non-blank line,
/// when `bundle_dir` is not a model bundle, has no tokenizer.model (a model not trained on
/// tokens) or needs a modality other than the token text (e.g. audio).
TextPredictions text_predict(const std::string& bundle_dir, const std::string& text_file,
                             const TextPredictOptions& options = {});

/// CSV of `predictions`: header `line,predicted,p_<class>...,text`, one row per line (1-based
/// line numbers), probabilities with 6 significant digits, the utterance CSV-escaped.
std::string text_predictions_csv(const TextPredictions& predictions);

}  // namespace emofuse::models::lsgmer
