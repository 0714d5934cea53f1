// The `prior` floor model (src/models/baselines/prior.h).
#include <gtest/gtest.h>

#include "core/error.h"
#include "models/baselines/prior.h"
#include "models/registry.h"
#include "test_util.h"

using namespace emofuse;

TEST(Prior, PredictsTheMeanTrainingDistributionWhateverTheInput) {
  auto data = testutil::tiny_cohort();
  models::PriorEstimator prior(data.schema());
  prior.fit(data, data::MultimodalDataset(), models::FitContext());
  // Expected: the column means of the targets, computed directly.
  auto expected = data.targets().to(torch::kFloat64).mean(0);
  auto predictions = prior.predict(data);
  ASSERT_EQ(predictions.sizes(), data.targets().sizes());
  for (int64_t i = 0; i < predictions.size(0); ++i) {
    EXPECT_TRUE(torch::allclose(predictions[i].to(torch::kFloat64), expected, 1e-6, 1e-7)) << "row " << i;
  }
  EXPECT_NEAR(predictions.sum(1).max().item<double>(), 1.0, 1e-6);
  EXPECT_EQ(prior.parameter_count(), 0);
}

TEST(Prior, OneHotTargetsGiveClassFrequenciesAndTheMajorityClass) {
  auto data = testutil::tiny_cohort();
  // Three samples: classes 2, 2, 5 (one-hot) -> frequencies 2/3 and 1/3, argmax class 2.
  auto rows = torch::tensor({0, 1, 2}, torch::kInt64);
  auto picked = data.subset(rows);
  auto one_hot = torch::zeros({3, data.num_classes()});
  one_hot[0][2] = 1;
  one_hot[1][2] = 1;
  one_hot[2][5] = 1;
  std::vector<torch::Tensor> features;
  for (int64_t m = 0; m < picked.num_modalities(); ++m) features.push_back(picked.features(m));
  data::MultimodalDataset subset(picked.modalities(), features, one_hot, picked.subjects(), picked.trials(),
                                 picked.class_names(), "three one-hot rows");
  models::PriorEstimator prior(data.schema());
  prior.fit(subset, data::MultimodalDataset(), models::FitContext());
  auto q = prior.distribution();
  EXPECT_NEAR(q[2].item<double>(), 2.0 / 3.0, 1e-6);
  EXPECT_NEAR(q[5].item<double>(), 1.0 / 3.0, 1e-6);
  EXPECT_EQ(prior.predict(data).argmax(1).eq(2).all().item<bool>(), true);
}

TEST(Prior, SaveLoadRoundTripAndBadFiles) {
  testutil::TempDir dir;
  auto data = testutil::tiny_cohort();
  models::PriorEstimator prior(data.schema());
  prior.fit(data, data::MultimodalDataset(), models::FitContext());
  prior.save(dir.file("prior.pt"));
  models::PriorEstimator loaded(data.schema());
  loaded.load(dir.file("prior.pt"));
  EXPECT_TRUE(torch::equal(loaded.predict(data), prior.predict(data)));

  // A file of another model: no 'distribution' tensor.
  torch::serialize::OutputArchive other;
  other.write("weights", torch::ones({3}));
  other.save_to(dir.file("other.pt"));
  auto message = testutil::error_message<DataError>([&] { loaded.load(dir.file("other.pt")); });
  EXPECT_NE(message.find("distribution"), std::string::npos) << message;
  // Wrong number of classes.
  torch::serialize::OutputArchive wrong;
  wrong.write("distribution", torch::full({3}, 1.0 / 3));
  wrong.save_to(dir.file("wrong.pt"));
  message = testutil::error_message<DataError>([&] { loaded.load(dir.file("wrong.pt")); });
  EXPECT_NE(message.find("one per class"), std::string::npos) << message;
  // Not a distribution.
  torch::serialize::OutputArchive negative;
  negative.write("distribution", -torch::ones({data.num_classes()}));
  negative.save_to(dir.file("negative.pt"));
  message = testutil::error_message<DataError>([&] { loaded.load(dir.file("negative.pt")); });
  EXPECT_NE(message.find("not a probability distribution"), std::string::npos) << message;
}

TEST(Prior, RegisteredFirstAndTakesNoOptions) {
  ASSERT_FALSE(models::model_registry().empty());
  EXPECT_EQ(models::model_registry().front().name, "prior");
  const auto& entry = models::find_model("prior");
  EXPECT_NO_THROW(entry.validate_options(YAML::Node()));
  YAML::Node options;
  options["hidden"] = 8;
  auto message = testutil::error_message<OptionError>([&] { entry.validate_options(options); });
  EXPECT_NE(message.find("hidden"), std::string::npos) << message;
}
