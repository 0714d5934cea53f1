#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
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
  auto dir = fs::temp_directory_path() / ("emofuse_meld_" + name + "_" + std::to_string(::getpid()));
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
  s += "2,I\xC2\x92m so happy for you,Rachel,joy,positive," + std::to_string(offset) + ",1,1,1,a,b\r\n";
  s += "3,\"He said \"\"no\"\"\r\nand left.\",Ross,sadness,negative," + std::to_string(offset) + ",2,1,1,a,b\r\n";
  s += "4,What are you doing here?,Joey,anger,negative," + std::to_string(offset + 1) + ",0,1,1,a,b\r\n";
  s += "5,Fine.,Chandler,neutral,neutral," + std::to_string(offset + 1) + ",1,1,1,a,b\r\n";
  s += "6,Ew. That is gross.,Phoebe,disgust,negative," + std::to_string(offset + 1) + ",2,1,1,a,b\r\n";
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

// EmoryNLP layout (emorynlp_{train,dev,test}_final.csv): Scene_ID restarts in every episode,
// speakers are Python list literals.
const char* kEmoryHeader = "Utterance,Speaker,Emotion,Scene_ID,Utterance_ID,Season,Episode,Start_Time,End_Time\n";
const std::array<std::string, 3> kEmoryFiles = {"emorynlp_train_final.csv", "emorynlp_dev_final.csv",
                                                "emorynlp_test_final.csv"};

// Writes `csv` as all three splits and returns options following the documented recipe.
MeldOptions emory_corpus(const fs::path& dir, const std::string& csv) {
  for (const auto& f : kEmoryFiles) write_file(dir / f, csv);
  MeldOptions options = small_options(dir);
  options.split_files = kEmoryFiles;
  options.columns.dialogue = "Scene_ID";
  options.columns.dialogue_scope = {"Season", "Episode"};
  options.class_names = {"Joyful", "Mad", "Neutral", "Peaceful", "Powerful", "Sad", "Scared"};
  return options;
}

}  // namespace

TEST(LoadMeld, SmallCorpusParsedTokenisedAndSplit) {
  const auto dir = write_small_corpus("small");
  auto options = small_options(dir);
  options.context_window = 1;
  options.max_tokens = 64;  // room for context (the tiny vocabulary gives nearly one id per character)
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
  EXPECT_TRUE(torch::equal(ds.hard_labels().slice(0, 0, 7), torch::tensor({2, 1, 4, 3, 0, 5, 6}, torch::kLong)));
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
  const auto lines = tokenize_lines((dir / "new.txt").string(), (dir / "run" / "tokenizer.model").string(), 64, 1);
  EXPECT_TRUE(torch::equal(lines, ds.features(0).slice(0, 0, 2)));
  fs::remove_all(dir);
}

TEST(LoadMeld, MalformedCsvsGiveFileLineAndReason) {
  auto dir = write_small_corpus("bad");
  auto options = small_options(dir);
  const auto dev = (dir / "dev_sent_emo.csv").string();

  write_file(dev, std::string(kHeader) + "1,hi,Ross,joy,positive,0,0,1,1,a,b\r\n2,too,few,cols\r\n");
  EXPECT_EQ(error_of(options), dev + ": line 3: expected 11 columns, got 4");

  write_file(dev, std::string(kHeader) + "1,\"never closed,Ross,joy,positive,0,0,1,1,a,b\r\n");
  EXPECT_NE(error_of(options).find(dev + ": line 2: unterminated quoted field"), std::string::npos)
      << error_of(options);

  write_file(dev, std::string(kHeader) + "1,hi,Ross,happy,positive,0,0,1,1,a,b\r\n");
  EXPECT_NE(error_of(options).find(dev + ": line 2: column 'Emotion': unknown emotion 'happy'"), std::string::npos)
      << error_of(options);

  write_file(dev, std::string(kHeader) + "1,hi,Ross,joy,positive,zero,0,1,1,a,b\r\n");
  EXPECT_NE(error_of(options).find("line 2: column 'Dialogue_ID': expected an integer, got 'zero'"), std::string::npos)
      << error_of(options);

  write_file(dev, "Utterance,Speaker,Emotion\r\nhi,Ross,joy\r\n");
  EXPECT_NE(error_of(options).find("line 1: missing column 'Dialogue_ID'"), std::string::npos) << error_of(options);

  fs::remove(dev);
  EXPECT_EQ(error_of(options), dev + ": file not found");

  // Options are checked before any file is read.
  options.max_tokens = 0;
  EXPECT_EQ(error_of(options), "option 'max_tokens': must be in [1, 4096]");
  fs::remove_all(dir);
}

