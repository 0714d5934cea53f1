#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <random>

#include "core/error.h"
#include "text/tokenizer.h"

namespace fs = std::filesystem;
using emofuse::text::build_token_rows;
using emofuse::text::normalize_utterance;
using emofuse::text::Tokenizer;
using emofuse::text::TokenizerOptions;

namespace {

fs::path fresh_dir(const std::string& name) {
  auto dir = fs::temp_directory_path() / ("emofuse_test_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

// A tiny corpus: every combination of a few words, so that the vocabulary is well covered.
std::vector<std::string> tiny_corpus() {
  const std::vector<std::string> a = {"oh my god",     "hello there",      "what are you doing",
                                      "i am so happy", "that is not fair", "you know what"};
  const std::vector<std::string> b = {"Ross", "Rachel", "Joey", "Monica", "Chandler", "Phoebe"};
  std::vector<std::string> out;
  for (const auto& x : a) {
    for (const auto& y : b) {
      out.push_back(x + " " + y + "!");
      out.push_back(y + ", " + x + "?");
    }
  }
  return out;
}

}  // namespace

TEST(NormalizeUtterance, MapsMisdecodedAndTypographicPunctuation) {
  EXPECT_EQ(normalize_utterance("I\xC2\x92m fine"), "I'm fine");  // U+0092 (UTF-8 C2 92)
  EXPECT_EQ(normalize_utterance("I\x92m fine"), "I'm fine");      // stray Windows-1252 byte
  EXPECT_EQ(normalize_utterance("don\xE2\x80\x99t"), "don't");    // U+2019
  EXPECT_EQ(normalize_utterance("wait\xE2\x80\xA6"), "wait...");  // U+2026
  EXPECT_EQ(normalize_utterance("\xE2\x80\x9CHi\xE2\x80\x9D"), "\"Hi\"");
  EXPECT_EQ(normalize_utterance("  two\r\nlines\t "), "two lines");
  EXPECT_EQ(normalize_utterance("caf\xC3\xA9"), "caf\xC3\xA9");  // valid UTF-8 kept
}

TEST(Tokenizer, TrainEncodeDecodeRoundTripAndReload) {
  const auto dir = fresh_dir("tok");
  TokenizerOptions options;
  options.vocab_size = 60;
  const auto tokenizer = Tokenizer::train(tiny_corpus(), dir.string(), options);
  ASSERT_TRUE(fs::exists(dir / Tokenizer::kModelFile));
  EXPECT_LE(tokenizer.vocab_size(), 60);
  EXPECT_GT(tokenizer.vocab_size(), 3);

  const std::string text = "hello there Monica!";
  const auto ids = tokenizer.encode(text);
  ASSERT_FALSE(ids.empty());
  for (int id : ids) {
    EXPECT_GE(id, 3) << "ids 0-2 are reserved for <pad>, <unk>, <sep>";
    EXPECT_LT(id, tokenizer.vocab_size());
  }
  EXPECT_EQ(tokenizer.decode(ids), text);
  // Padding is ignored by decode.
  auto padded = ids;
  padded.push_back(Tokenizer::kPadId);
  EXPECT_EQ(tokenizer.decode(padded), text);

  // The saved model gives the same ids.
  const auto reloaded = Tokenizer::load((dir / Tokenizer::kModelFile).string());
  EXPECT_EQ(reloaded.encode(text), ids);
  EXPECT_EQ(reloaded.vocab_size(), tokenizer.vocab_size());
  fs::remove_all(dir);
}

TEST(Tokenizer, BpeModelAndErrors) {
  const auto dir = fresh_dir("tok_bpe");
  TokenizerOptions options;
  options.vocab_size = 80;
  options.model_type = "bpe";
  const auto tokenizer = Tokenizer::train(tiny_corpus(), dir.string(), options);
  EXPECT_EQ(tokenizer.decode(tokenizer.encode("you know what Joey")), "you know what Joey");
  EXPECT_THROW(Tokenizer::load((dir / "missing.model").string()), emofuse::Error);
  EXPECT_THROW(Tokenizer::train({"", ""}, dir.string(), options), emofuse::Error);
  options.model_type = "wordpiece";
  try {
    Tokenizer::train(tiny_corpus(), dir.string(), options);
    FAIL() << "expected OptionError";
  } catch (const emofuse::OptionError& e) {
    EXPECT_NE(std::string(e.what()).find("tokenizer_model_type"), std::string::npos) << e.what();
  }
  fs::remove_all(dir);
}

TEST(BuildTokenRows, ContextPrependedWithSeparatorAndPadded) {
  // Hand-built: dialogue 0 has utterances {5, 6} then {7}; dialogue 1 has {8, 9, 10}.
  const std::vector<std::vector<int>> ids = {{5, 6}, {7}, {8, 9, 10}};
  const std::vector<int64_t> dialogue = {0, 0, 1}, position = {0, 1, 0};
  auto rows = build_token_rows(ids, dialogue, position, /*context=*/1, /*max_tokens=*/5);
  const std::vector<int64_t> expected = {5, 6, 0,  0, 0,   // no predecessor
                                         5, 6, 2,  7, 0,   // previous utterance + <sep> + own
                                         8, 9, 10, 0, 0};  // other dialogue: no context
  EXPECT_EQ(rows, expected);
  // No context: own ids only.
  rows = build_token_rows(ids, dialogue, position, 0, 5);
  EXPECT_EQ(std::vector<int64_t>(rows.begin() + 5, rows.begin() + 10), (std::vector<int64_t>{7, 0, 0, 0, 0}));
  // Tight budget: the context block keeps its tail ({6, <sep>}); own ids keep their head.
  rows = build_token_rows(ids, dialogue, position, 1, 3);
  EXPECT_EQ(rows, (std::vector<int64_t>{5, 6, 0, 6, 2, 7, 8, 9, 10}));
  // Position order, not vector order, defines the predecessor.
  rows = build_token_rows({{7}, {5, 6}}, {0, 0}, {1, 0}, 1, 4);
  EXPECT_EQ(rows, (std::vector<int64_t>{5, 6, 2, 7, 5, 6, 0, 0}));
}
