// MELD (Poria et al. 2019) and EmoryNLP-style conversation CSVs -> MultimodalDataset.
//
// Reads the official train/dev/test files, trains a SentencePiece tokenizer on the train split
// only (or loads the one already in `tokenizer_dir`), and returns one dataset holding all three
// splits with partitions 0/1/2. Modalities, in order:
//   "text"  role kText,  int64 token ids [N, max_tokens] (0 = pad; see text/tokenizer.h), or
//                        float32 [N, F] when `text_features` (precomputed) is set;
//   "audio" role kAudio, float32 [N, F] utterance statistics (audio/audio_features.h) when
//                        `audio_dir` holds audio for at least one utterance, or precomputed
//                        features from `audio_features`; absent otherwise.
// CSVs are read with emofuse::read_csv (core/io.h: RFC 4180, CRLF, quoted fields with embedded
// commas/quotes/newlines, line numbers in errors). Utterances are cleaned with
// text::normalize_utterance (U+0092 -> ', etc.). Targets are one-hot over `class_names`; subjects
// are speaker ids (names via subject_names(), shared across splits; a speaker written as a Python
// list literal, EmoryNLP's `['Joey Tribbiani', 'Chandler Bing']`, reads as the names joined by
// " & " in the order written); trials are global dialogue keys, partition * 1,000,000 + Dialogue_ID
// (MELD restarts dialogue ids in each split), or partition * 1,000,000 + the dialogue's index in
// order of first appearance when `columns.dialogue_scope` is set (EmoryNLP: Scene_ID restarts in
// every Season/Episode). A (dialogue, utterance) key that occurs twice in a split is an error.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "audio/audio_features.h"
#include "core/options.h"
#include "data/dataset.h"
#include "text/tokenizer.h"

namespace emofuse::data {

/// Column names of a conversation CSV. MELD's defaults; EmoryNLP uses dialogue = Scene_ID with
/// dialogue_scope = {Season, Episode}.
struct ConversationColumns {
  std::string utterance = "Utterance";
  std::string speaker = "Speaker";
  std::string emotion = "Emotion";
  /// Integer dialogue id (unique per split unless dialogue_scope is set).
  std::string dialogue = "Dialogue_ID";
  std::string utterance_id = "Utterance_ID";
  /// Integer columns within which `dialogue` restarts: a dialogue is one distinct
  /// (scope..., dialogue) tuple. Empty (MELD): Dialogue_ID alone. EmoryNLP: {Season, Episode}.
  std::vector<std::string> dialogue_scope;
};

/// The seven MELD emotions in the order used for targets.
const std::vector<std::string>& meld_emotions();

struct MeldOptions {
  /// Folder with the three split files (e.g. $EMOFUSE_DATA_DIR/meld).
  std::string data_dir;
  /// File names of the train, dev and test splits inside data_dir.
  std::array<std::string, 3> split_files = {"train_sent_emo.csv", "dev_sent_emo.csv", "test_sent_emo.csv"};
  ConversationColumns columns;
  /// Emotion classes (matched case-insensitively against the emotion column).
  std::vector<std::string> class_names = meld_emotions();
  /// Where tokenizer.model is read from, or written to when absent (e.g. the run folder).
  std::string tokenizer_dir;
  text::TokenizerOptions tokenizer;
  /// Fixed token length per utterance (incl. dialogue context).
  int max_tokens = 64;
  /// Previous utterances of the same dialogue prepended, separated by <sep>; 0 = none.
  int context_window = 0;
  /// Optional folder with `<split>/dia{D}_utt{U}.wav` (or .flac), split = train, dev, test.
  /// Not available with columns.dialogue_scope (the names carry one dialogue id).
  std::string audio_dir;
  audio::AudioFeatureOptions audio;
  /// Optional precomputed text features replacing the tokens: a folder with one file per split,
  /// `train.npy`/`dev.npy`/`test.npy` or `train.pt`/... (a 2-D tensor saved by Python's
  /// torch.save; both [N_split, F], rows in CSV order) or `train.csv`/... with header
  /// `Dialogue_ID,Utterance_ID,f0,f1,...` (keyed rows, any order; with columns.dialogue_scope
  /// the scope columns come first, e.g. `Season,Episode,Scene_ID,Utterance_ID,f0,...`). One
  /// format per split.
  std::string text_features;
  /// Optional precomputed audio features, same layout as text_features.
  std::string audio_features;

  /// Throws emofuse::OptionError for an invalid value (before any file is read); option names
  /// in messages carry `prefix` (e.g. "data.").
  void validate(const std::string& prefix = "") const;
};

/// Reads the MELD keys of a `data:` config section from `reader` (the caller has already read
/// `format`, `path` and `select`, and calls reader.finish() afterwards), then validates them.
/// `path` is the MELD folder (empty = $EMOFUSE_DATA_DIR/meld); `default_tokenizer_dir` is used
/// when the section has no `tokenizer_dir` (pass the run folder). Keys (defaults in MeldOptions):
///   split_files: [train.csv, dev.csv, test.csv]   class_names: [...]
///   columns: {utterance, speaker, emotion, dialogue, utterance_id, dialogue_scope: [...]}
///   tokenizer_dir, vocab_size, tokenizer_model_type, character_coverage, max_tokens,
///   context_window, audio_dir, audio: {frame_ms, hop_ms, n_mels, n_mfcc, fmin_hz, fmax_hz,
///   pitch_fmin_hz, pitch_fmax_hz, pitch_window_ms, yin_threshold, silence_db},
///   text_features, audio_features
MeldOptions read_meld_options(OptionReader& reader, const std::string& path, const std::string& default_tokenizer_dir);

/// Loads the three splits (see the file comment). Validates `options` first.
MultimodalDataset load_meld(const MeldOptions& options);

/// Tokenises new utterances for `emofuse predict`: one utterance per line of `text_file`
/// (UTF-8; blank lines kept as empty utterances), with the tokenizer at `tokenizer_model`.
/// With `context_window` > 0 the lines are treated as one dialogue in order.
/// Returns int64 ids [N, max_tokens].
torch::Tensor tokenize_lines(const std::string& text_file, const std::string& tokenizer_model, int max_tokens,
                             int context_window = 0);

}  // namespace emofuse::data