TEST(LoadMeld, EmoryNlpStyleColumnsAndClasses) {
  const auto dir = fresh_dir("emory");
  const auto options = emory_corpus(dir, std::string(kEmoryHeader) +
                                             "Hi there.,\"['Ross Geller']\",Joyful,1,1,1,1,0,0\n"
                                             "Go away!,\"['Rachel Green']\",Mad,1,2,1,1,0,0\n"
                                             "Okay.,\"['Ross Geller']\",Neutral,2,1,1,1,0,0\n");
  const auto ds = load_meld(options);
  EXPECT_EQ(ds.size(), 9);
  EXPECT_EQ(ds.num_classes(), 7);
  EXPECT_TRUE(torch::equal(ds.hard_labels().slice(0, 0, 3), torch::tensor({0, 1, 2}, torch::kLong)));
  EXPECT_EQ(ds.subject_name(ds.subjects()[0].item<int64_t>()), "Ross Geller");
  fs::remove_all(dir);
}

TEST(LoadEmoryNlp, ScenesKeyedBySeasonEpisodeAndScene) {
  // Scene_ID 1 occurs in S1E1, S1E2 and S2E1: three dialogues, not one. Utterance_ID restarts
  // per scene, so Scene_ID alone would also give duplicate keys.
  const auto dir = fresh_dir("emory_scenes");
  auto options = emory_corpus(dir, std::string(kEmoryHeader) +
                                       "Hi there.,\"['Ross Geller']\",Joyful,1,1,1,1,0,0\n"
                                       "Go away!,\"['Rachel Green']\",Mad,1,2,1,1,0,0\n"
                                       "Coffee?,\"['Ross Geller']\",Neutral,1,1,1,2,0,0\n"
                                       "No.,\"['Monica Geller']\",Sad,1,1,2,1,0,0\n"
                                       "Fine.,\"['Ross Geller']\",Neutral,2,1,1,1,0,0\n"
                                       "Sure.,\"['Joey Tribbiani']\",Joyful,1,2,1,2,0,0\n");
  options.context_window = 1;
  options.max_tokens = 48;
  const auto ds = load_meld(options);
  ASSERT_EQ(ds.size(), 18);
  // Dialogue index in order of first appearance: (1,1,1) -> 0, (1,2,1) -> 1, (2,1,1) -> 2,
  // (1,1,2) -> 3; the last row belongs to (1,2,1) again. Dev/test add partition * 1e6.
  EXPECT_TRUE(torch::equal(ds.trials().slice(0, 0, 6), torch::tensor({0, 0, 1, 2, 3, 1}, torch::kLong)));
  EXPECT_EQ(ds.trials()[8].item<int64_t>(), 1000001);
  EXPECT_EQ(ds.trials()[16].item<int64_t>(), 2000003);
  // Context stays inside a scene: "Coffee?" (S1E2) starts its dialogue, "Sure." follows it.
  const auto tokenizer = text::Tokenizer::load((dir / "run" / "tokenizer.model").string());
  const auto coffee = tokenizer.encode("Coffee?");
  std::vector<int64_t> own(coffee.begin(), coffee.end());
  own.resize(48, 0);
  const auto row = ds.features(0)[2];
  EXPECT_EQ(std::vector<int64_t>(row.data_ptr<int64_t>(), row.data_ptr<int64_t>() + 48), own);
  std::vector<int64_t> with_context(coffee.begin(), coffee.end());
  with_context.push_back(text::Tokenizer::kSepId);
  const auto sure = tokenizer.encode("Sure.");
  with_context.insert(with_context.end(), sure.begin(), sure.end());
  with_context.resize(48, 0);
  const auto last = ds.features(0)[5];
  EXPECT_EQ(std::vector<int64_t>(last.data_ptr<int64_t>(), last.data_ptr<int64_t>() + 48), with_context);

  // Keyed precomputed features: the scope columns come first; rows in any order.
  fs::create_directories(dir / "feats");
  for (const char* split : {"train", "dev", "test"}) {
    write_file(dir / "feats" / (std::string(split) + ".csv"),
               "Season,Episode,Scene_ID,Utterance_ID,f0\n"
               "1,2,1,2,122\n1,1,2,1,112\n2,1,1,1,211\n1,2,1,1,121\n1,1,1,2,111.2\n"
               "1,1,1,1,111.1\n");
  }
  auto features = options;
  features.text_features = (dir / "feats").string();
  const auto fs_ds = load_meld(features);
  EXPECT_TRUE(torch::allclose(fs_ds.features(0).slice(0, 0, 6).squeeze(1),
                              torch::tensor({111.1f, 111.2f, 121.0f, 211.0f, 112.0f, 122.0f})));
  write_file(dir / "feats" / "dev.csv", "Season,Episode,Scene_ID,Utterance_ID,f0\n1,1,1,1,0\n");
  EXPECT_NE(error_of(features).find("dev.csv: no row for Season 1, Episode 1, Scene_ID 1, "
                                    "Utterance_ID 2 (" +
                                    (dir / kEmoryFiles[1]).string() + " line 3)"),
            std::string::npos)
      << error_of(features);

  // A file without the scope columns names the missing one.
  write_file(dir / kEmoryFiles[1], "Utterance,Speaker,Emotion,Scene_ID,Utterance_ID,Season\nHi.,Ross,Joyful,1,1,1\n");
  EXPECT_NE(error_of(options).find((dir / kEmoryFiles[1]).string() + ": line 1: missing column 'Episode'"),
            std::string::npos)
      << error_of(options);
  fs::remove_all(dir);
}

