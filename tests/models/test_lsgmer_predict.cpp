// `emofuse predict --text`: models::lsgmer::text_predict on a tiny LSGMER trained for two epochs
// on a seven-utterance MELD-shaped corpus.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "data/load.h"
#include "data/meld.h"
#include "models/lsgmer/predict_text.h"
#include "train/config.h"
#include "train/experiment.h"

namespace fs = std::filesystem;
using namespace emofuse;
using emofuse::models::lsgmer::text_predict;
using emofuse::models::lsgmer::TextPredictOptions;

namespace {

void write_file(const fs::path& path, const std::string& content) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out << content;
}

// Seven utterances in two dialogues (dialogue `offset` and `offset + 1`), MELD's columns.
std::string split_csv(int offset) {
  const std::string d0 = std::to_string(offset), d1 = std::to_string(offset + 1);
  return "Sr No.,Utterance,Speaker,Emotion,Sentiment,Dialogue_ID,Utterance_ID,Season,Episode,"
         "StartTime,EndTime\n"
         "1,\"Oh, my God!\",Monica,surprise,positive," +
         d0 +
         ",0,1,1,a,b\n"
         "2,I am so happy for you,Rachel,joy,positive," +
         d0 +
         ",1,1,1,a,b\n"
         "3,He said no and left.,Ross,sadness,negative," +
         d0 +
         ",2,1,1,a,b\n"
         "4,What are you doing here?,Joey,anger,negative," +
         d1 +
         ",0,1,1,a,b\n"
         "5,Fine.,Chandler,neutral,neutral," +
         d1 +
         ",1,1,1,a,b\n"
         "6,Ew. That is gross.,Phoebe,disgust,negative," +
         d1 +
         ",2,1,1,a,b\n"
         "7,There is a spider!,Monica,fear,negative," +
         d1 + ",3,1,1,a,b\n";
}

struct TinyRun {
  fs::path dir, corpus, run, bundle;
};

