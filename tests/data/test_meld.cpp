#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "core/runtime.h"
#include "data/meld.h"
#include "text/npy.h"

namespace fs = std::filesystem;
using namespace emofuse;
using namespace emofuse::data;

namespace {

fs::path fresh_dir(const std::string& name) {
  auto dir =
      fs::temp_directory_path() / ("emofuse_meld_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

void write_file(const fs::path& path, const std::string& content) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out << content;
}

const char* kHeader =
    "Sr No.,Utterance,Speaker,Emotion,Sentiment,Dialogue_ID,Utterance_ID,Season,Episode,StartTime,"
    "EndTime\r\n";

// A small MELD-like split: quoted fields with commas, doubled quotes, an embedded newline, a
// U+0092 apostrophe and CRLF line ends. `offset` varies the text between splits.
std::string small_split(int offset) {
  std::string s = kHeader;
  s += "1,\"Oh, my God!\",Monica,surprise,positive," + std::to_string(offset) + ",0,1,1,a,b\r\n";
  s += "2,I\xC2\x92m so happy for you,Rachel,joy,positive," + std::to_string(offset) +
       ",1,1,1,a,b\r\n";
  s += "3,\"He said \"\"no\"\"\r\nand left.\",Ross,sadness,negative," + std::to_string(offset) +
       ",2,1,1,a,b\r\n";
  s += "4,What are you doing here?,Joey,anger,negative," + std::to_string(offset + 1) +
       ",0,1,1,a,b\r\n";
  s += "5,Fine.,Chandler,neutral,neutral," + std::to_string(offset + 1) + ",1,1,1,a,b\r\n";
  s += "6,Ew. That is gross.,Phoebe,disgust,negative," + std::to_string(offset + 1) +
       ",2,1,1,a,b\r\n";
  s += "7,There is a spider!,Monica,fear,negative," + std::to_string(offset + 1) + ",3,1,1,a,b\r\n";
  return s;
}

fs::path write_small_corpus(const std::string& name) {
  const auto dir = fresh_dir(name);
  write_file(dir / "train_sent_emo.csv", small_split(0));
  write_file(dir / "dev_sent_emo.csv", small_split(0));
  write_file(dir / "test_sent_emo.csv", small_split(5));
  return dir;
}

MeldOptions small_options(const fs::path& dir) {
  MeldOptions o;
  o.data_dir = dir.string();
  o.tokenizer_dir = (dir / "run").string();
  o.tokenizer.vocab_size = 40;
  o.max_tokens = 16;
  return o;
}

std::string error_of(const MeldOptions& options) {
  try {
    load_meld(options);
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST(LoadMeld, SmallCorpusParsedTokenisedAndSplit) {
  const auto dir = write_small_corpus("small");
  auto options = small_options(dir);
  options.context_window = 1;
  options.max_tokens =
      64;  // room for context (the tiny vocabulary gives nearly one id per character)
  const auto ds = load_meld(options);
  ASSERT_EQ(ds.size(), 21);
  EXPECT_EQ(ds.class_names(), meld_emotions());
  ASSERT_EQ(ds.num_modalities(), 1);
  EXPECT_EQ(ds.modality(0).name, "text");
  EXPECT_EQ(ds.modality(0).role, ModalityRole::kText);
  EXPECT_EQ(ds.features(0).scalar_type(), torch::kInt64);
  EXPECT_EQ(ds.features(0).sizes(), (std::vector<int64_t>{21, 64}));
  EXPECT_TRUE(fs::exists(dir / "run" / "tokenizer.model"));
  // Partitions 0/1/2 in file order, 7 rows each.
  EXPECT_EQ(ds.partitions().eq(0).sum().item<int64_t>(), 7);
  EXPECT_EQ(ds.partitions().eq(2).sum().item<int64_t>(), 7);
  EXPECT_EQ(ds.partitions()[7].item<int64_t>(), 1);
  // Labels: surprise, joy, sadness, anger, neutral, disgust, fear.
  EXPECT_TRUE(torch::equal(ds.hard_labels().slice(0, 0, 7),
                           torch::tensor({2, 1, 4, 3, 0, 5, 6}, torch::kLong)));
  EXPECT_EQ(ds.targets().sum(1).sum().item<double>(), 21.0);
  // Speakers shared across splits; trials are partition * 1e6 + dialogue.
  EXPECT_EQ(ds.subject_name(ds.subjects()[0].item<int64_t>()), "Monica");
  EXPECT_EQ(ds.subjects()[0].item<int64_t>(), ds.subjects()[6].item<int64_t>());
  EXPECT_EQ(ds.subjects()[0].item<int64_t>(), ds.subjects()[14].item<int64_t>());
  EXPECT_EQ(ds.trials()[3].item<int64_t>(), 1);
  EXPECT_EQ(ds.trials()[8].item<int64_t>(), 1000000);
  EXPECT_EQ(ds.trials()[14].item<int64_t>(), 2000005);

  // Context: utterance 1 of dialogue 0 = ids of utterance 0, <sep>, own ids.
  const auto tokenizer = text::Tokenizer::load((dir / "run" / "tokenizer.model").string());
  const auto first = tokenizer.encode("Oh, my God!");
  const auto second = tokenizer.encode("I'm so happy for you");  // U+0092 normalised
  std::vector<int64_t> expected(first.begin(), first.end());
  expected.push_back(text::Tokenizer::kSepId);
  expected.insert(expected.end(), second.begin(), second.end());
  expected.resize(64, 0);
  const auto row = ds.features(0)[1];
  EXPECT_EQ(std::vector<int64_t>(row.data_ptr<int64_t>(), row.data_ptr<int64_t>() + 64), expected);
  // First utterance of a dialogue has no context.
  EXPECT_EQ(ds.features(0)[0][static_cast<int64_t>(first.size())].item<int64_t>(), 0);

  // A second load reuses tokenizer.model and gives the same tokens; tokenize_lines agrees.
  const auto again = load_meld(options);
  EXPECT_TRUE(torch::equal(again.features(0), ds.features(0)));
  write_file(dir / "new.txt", "Oh, my God!\nI\xC2\x92m so happy for you\n");
  const auto lines =
      tokenize_lines((dir / "new.txt").string(), (dir / "run" / "tokenizer.model").string(), 64, 1);
  EXPECT_TRUE(torch::equal(lines, ds.features(0).slice(0, 0, 2)));
  fs::remove_all(dir);
}

TEST(LoadMeld, MalformedCsvsGiveFileLineAndReason) {
  auto dir = write_small_corpus("bad");
  auto options = small_options(dir);
  const auto dev = (dir / "dev_sent_emo.csv").string();

  write_file(dev,
             std::string(kHeader) + "1,hi,Ross,joy,positive,0,0,1,1,a,b\r\n2,too,few,cols\r\n");
  EXPECT_EQ(error_of(options), dev + ": line 3: expected 11 columns, got 4");

  write_file(dev, std::string(kHeader) + "1,\"never closed,Ross,joy,positive,0,0,1,1,a,b\r\n");
  EXPECT_NE(error_of(options).find(dev + ": line 2: unterminated quoted field"), std::string::npos)
      << error_of(options);

  write_file(dev, std::string(kHeader) + "1,hi,Ross,happy,positive,0,0,1,1,a,b\r\n");
  EXPECT_NE(error_of(options).find(dev + ": line 2: column 'Emotion': unknown emotion 'happy'"),
            std::string::npos)
      << error_of(options);

  write_file(dev, std::string(kHeader) + "1,hi,Ross,joy,positive,zero,0,1,1,a,b\r\n");
  EXPECT_NE(error_of(options).find("line 2: column 'Dialogue_ID': expected an integer, got 'zero'"),
            std::string::npos)
      << error_of(options);

  write_file(dev, "Utterance,Speaker,Emotion\r\nhi,Ross,joy\r\n");
  EXPECT_NE(error_of(options).find("line 1: missing column 'Dialogue_ID'"), std::string::npos)
      << error_of(options);

  fs::remove(dev);
  EXPECT_EQ(error_of(options), dev + ": file not found");

  // Options are checked before any file is read.
  options.max_tokens = 0;
  EXPECT_EQ(error_of(options), "option 'max_tokens': must be in [1, 4096]");
  fs::remove_all(dir);
}

TEST(LoadMeld, EmoryNlpStyleColumnsAndClasses) {
  const auto dir = fresh_dir("emory");
  const std::string csv =
      "Utterance,Speaker,Emotion,Scene_ID,Utterance_ID,Season,Episode,StartTime,EndTime\n"
      "Hi there.,\"['Ross Geller']\",Joyful,1,1,1,1,0,0\n"
      "Go away!,\"['Rachel Green']\",Mad,1,2,1,1,0,0\n"
      "Okay.,\"['Ross Geller']\",Neutral,2,1,1,1,0,0\n";
  for (const char* f :
       {"emorynlp_train_final.csv", "emorynlp_dev_final.csv", "emorynlp_test_final.csv"}) {
    write_file(dir / f, csv);
  }
  MeldOptions options = small_options(dir);
  options.split_files = {"emorynlp_train_final.csv", "emorynlp_dev_final.csv",
                         "emorynlp_test_final.csv"};
  options.columns.dialogue = "Scene_ID";
  options.class_names = {"Joyful", "Mad", "Neutral", "Peaceful", "Powerful", "Sad", "Scared"};
  const auto ds = load_meld(options);
  EXPECT_EQ(ds.size(), 9);
  EXPECT_EQ(ds.num_classes(), 7);
  EXPECT_TRUE(
      torch::equal(ds.hard_labels().slice(0, 0, 3), torch::tensor({0, 1, 2}, torch::kLong)));
  EXPECT_EQ(ds.subject_name(ds.subjects()[0].item<int64_t>()), "['Ross Geller']");
  fs::remove_all(dir);
}

TEST(LoadMeld, AttachesAudioWhenPresent) {
  const auto dir = write_small_corpus("audio");
  // One utterance with audio: train dialogue 0, utterance 1 (row 1): a 200 Hz tone.
  audio::AudioSignal tone;
  tone.sampling_rate = 16000;
  for (int i = 0; i < 8000; ++i)
    tone.samples.push_back(0.4f * std::sin(2 * M_PI * 200.0 * i / 16000));
  fs::create_directories(dir / "audio" / "train");
  audio::audio_write((dir / "audio" / "train" / "dia0_utt1.wav").string(), tone);
  auto options = small_options(dir);
  options.audio_dir = (dir / "audio").string();
  const auto ds = load_meld(options);
  ASSERT_EQ(ds.num_modalities(), 2);
  EXPECT_EQ(ds.modality(1).role, ModalityRole::kAudio);
  const int64_t f = static_cast<int64_t>(audio::audio_feature_names(options.audio).size());
  ASSERT_EQ(ds.features(1).sizes(), (std::vector<int64_t>{21, f + 1}));
  const auto present = ds.features(1).select(1, f);
  EXPECT_EQ(present.sum().item<double>(), 1.0);
  EXPECT_EQ(present[1].item<double>(), 1.0);
  const auto names = audio::audio_feature_names(options.audio);
  const auto pitch = std::find(names.begin(), names.end(), "pitch_mean_hz") - names.begin();
  EXPECT_NEAR(ds.features(1)[1][pitch].item<double>(), 200.0, 2.0);
  EXPECT_EQ(ds.features(1)[0].abs().sum().item<double>(), 0.0);  // no audio: zeros, flag 0

  options.audio_dir = (dir / "nowhere").string();
  EXPECT_NE(error_of(options).find("no dia{D}_utt{U}.wav"), std::string::npos);
  fs::remove_all(dir);
}

TEST(LoadMeld, PrecomputedFeaturesFromNpyAndCsv) {
  const auto dir = write_small_corpus("pre");
  // Text: .npy per split, 7 rows x 3 features in CSV order; value = row + 10 * split.
  fs::create_directories(dir / "text");
  for (int s = 0; s < 3; ++s) {
    std::vector<double> v;
    for (int r = 0; r < 7; ++r) {
      for (int k = 0; k < 3; ++k) v.push_back(r + 10.0 * s + 0.1 * k);
    }
    text::write_npy((dir / "text" /
                     (std::string(s == 0   ? "train"
                                  : s == 1 ? "dev"
                                           : "test") +
                      ".npy"))
                        .string(),
                    {7, 3}, v);
  }
  // Audio: keyed CSV rows in reverse order.
  for (const char* split : {"train", "dev", "test"}) {
    const int offset = std::string(split) == "test" ? 5 : 0;
    std::string csv = "Dialogue_ID,Utterance_ID,f0,f1\n";
    const int keys[7][2] = {{offset + 1, 3}, {offset + 1, 2}, {offset + 1, 1}, {offset + 1, 0},
                            {offset, 2},     {offset, 1},     {offset, 0}};
    for (auto& k : keys) {
      csv += std::to_string(k[0]) + "," + std::to_string(k[1]) + "," +
             std::to_string(k[0] * 100 + k[1]) + ",0.5\n";
    }
    write_file(dir / "audio" / (std::string(split) + ".csv"), csv);
  }
  auto options = small_options(dir);
  options.text_features = (dir / "text").string();
  options.audio_features = (dir / "audio").string();
  auto ds = load_meld(options);
  ASSERT_EQ(ds.num_modalities(), 2);
  EXPECT_EQ(ds.features(0).scalar_type(), torch::kFloat32);
  EXPECT_EQ(ds.features(0).sizes(), (std::vector<int64_t>{21, 3}));
  EXPECT_NEAR(ds.features(0)[9][2].item<double>(), 2 + 10 + 0.2, 1e-5);  // dev row 2
  EXPECT_NEAR(ds.features(1)[3][0].item<double>(), 100.0, 1e-5);         // train dia 1 utt 0
  EXPECT_NEAR(ds.features(1)[16][0].item<double>(), 502.0, 1e-5);        // test dia 5 utt 2
  EXPECT_NEAR(ds.features(1)[20][0].item<double>(), 603.0, 1e-5);        // test dia 6 utt 3
  EXPECT_FALSE(fs::exists(dir / "run" / "tokenizer.model"));             // no tokenizer needed

  // Wrong row count and a missing key.
  text::write_npy((dir / "text" / "dev.npy").string(), {6, 3}, std::vector<double>(18, 0.0));
  EXPECT_NE(error_of(options).find("dev.npy: field 'shape': expected [7, F]"), std::string::npos)
      << error_of(options);
  fs::remove(dir / "text" / "dev.npy");
  write_file(dir / "text" / "dev.csv", "Dialogue_ID,Utterance_ID,f0,f1,f2\n0,0,1,2,3\n");
  EXPECT_NE(error_of(options).find("no row for dialogue 0, utterance 1"), std::string::npos)
      << error_of(options);
  fs::remove_all(dir);
}

TEST(LoadMeld, PrecomputedFeaturesFromPt) {
  const auto dir = write_small_corpus("pt");
  // train/dev/test.pt: [7, 2] tensors as Python's torch.save writes them (torch::pickle_save
  // produces the same zip archive); value = 100 * split + 10 * row + column.
  const char* splits[3] = {"train", "dev", "test"};
  fs::create_directories(dir / "feats");
  auto save = [&](const std::string& split, const torch::Tensor& t) {
    const auto bytes = torch::pickle_save(t);
    std::ofstream out(dir / "feats" / (split + ".pt"), std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  };
  for (int s = 0; s < 3; ++s) {
    save(splits[s], 100.0 * s + 10 * torch::arange(7, torch::kDouble).unsqueeze(1) +
                        torch::arange(2, torch::kDouble));
  }
  auto options = small_options(dir);
  options.text_features = (dir / "feats").string();
  auto ds = load_meld(options);
  ASSERT_EQ(ds.num_modalities(), 1);
  EXPECT_EQ(ds.modality(0).role, ModalityRole::kText);
  EXPECT_EQ(ds.features(0).scalar_type(), torch::kFloat32);
  EXPECT_EQ(ds.features(0).sizes(), (std::vector<int64_t>{21, 2}));
  EXPECT_FLOAT_EQ(ds.features(0)[9][1].item<float>(), 121.0f);   // dev row 2, column 1
  EXPECT_FLOAT_EQ(ds.features(0)[20][0].item<float>(), 260.0f);  // test row 6
  options.text_features.clear();
  options.audio_features = (dir / "feats").string();
  EXPECT_EQ(load_meld(options).modality(1).name, "audio");

  // Row count mismatch, wrong rank, truncated file, two formats for one split.
  save("dev", torch::zeros({6, 2}));
  EXPECT_NE(error_of(options).find("dev.pt: field 'shape': expected [7, F] (one row per row of"),
            std::string::npos)
      << error_of(options);
  save("dev", torch::zeros({7, 2, 2}));
  EXPECT_NE(error_of(options).find("dev.pt: field 'shape': expected a 2-D tensor"),
            std::string::npos)
      << error_of(options);
  {
    const auto bytes = torch::pickle_save(torch::zeros({7, 2}));
    std::ofstream out(dir / "feats" / "dev.pt", std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size() - 30));
  }
  EXPECT_NE(error_of(options).find("dev.pt: cannot read a tensor saved by torch.save"),
            std::string::npos)
      << error_of(options);
  save("dev", torch::zeros({7, 2}));
  text::write_npy((dir / "feats" / "dev.npy").string(), {7, 2}, std::vector<double>(14, 0.0));
  EXPECT_NE(error_of(options).find("dev: found dev.npy, dev.pt; keep one feature file per split"),
            std::string::npos)
      << error_of(options);
  fs::remove_all(dir);
}

TEST(LoadMeld, RealMeldSplitsHaveTheOfficialRowCounts) {
  const fs::path meld = fs::path(emofuse::data_dir()) / "meld";
  for (const char* f : {"train_sent_emo.csv", "dev_sent_emo.csv", "test_sent_emo.csv"}) {
    if (!fs::exists(meld / f)) {
      GTEST_SKIP() << "MELD not found at " << (meld / f).string()
                   << " (set EMOFUSE_DATA_DIR to the folder holding meld/)";
    }
  }
  const auto run = fresh_dir("real");
  MeldOptions options;
  options.data_dir = meld.string();
  options.tokenizer_dir = run.string();
  options.tokenizer.vocab_size = 1000;
  options.max_tokens = 48;
  options.context_window = 2;
  const auto ds = load_meld(options);
  // Official split sizes (MELD README / shared/data/README.md).
  EXPECT_EQ(ds.partitions().eq(0).sum().item<int64_t>(), 9989);
  EXPECT_EQ(ds.partitions().eq(1).sum().item<int64_t>(), 1109);
  EXPECT_EQ(ds.partitions().eq(2).sum().item<int64_t>(), 2610);
  // Class imbalance in train from shared/data/README.md: 4,710 neutral, 268 fear.
  const auto train = ds.partitions().eq(0);
  EXPECT_EQ(ds.hard_labels().masked_select(train).eq(0).sum().item<int64_t>(), 4710);
  EXPECT_EQ(ds.hard_labels().masked_select(train).eq(6).sum().item<int64_t>(), 268);
  EXPECT_EQ(ds.features(0).sizes(), (std::vector<int64_t>{13708, 48}));
  EXPECT_LT(ds.features(0).max().item<int64_t>(), 1000);
  EXPECT_EQ(ds.subject_name(ds.subjects()[0].item<int64_t>()), "Chandler");
  fs::remove_all(run);
}

TEST(ReadMeldOptions, ConfigSectionKeysDefaultsAndErrors) {
  auto node = YAML::Load(
      "{format: meld, path: /x/meld, vocab_size: 500, context_window: 3, "
      "columns: {dialogue: Scene_ID}, audio: {n_mels: 20, n_mfcc: 10}, audio_dir: /x/wav}");
  OptionReader r(node, "data");
  r.get<std::string>("format", "");
  const auto o = read_meld_options(r, r.get<std::string>("path", ""), "/runs/a");
  r.finish();
  EXPECT_EQ(o.data_dir, "/x/meld");
  EXPECT_EQ(o.tokenizer_dir, "/runs/a");
  EXPECT_EQ(o.tokenizer.vocab_size, 500);
  EXPECT_EQ(o.context_window, 3);
  EXPECT_EQ(o.columns.dialogue, "Scene_ID");
  EXPECT_EQ(o.columns.utterance, "Utterance");
  EXPECT_EQ(o.audio.n_mels, 20);
  EXPECT_EQ(o.max_tokens, 64);

  const auto error_for = [](const std::string& yaml) {
    try {
      OptionReader reader(YAML::Load(yaml), "data");
      read_meld_options(reader, "", "/runs/a");
      reader.finish();
    } catch (const OptionError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(error_for("{max_tokens: 0}"), "option 'data.max_tokens': must be in [1, 4096]");
  EXPECT_NE(
      error_for("{columns: {dialog: x}}").find("option 'data.columns.dialog': unknown option"),
      std::string::npos);
  EXPECT_NE(error_for("{audio_dir: /w, audio: {n_mfcc: 99}}").find("data.audio.n_mfcc"),
            std::string::npos);
  EXPECT_NE(error_for("{split_files: [a.csv]}").find("expected 3 file names"), std::string::npos);
  EXPECT_NE(error_for("{vocab_size: 2}").find("data.vocab_size"), std::string::npos);
  EXPECT_NE(error_for("{vocabsize: 2}").find("data.vocabsize"), std::string::npos);
}