TEST(LoadMeld, DuplicateUtteranceKeysAreRejected) {
  // MELD: dialogue 0, utterance 1 on lines 3 and 5 of dev.
  auto dir = write_small_corpus("dup");
  auto options = small_options(dir);
  const auto dev = (dir / "dev_sent_emo.csv").string();
  write_file(dev, std::string(kHeader) +
                      "1,Hi.,Ross,joy,positive,0,0,1,1,a,b\r\n"
                      "2,Hey.,Rachel,joy,positive,0,1,1,1,a,b\r\n"
                      "3,Bye.,Ross,sadness,negative,1,0,1,1,a,b\r\n"
                      "4,Hey again.,Joey,joy,positive,0,1,1,1,a,b\r\n");
  EXPECT_NE(error_of(options).find(dev + ": line 5: duplicate utterance key (Dialogue_ID 0, "
                                         "Utterance_ID 1), already on line 3"),
            std::string::npos)
      << error_of(options);
  fs::remove_all(dir);

  // EmoryNLP keyed by Scene_ID alone (the old recipe): scene 1 of two episodes collides, and the
  // message points to columns.dialogue_scope.
  dir = fresh_dir("dup_emory");
  const std::string csv = std::string(kEmoryHeader) +
                          "Hi.,\"['Ross Geller']\",Joyful,1,1,1,1,0,0\n"
                          "Yo.,\"['Joey Tribbiani']\",Joyful,1,1,1,2,0,0\n";
  options = emory_corpus(dir, csv);
  options.columns.dialogue_scope.clear();
  const auto train = (dir / kEmoryFiles[0]).string();
  std::string error = error_of(options);
  EXPECT_NE(error.find(train + ": line 3: duplicate utterance key (Scene_ID 1, Utterance_ID 1), already "
                               "on line 2"),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("columns.dialogue_scope"), std::string::npos) << error;
  // With the scope the same rows load; a true duplicate within one scene is still an error.
  options.columns.dialogue_scope = {"Season", "Episode"};
  EXPECT_EQ(load_meld(options).size(), 6);
  write_file(dir / kEmoryFiles[2], csv + "Again.,\"['Ross Geller']\",Mad,1,1,1,2,0,0\n");
  error = error_of(options);
  EXPECT_EQ(error, (dir / kEmoryFiles[2]).string() +
                       ": line 4: duplicate utterance key (Season 1, Episode 2, Scene_ID 1, "
                       "Utterance_ID 1), already on line 3");
  fs::remove_all(dir);
}