// Trains LSGMER (context_window 1) for two epochs with protocol `fixed`; returns the fold's
// bundle. Text: token ids, or with `features` precomputed [7, 3] .pt tensors per split; with
// `audio` also an audio modality (precomputed [7, 2] .pt tensors).
TinyRun train_tiny(const std::string& name, bool features = false, bool audio = false) {
  TinyRun t;
  t.dir = fs::temp_directory_path() / ("emofuse_lsgmer_predict_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(t.dir);
  t.corpus = t.dir / "meld";
  write_file(t.corpus / "train_sent_emo.csv", split_csv(0));
  write_file(t.corpus / "dev_sent_emo.csv", split_csv(0));
  write_file(t.corpus / "test_sent_emo.csv", split_csv(5));
  t.run = t.dir / "run";
  auto save_features = [&](const std::string& folder, int64_t width) {
    for (const char* split : {"train", "dev", "test"}) {
      const auto bytes = torch::pickle_save(torch::randn({7, width}));
      fs::create_directories(t.dir / folder);
      std::ofstream out(t.dir / folder / (std::string(split) + ".pt"), std::ios::binary);
      out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    }
  };
  if (features) save_features("feats", 3);
  if (audio) save_features("audio", 2);
  const std::string text_input = features ? "features" : "tokens";
  auto root = YAML::Load(
      "name: tiny\nseed: 0\nthreads: 1\n"
      "data: {format: meld, vocab_size: 40, max_tokens: 16, context_window: 1}\n"
      "protocol: {name: fixed}\n"
      "model: {name: lsgmer, options: {d_model: 8, embedding_dim: 8, heads: 2, "
      "vocab_size: 40, dropout: 0.0, text_input: " +
      text_input +
      "}}\n"
      "training: {epochs: 2, batch_size: 4, progress: false, monitor: loss}\n");
  root["data"]["path"] = t.corpus.string();
  if (features) root["data"]["text_features"] = (t.dir / "feats").string();
  if (audio) root["data"]["audio_features"] = (t.dir / "audio").string();
  root["output"]["run_dir"] = t.run.string();
  const auto config = train::parse_experiment_config(root);
  fs::create_directories(config.run_dir);
  auto loaded = data::load_data(config.data, config.seed, config.run_dir);
  train::RunOptions quiet;
  quiet.quiet = true;
  train::run_experiment(config, loaded.dataset, quiet);
  for (const auto& fold : fs::directory_iterator(t.run / "folds")) t.bundle = fold.path() / "model";
  return t;
}

std::string error_of(const std::string& bundle, const std::string& text_file) {
  try {
    text_predict(bundle, text_file);
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST(LsgmerPredictText, MatchesTheTrainingPipelineOnTheSameDialogue) {
  const auto t = train_tiny("match");
  ASSERT_TRUE(fs::exists(t.bundle / "tokenizer.model"));
  // Test dialogue 6 (test rows 3..6), one utterance per line, in order.
  const auto lines = t.dir / "utterances.txt";
  write_file(lines, "What are you doing here?\r\nFine.\nEw. That is gross.\nThere is a spider!");
  const auto p = text_predict(t.bundle.string(), lines.string());
  EXPECT_EQ(p.context_window, 1);  // from the run's config.yaml
  EXPECT_EQ(p.context_source, fs::absolute(t.run / "config.yaml").lexically_normal().string());
  ASSERT_EQ(p.lines.size(), 4u);
  EXPECT_EQ(p.lines[0], "What are you doing here?");  // the '\r' of CRLF is not kept
  ASSERT_EQ(p.probabilities.sizes(), (std::vector<int64_t>{4, 7}));
  EXPECT_TRUE(torch::allclose(p.probabilities.sum(1), torch::ones({4}, torch::kDouble).to(p.probabilities.dtype()),
                              1e-5, 1e-5));

  // Expected: the bundle's predictions for the same test rows as load_meld builds them (the
  // dialogue's own context, the tokenizer of the run folder).
  auto bundle = models::load_model_bundle(t.bundle.string());
  data::MeldOptions meld;
  meld.data_dir = t.corpus.string();
  meld.tokenizer_dir = t.run.string();
  meld.tokenizer.vocab_size = 40;
  meld.max_tokens = 16;
  meld.context_window = 1;
  auto test_rows = data::load_meld(meld).subset(torch::arange(17, 21, torch::kLong));
  auto expected = bundle.estimator->predict(bundle.standardizer.apply(test_rows));
  EXPECT_TRUE(torch::allclose(p.probabilities, expected.to(p.probabilities.dtype()), 1e-6, 1e-6))
      << p.probabilities << "\nvs\n"
      << expected;

  // Without context the first line is unchanged (it has no predecessor) and the CSV has one row
  // per line with the argmax label.
  TextPredictOptions no_context;
  no_context.context_window = 0;
  const auto q = text_predict(t.bundle.string(), lines.string(), no_context);
  EXPECT_EQ(q.context_source, "--context-window");
  EXPECT_TRUE(torch::allclose(q.probabilities[0], p.probabilities[0], 1e-6, 1e-6));
  const auto csv = models::lsgmer::text_predictions_csv(p);
  EXPECT_EQ(csv.substr(0, csv.find('\n')),
            "line,predicted,p_neutral,p_joy,p_surprise,p_anger,p_sadness,p_disgust,p_fear,text");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 5);
  const auto best = p.probabilities[3].argmax().item<int64_t>();
  EXPECT_NE(csv.find("\n4," + p.class_names[best] + ","), std::string::npos) << csv;
  EXPECT_NE(csv.find(",There is a spider!\n"), std::string::npos) << csv;
  fs::remove_all(t.dir);
}

TEST(LsgmerPredictText, ClearErrors) {
  const auto t = train_tiny("errors");
  const auto text = t.dir / "in.txt";
  write_file(text, "hello\n");
  EXPECT_EQ(error_of(t.bundle.string(), (t.dir / "missing.txt").string()),
            (t.dir / "missing.txt").string() + ": file not found");
  write_file(text, "");
  EXPECT_NE(error_of(t.bundle.string(), text.string()).find(text.string() + ": no utterances"), std::string::npos);
  write_file(text, "\n  \n");
  EXPECT_NE(error_of(t.bundle.string(), text.string()).find("no utterances"), std::string::npos);
  write_file(text, "hello\n");
  EXPECT_NE(error_of((t.dir / "nowhere").string(), text.string()).find("not a model bundle"), std::string::npos);

  // A bundle without its tokenizer.
  const auto copy = t.dir / "copy";
  fs::copy(t.bundle, copy);
  fs::remove(copy / "tokenizer.model");
  EXPECT_NE(error_of(copy.string(), text.string())
                .find((copy / "tokenizer.model").string() + ": file not found: the bundle has no "
                                                            "tokenizer"),
            std::string::npos)
      << error_of(copy.string(), text.string());
  fs::remove_all(t.dir);

  // A model trained on precomputed text features (.pt per split) cannot read raw text.
  const auto f = train_tiny("features", /*features=*/true);
  write_file(f.dir / "in.txt", "hello\n");
  EXPECT_NE(error_of(f.bundle.string(), (f.dir / "in.txt").string())
                .find("model.yaml: field 'model.options.text_input': the model reads precomputed "
                      "text features"),
            std::string::npos)
      << error_of(f.bundle.string(), (f.dir / "in.txt").string());
  fs::remove_all(f.dir);

  // A text + audio model: --text cannot supply the audio.
  const auto ta = train_tiny("text_audio", /*features=*/false, /*audio=*/true);
  ASSERT_TRUE(fs::exists(ta.bundle / "tokenizer.model"));
  write_file(ta.dir / "in.txt", "hello\n");
  EXPECT_NE(error_of(ta.bundle.string(), (ta.dir / "in.txt").string())
                .find("model.yaml: field 'schema': not a text-only model: it reads text (text), "
                      "audio (audio)"),
            std::string::npos)
      << error_of(ta.bundle.string(), (ta.dir / "in.txt").string());
  fs::remove_all(ta.dir);
}
