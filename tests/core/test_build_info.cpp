// What a run records about its program (src/core/build_info.h): the commit and the command line.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "core/build_info.h"

using namespace emofuse;

TEST(BuildInfo, CommitIsRecorded) {
  ASSERT_NE(build_commit(), nullptr);
  EXPECT_GT(std::strlen(build_commit()), 0u);
}

// Plain arguments as they are; anything else single-quoted for a POSIX shell, a quote inside
// written '\'' (the expected line is written out by hand).
TEST(BuildInfo, CommandLineIsQuotedForAShell) {
  EXPECT_EQ(command_line(), "");  // never set in the tests
  std::vector<std::string> args{"emofuse", "train", "--set", "model.name=helo", "a b", "it's", "", "x@y:1,2+%"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  set_command_line(static_cast<int>(argv.size()), argv.data());
  EXPECT_EQ(command_line(), "emofuse train --set model.name=helo 'a b' 'it'\\''s' '' x@y:1,2+%");
  set_command_line(0, nullptr);
  EXPECT_EQ(command_line(), "");
}