TEST(LoadEmoryNlp, SpeakerListLiteralsParsed) {
  const auto dir = fresh_dir("emory_speakers");
  // CSV-quoted cells: "" is one " inside the Python literal.
  auto options = emory_corpus(dir, std::string(kEmoryHeader) +
                                       "Hi.,\"['Monica Geller']\",Joyful,1,1,1,1,0,0\n"
                                       "Hey.,\"['Joey Tribbiani', 'Chandler Bing']\",Joyful,1,2,1,1,0,0\n"
                                       "Oh.,\"[\"\"Chandler's Dad\"\"]\",Neutral,1,3,1,1,0,0\n"
                                       "So.,\" [ 'Monica Geller' ,] \",Sad,1,4,1,1,0,0\n"
                                       "No.,\"['It\\'s \\\\ me']\",Mad,1,5,1,1,0,0\n"
                                       "Ok.,Ross,Neutral,1,6,1,1,0,0\n");
  const auto ds = load_meld(options);
  std::vector<std::string> names;
  for (int64_t i = 0; i < 6; ++i) {
    names.push_back(ds.subject_name(ds.subjects()[i].item<int64_t>()));
  }
  EXPECT_EQ(names, (std::vector<std::string>{"Monica Geller", "Joey Tribbiani & Chandler Bing", "Chandler's Dad",
                                             "Monica Geller", "It's \\ me", "Ross"}));
  EXPECT_EQ(ds.subjects()[0].item<int64_t>(), ds.subjects()[3].item<int64_t>());

  // Malformed literals: file, line, column and why.
  const auto dev = (dir / kEmoryFiles[1]).string();
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"\"['Monica Geller'\"", "missing ']'"},
      {"\"[Monica Geller]\"", "expected a quoted name at character 2"},
      {"\"['Monica' 'Ross']\"", "expected ',' or ']' at character 11"},
      {"\"['Monica Geller]\"", "unterminated quoted name"},
      {"[]", "no name"},
      {"\"['  ']\"", "empty name"},
      {"\"['Monica'] and Ross\"", "text after ']'"},
      {"\"['Mon\\nica']\"", "unsupported escape at character 6"},
  };
  for (const auto& [cell, why] : bad) {
    write_file(dev, std::string(kEmoryHeader) + "Hi.,\"['Ross Geller']\",Joyful,1,1,1,1,0,0\n" + "Hey.," + cell +
                        ",Joyful,1,2,1,1,0,0\n");
    const auto error = error_of(options);
    EXPECT_NE(error.find(dev + ": line 3: column 'Speaker': malformed speaker list "), std::string::npos)
        << cell << " -> " << error;
    EXPECT_NE(error.find(": " + why + "; expected a list of quoted names like ['Monica Geller']"), std::string::npos)
        << cell << " -> " << error;
  }
  fs::remove_all(dir);
}

TEST(LoadMeld, AttachesAudioWhenPresent) {
  const auto dir = write_small_corpus("audio");
  // One utterance with audio: train dialogue 0, utterance 1 (row 1): a 200 Hz tone.
  audio::AudioSignal tone;
  tone.sampling_rate = 16000;
  for (int i = 0; i < 8000; ++i) tone.samples.push_back(0.4f * std::sin(2 * M_PI * 200.0 * i / 16000));
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
      csv += std::to_string(k[0]) + "," + std::to_string(k[1]) + "," + std::to_string(k[0] * 100 + k[1]) + ",0.5\n";
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
  EXPECT_NE(error_of(options).find("dev.npy: field 'shape': expected [7, F]"), std::string::npos) << error_of(options);
  fs::remove(dir / "text" / "dev.npy");
  write_file(dir / "text" / "dev.csv", "Dialogue_ID,Utterance_ID,f0,f1,f2\n0,0,1,2,3\n");
  EXPECT_NE(error_of(options).find("no row for dialogue 0, utterance 1"), std::string::npos) << error_of(options);
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
    save(splits[s], 100.0 * s + 10 * torch::arange(7, torch::kDouble).unsqueeze(1) + torch::arange(2, torch::kDouble));
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
  EXPECT_NE(error_of(options).find("dev.pt: field 'shape': expected [7, F] (one row per row of"), std::string::npos)
      << error_of(options);
  save("dev", torch::zeros({7, 2, 2}));
  EXPECT_NE(error_of(options).find("dev.pt: field 'shape': expected a 2-D tensor"), std::string::npos)
      << error_of(options);
  {
    const auto bytes = torch::pickle_save(torch::zeros({7, 2}));
    std::ofstream out(dir / "feats" / "dev.pt", std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size() - 30));
  }
  EXPECT_NE(error_of(options).find("dev.pt: cannot read a tensor saved by torch.save"), std::string::npos)
      << error_of(options);
  save("dev", torch::zeros({7, 2}));
  text::write_npy((dir / "feats" / "dev.npy").string(), {7, 2}, std::vector<double>(14, 0.0));
  EXPECT_NE(error_of(options).find("dev: found dev.npy, dev.pt; keep one feature file per split"), std::string::npos)
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

