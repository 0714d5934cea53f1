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
  for (const auto& f : make_folds(d, o)) {
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
  EXPECT_TRUE(is_leaky(protocol_from_name("random_leaky")));
  EXPECT_NE(folds[0].name.find("LEAKY"), std::string::npos);
  // With 5 windows per clip and 4 folds, some clip is on both sides: that is the leak.
  EXPECT_FALSE(disjoint(values_at(d.clip_keys(), folds[0].test), values_at(d.clip_keys(), folds[0].train)));
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
  EXPECT_TRUE(torch::equal(a[2].validation, b[2].validation));
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
