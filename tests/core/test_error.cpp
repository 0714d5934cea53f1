// The error types that reach the user (src/core/error.h) and the message each one builds.
#include <gtest/gtest.h>

#include <stdexcept>

#include "core/error.h"
#include "test_util.h"

using namespace emofuse;

TEST(Errors, DataErrorNamesFileWhereAndWhat) {
  EXPECT_STREQ(DataError("S2.csv", "line 17", "expected 6 columns, got 4").what(),
               "S2.csv: line 17: expected 6 columns, got 4");
  EXPECT_STREQ(DataError("S2.csv", "", "cannot open file").what(), "S2.csv: cannot open file");
}

TEST(Errors, OptionErrorNamesTheOption) {
  EXPECT_STREQ(OptionError("data.format", "unknown format 'hdf5'").what(),
               "option 'data.format': unknown format 'hdf5'");
}

TEST(Errors, EveryTypeIsAnEmofuseErrorAndARuntimeError) {
  EXPECT_THROW(throw DataError("f", "", "x"), Error);
  EXPECT_THROW(throw OptionError("o", "x"), Error);
  EXPECT_THROW(throw Error("x"), std::runtime_error);
}

TEST(Errors, RequireOptionThrowsOnlyWhenTheConditionFails) {
  EXPECT_NO_THROW(require_option(true, "lambda", "must be >= 0"));
  EXPECT_EQ(testutil::error_message<OptionError>([] { require_option(false, "lambda", "must be >= 0"); }),
            "option 'lambda': must be >= 0");
}
