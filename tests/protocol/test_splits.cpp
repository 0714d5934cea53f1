#include <gtest/gtest.h>

#include <set>

#include "core/error.h"
#include "protocol/splits.h"
#include "test_util.h"

using namespace emofuse;
using namespace emofuse::protocol;

namespace {

std::set<int64_t> values_at(const torch::Tensor& column, const torch::Tensor& rows) {
  auto v = column.index_select(0, rows);
  return std::set<int64_t>(v.data_ptr<int64_t>(), v.data_ptr<int64_t>() + v.numel());
}

bool disjoint(const std::set<int64_t>& a, const std::set<int64_t>& b) {
  for (auto x : a) {
    if (b.count(x)) return false;
  }
  return true;
}

}  // namespace

TEST(Splits, LosoKeepsEverySubjectOnOneSideAndCoversAllRows) {
  auto d = testutil::tiny_cohort(5, 4, 2);
  ProtocolOptions o;
  o.name = "loso";
  auto folds = make_folds(d, o);
  ASSERT_EQ(folds.size(), 5u);
  int64_t tested = 0;
  for (const auto& f : folds) {
    auto test_subjects = values_at(d.subjects(), f.test);
    auto train_subjects = values_at(d.subjects(), f.train);
    auto val_subjects = values_at(d.subjects(), f.validation);
    EXPECT_EQ(test_subjects.size(), 1u);
    EXPECT_TRUE(disjoint(test_subjects, train_subjects));
    EXPECT_TRUE(disjoint(test_subjects, val_subjects));
    EXPECT_TRUE(disjoint(train_subjects, val_subjects));  // validation = held-out training subjects
    EXPECT_GE(val_subjects.size(), 1u);
    EXPECT_EQ(f.train.numel() + f.validation.numel() + f.test.numel(), d.size());
    tested += f.test.numel();
  }
  EXPECT_EQ(tested, d.size());  // every row is tested exactly once
}

TEST(Splits, SubjectKFoldGroupsSubjects) {
  auto d = testutil::tiny_cohort(6, 3, 2);
  ProtocolOptions o;
  o.name = "subject_kfold";
  o.folds = 3;
  auto folds = make_folds(d, o);
  ASSERT_EQ(folds.size(), 3u);
  for (const auto& f : folds) {
    EXPECT_EQ(values_at(d.subjects(), f.test).size(), 2u);
    EXPECT_TRUE(disjoint(values_at(d.subjects(), f.test), values_at(d.subjects(), f.train)));
  }
}

TEST(Splits, SubjectDependentNeverSharesAClip) {
  auto d = testutil::tiny_cohort(3, 6, 4);
  ProtocolOptions o;
  o.name = "subject_dependent";
  o.folds = 3;
  auto keys = d.clip_keys();
  const auto folds = make_folds(d, o);
  ASSERT_EQ(folds.size(), 3u);  // the checks below run once per fold
  for (const auto& f : folds) {
    auto test_clips = values_at(keys, f.test);
    EXPECT_TRUE(disjoint(test_clips, values_at(keys, f.train)));
    EXPECT_TRUE(disjoint(test_clips, values_at(keys, f.validation)));
    EXPECT_EQ(values_at(d.subjects(), f.test).size(), 3u);  // every subject is tested
  }
}

TEST(Splits, RandomLeakyIsLabelledAndDoesLeakClips) {
  auto d = testutil::tiny_cohort(2, 4, 5);
  ProtocolOptions o;
  o.name = "random_leaky";
  o.folds = 4;
  auto folds = make_folds(d, o);
  ASSERT_EQ(folds.size(), 4u);
  EXPECT_TRUE(is_leaky(protocol_from_name("random_leaky")));
  EXPECT_NE(folds[0].name.find("LEAKY"), std::string::npos);
  // With 5 windows per clip and 4 folds, some clip is on both sides: that is the leak.
  EXPECT_FALSE(disjoint(values_at(d.clip_keys(), folds[0].test), values_at(d.clip_keys(), folds[0].train)));
}

TEST(Splits, PerSubjectLeakyTrainsOneFoldPerSubjectOnEightyPercentOfItsWindows) {
  auto d = testutil::tiny_cohort(3, 4, 5);  // 3 subjects x 20 windows
  ProtocolOptions o;
  o.name = "per_subject_leaky";
  o.validation_fraction = 0.25;
  auto folds = make_folds(d, o);
  ASSERT_EQ(folds.size(), 3u);  // one fold per subject, whatever protocol.folds says
  EXPECT_TRUE(is_leaky(protocol_from_name("per_subject_leaky")));
  for (size_t f = 0; f < folds.size(); ++f) {
    const auto& fold = folds[f];
    auto subject = static_cast<int64_t>(f);  // folds follow subject ids
    EXPECT_EQ(fold.name, "LEAKY " + d.subject_name(subject));
    // Every row of the fold is one subject's.
    EXPECT_EQ(values_at(d.subjects(), fold.train), std::set<int64_t>{subject});
    EXPECT_EQ(values_at(d.subjects(), fold.validation), std::set<int64_t>{subject});
    EXPECT_EQ(values_at(d.subjects(), fold.test), std::set<int64_t>{subject});
    // 20 windows: floor(0.8 * 20) = 16 on the training side, of which round(0.25 * 16) = 4
    // validate; the other 4 test.
    EXPECT_EQ(fold.train.numel(), 12);
    EXPECT_EQ(fold.validation.numel(), 4);
    EXPECT_EQ(fold.test.numel(), 4);
    auto train = values_at(torch::arange(d.size()), fold.train);
    auto val = values_at(torch::arange(d.size()), fold.validation);
    auto test = values_at(torch::arange(d.size()), fold.test);
    EXPECT_TRUE(disjoint(train, test));
    EXPECT_TRUE(disjoint(val, test));
    EXPECT_TRUE(disjoint(train, val));
    EXPECT_NO_THROW(check_no_leak(d, fold, ProtocolKind::kPerSubjectLeaky));
  }
}

