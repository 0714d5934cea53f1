// Subword tokenizer for utterance text: a SentencePiece model (Kudo & Richardson 2018) trained on
// the training split only and saved next to the model that uses it (`tokenizer.model`).
//
// Id layout (fixed so that models can rely on it): 0 = <pad>, 1 = <unk>, 2 = <sep> (separates
// dialogue-context utterances), pieces from 3 on. No BOS/EOS.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace emofuse::text {

/// Options of Tokenizer::train.
struct TokenizerOptions {
  /// Target vocabulary size (pieces incl. <pad>, <unk>, <sep>). A soft limit: a small corpus
  /// yields fewer pieces rather than an error.
  int vocab_size = 4000;
  /// "unigram" (default, Kudo 2018) or "bpe".
  std::string model_type = "unigram";
  /// Fraction of characters the model must cover (SentencePiece's character_coverage).
  double character_coverage = 1.0;
  /// Throws emofuse::OptionError for an out-of-range value; names carry `prefix` ("data.").
  void validate(const std::string& prefix = "") const;
};

/// Replaces the typographic and mis-decoded Windows-1252 punctuation found in MELD transcripts
/// (U+2019, U+0092 -> ', U+201C/D, U+0093/4 -> ", U+2026, U+0085 -> ..., U+2013/4, U+0096/7 -> -),
/// drops other C0/C1 control characters (but keeps spaces), and turns bytes that are not valid
/// UTF-8 into their Windows-1252 meaning (0x92 -> ') or U+FFFD. Also collapses newlines to spaces.
std::string normalize_utterance(const std::string& raw);

class Tokenizer {
 public:
  static constexpr int kPadId = 0;
  static constexpr int kUnkId = 1;
  static constexpr int kSepId = 2;
  static constexpr const char* kSepPiece = "<sep>";
  static constexpr const char* kModelFile = "tokenizer.model";

  Tokenizer();
  ~Tokenizer();
  Tokenizer(Tokenizer&&) noexcept;
  Tokenizer& operator=(Tokenizer&&) noexcept;

  /// Trains on `sentences` (already normalised; empty ones are skipped) and writes
  /// `<directory>/tokenizer.model` (+ `.vocab`); the directory is created if needed.
  /// Throws emofuse::Error when SentencePiece fails (message includes its status).
  static Tokenizer train(const std::vector<std::string>& sentences, const std::string& directory,
                         const TokenizerOptions& options = {});
  /// Loads a model file written by train(). Throws emofuse::Error naming the file.
  static Tokenizer load(const std::string& model_path);

  /// Piece ids of `text` (no padding, no truncation).
  std::vector<int> encode(const std::string& text) const;
  /// Text of `ids`; <pad> ids are skipped.
  std::string decode(const std::vector<int>& ids) const;
  /// Number of ids (max id + 1).
  int vocab_size() const;
  /// Path the model was loaded from / written to.
  const std::string& model_path() const { return model_path_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string model_path_;
};

/// Builds one fixed-length id row [max_tokens] per utterance: the utterance's own ids (its head
/// when longer than max_tokens), preceded by up to `context` earlier utterances of the same
/// dialogue (most recent last, each followed by <sep>) while room is left; right-padded with <pad>
/// (0). Utterance i belongs to dialogue `dialogue[i]` at position `position[i]` (e.g. MELD's
/// Utterance_ID); its context are the utterances of the same dialogue with the `context` largest
/// positions below its own. A context utterance that does not fit whole is cut from its start.
/// Returns row-major ids [N * max_tokens].
std::vector<int64_t> build_token_rows(const std::vector<std::vector<int>>& utterance_ids,
                                      const std::vector<int64_t>& dialogue, const std::vector<int64_t>& position,
                                      int context, int max_tokens);

}  // namespace emofuse::text