namespace {

// The OptionError message read_meld_options gives for the data section `yaml` ("no error" when
// it accepts it).
std::string meld_option_error(const std::string& yaml) {
  try {
    OptionReader reader(YAML::Load(yaml), "data");
    read_meld_options(reader, "", "/runs/a");
    reader.finish();
  } catch (const OptionError& e) {
    return std::string(e.what());
  }
  return std::string("no error");
}

}  // namespace

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
  EXPECT_TRUE(o.columns.dialogue_scope.empty());
  EXPECT_EQ(o.columns.utterance, "Utterance");
  EXPECT_EQ(o.audio.n_mels, 20);
  EXPECT_EQ(o.max_tokens, 64);

  const auto error_for = meld_option_error;
  EXPECT_EQ(error_for("{max_tokens: 0}"), "option 'data.max_tokens': must be in [1, 4096]");
  EXPECT_NE(error_for("{columns: {dialog: x}}").find("option 'data.columns.dialog': unknown option"),
            std::string::npos);
  EXPECT_NE(error_for("{audio_dir: /w, audio: {n_mfcc: 99}}").find("data.audio.n_mfcc"), std::string::npos);
  EXPECT_NE(error_for("{split_files: [a.csv]}").find("expected 3 file names"), std::string::npos);
  EXPECT_NE(error_for("{vocab_size: 2}").find("data.vocab_size"), std::string::npos);
  EXPECT_NE(error_for("{vocabsize: 2}").find("data.vocabsize"), std::string::npos);
}

TEST(ReadMeldOptions, EmoryNlpRecipeWithDialogueScope) {
  // The recipe of docs/data.md.
  auto node = YAML::Load(
      "{format: meld, path: /x/emorynlp, split_files: [emorynlp_train_final.csv, "
      "emorynlp_dev_final.csv, emorynlp_test_final.csv], columns: {dialogue: Scene_ID, "
      "dialogue_scope: [Season, Episode]}, class_names: [Joyful, Mad, Neutral, Peaceful, "
      "Powerful, Sad, Scared]}");
  OptionReader r(node, "data");
  r.get<std::string>("format", "");
  const auto o = read_meld_options(r, r.get<std::string>("path", ""), "/runs/a");
  r.finish();
  EXPECT_EQ(o.columns.dialogue, "Scene_ID");
  EXPECT_EQ(o.columns.dialogue_scope, (std::vector<std::string>{"Season", "Episode"}));

  const auto error_for = meld_option_error;
  EXPECT_EQ(error_for("{columns: {dialogue: Scene_ID, dialogue_scope: [Season, Scene_ID]}}"),
            "option 'data.columns.dialogue_scope': column 'Scene_ID' named twice among "
            "dialogue_scope, dialogue and utterance_id");
  EXPECT_EQ(error_for("{columns: {dialogue_scope: ['']}}"),
            "option 'data.columns.dialogue_scope': column names must not be empty");
  EXPECT_EQ(error_for("{audio_dir: /w, columns: {dialogue_scope: [Season]}}"),
            "option 'data.audio_dir': audio files are named dia{D}_utt{U} by one dialogue id; "
            "not available with columns.dialogue_scope");
}