TEST(Splits, PerSubjectLeakyWithoutValidationSplitsFloorEightyTwenty) {
  auto d = testutil::tiny_cohort(2, 3, 3);  // 9 windows per subject
  ProtocolOptions o;
  o.name = "per_subject_leaky";
  o.validation_fraction = 0;
  const auto folds = make_folds(d, o);
  ASSERT_EQ(folds.size(), 2u);  // one per subject; the sizes below are checked for each
  for (const auto& fold : folds) {
    EXPECT_EQ(fold.train.numel(), 7);  // int(0.8 * 9) = 7, as the reference's random_split sizes
    EXPECT_EQ(fold.validation.numel(), 0);
    EXPECT_EQ(fold.test.numel(), 2);
  }
}

TEST(Splits, PerSubjectLeakyIsSeededAndDoesLeakClips) {
  auto d = testutil::tiny_cohort(2, 4, 5);
  ProtocolOptions o;
  o.name = "per_subject_leaky";
  o.seed = 3;
  auto a = make_folds(d, o), b = make_folds(d, o);
  ASSERT_EQ(a.size(), 2u);  // one fold per subject, compared below
  ASSERT_EQ(b.size(), a.size());
  for (size_t f = 0; f < a.size(); ++f) {
    EXPECT_TRUE(torch::equal(a[f].train, b[f].train));
    EXPECT_TRUE(torch::equal(a[f].validation, b[f].validation));
    EXPECT_TRUE(torch::equal(a[f].test, b[f].test));
  }
  o.seed = 4;
  auto c = make_folds(d, o);
  bool any_different = false;
  for (size_t f = 0; f < a.size(); ++f) any_different |= !torch::equal(a[f].test, c[f].test);
  EXPECT_TRUE(any_different);
  // A test clip has 4 other windows and only round(0.2 * 16) = 3 validate: at least one trains.
  EXPECT_FALSE(disjoint(values_at(d.clip_keys(), a[0].test), values_at(d.clip_keys(), a[0].train)));
}

TEST(Splits, PerSubjectLeakyNeedsTwoWindowsPerSubject) {
  auto d = testutil::tiny_cohort(2, 1, 1);  // one window per subject
  ProtocolOptions o;
  o.name = "per_subject_leaky";
  auto message = testutil::error_message<Error>([&] { make_folds(d, o); });
  EXPECT_NE(message.find("at least 2 windows per subject"), std::string::npos) << message;
}

TEST(Splits, KFoldRefusesWindowedData) {
  auto d = testutil::tiny_cohort(2, 4, 5);
  ProtocolOptions o;
  o.name = "kfold";
  EXPECT_THROW(make_folds(d, o), Error);
}

TEST(Splits, FixedUsesPartitionsAndNeedsThem) {
  auto d = testutil::tiny_cohort(2, 3, 2);  // 12 rows
  ProtocolOptions o;
  o.name = "fixed";
  EXPECT_THROW(make_folds(d, o), Error);
  d.set_partitions(torch::tensor({0, 0, 0, 0, 0, 0, 1, 1, 2, 2, 2, 2}, torch::kInt64));
  auto folds = make_folds(d, o);
  ASSERT_EQ(folds.size(), 1u);
  EXPECT_EQ(folds[0].train.numel(), 6);
  EXPECT_EQ(folds[0].validation.numel(), 2);
  EXPECT_EQ(folds[0].test.numel(), 4);
}

TEST(Splits, SameSeedSameFoldsOtherSeedOtherValidation) {
  auto d = testutil::tiny_cohort(6, 3, 2);
  ProtocolOptions o;
  o.name = "loso";
  auto a = make_folds(d, o), b = make_folds(d, o);
  // Six LOSO folds, each the same in both calls: rows, sides and names.
  ASSERT_EQ(a.size(), 6u);
  ASSERT_EQ(b.size(), a.size());
  for (size_t f = 0; f < a.size(); ++f) {
    EXPECT_EQ(a[f].name, b[f].name);
    EXPECT_TRUE(torch::equal(a[f].train, b[f].train)) << f;
    EXPECT_TRUE(torch::equal(a[f].validation, b[f].validation)) << f;
    EXPECT_TRUE(torch::equal(a[f].test, b[f].test)) << f;
  }
  EXPECT_GT(a[2].validation.numel(), 0);  // a validation side to differ below
  o.seed = 7;
  auto c = make_folds(d, o);
  bool any_different = false;
  for (size_t f = 0; f < a.size(); ++f) any_different |= !torch::equal(a[f].validation, c[f].validation);
  EXPECT_TRUE(any_different);
}

TEST(Splits, CheckNoLeakCatchesASharedSubject) {
  auto d = testutil::tiny_cohort(3, 2, 2);
  Fold bad{"bad", torch::tensor({0, 1, 4}, torch::kInt64), torch::empty({0}, torch::kInt64),
           torch::tensor({2, 3}, torch::kInt64)};  // rows 0-3 are subject 0
  EXPECT_THROW(check_no_leak(d, bad, ProtocolKind::kLoso), Error);
}

TEST(Splits, InvalidOptionsAreRejected) {
  ProtocolOptions o;
  o.name = "leave_one_out";
  EXPECT_THROW(o.validate(), OptionError);
  o.name = "subject_kfold";
  o.folds = 1;
  EXPECT_THROW(o.validate(), OptionError);
  o.folds = 5;
  o.validation_fraction = 1.0;
  EXPECT_THROW(o.validate(), OptionError);
}
