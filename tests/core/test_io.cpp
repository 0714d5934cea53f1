// File utilities (src/core/io.h): CSV reading with line numbers, number parsing, atomic writes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "core/error.h"
#include "core/io.h"
#include "test_util.h"

using namespace emofuse;
using ::testing::HasSubstr;
namespace fs = std::filesystem;

// ------------------------------------------------------------------------------------ read_csv

// Quoted fields with delimiters, "" escapes and a line break; a blank line; CRLF ends; a UTF-8
// byte-order mark. Each row records the line it starts on (counted by hand from the text).
TEST(ReadCsv, QuotedFieldsLineEndsAndLineNumbers) {
  testutil::TempDir dir;
  testutil::write_file(dir.file("t.csv"),
                       "\xEF\xBB\xBFname,note\r\n"  // line 1: header after the BOM
                       "a,\"x, y\"\r\n"             // line 2
                       "\n"                         // line 3: blank, skipped
                       "b,\"say \"\"hi\"\"\"\n"     // line 4
                       "c,\"two\nlines\"\n"         // lines 5-6: one row
                       "d,last");                   // line 7, no final line end
  const auto t = read_csv(dir.file("t.csv"));
  EXPECT_EQ(t.path, dir.file("t.csv"));
  EXPECT_EQ(t.header, (std::vector<std::string>{"name", "note"}));
  ASSERT_EQ(t.rows.size(), 4u);
  EXPECT_EQ(t.rows[0], (std::vector<std::string>{"a", "x, y"}));
  EXPECT_EQ(t.rows[1], (std::vector<std::string>{"b", "say \"hi\""}));
  EXPECT_EQ(t.rows[2], (std::vector<std::string>{"c", "two\nlines"}));
  EXPECT_EQ(t.rows[3], (std::vector<std::string>{"d", "last"}));
  EXPECT_EQ(t.lines, (std::vector<int64_t>{2, 4, 5, 7}));
  EXPECT_EQ(t.column("note"), 1);
  EXPECT_EQ(t.find_column("missing"), -1);
  EXPECT_EQ(testutil::error_message<DataError>([&] { t.column("missing"); }),
            dir.file("t.csv") + ": header: no column 'missing'");
}

TEST(ReadCsv, OtherDelimiter) {
  testutil::TempDir dir;
  testutil::write_file(dir.file("t.tsv"), "a\tb\n1,5\t2\n");
  const auto t = read_csv(dir.file("t.tsv"), '\t');
  ASSERT_EQ(t.rows.size(), 1u);
  EXPECT_EQ(t.rows[0], (std::vector<std::string>{"1,5", "2"}));
}

TEST(ReadCsv, BadFilesNameFileLineAndProblem) {
  testutil::TempDir dir;
  testutil::write_file(dir.file("short.csv"), "a,b,c\n1,2,3\n4,5\n");
  EXPECT_EQ(testutil::error_message<DataError>([&] { read_csv(dir.file("short.csv")); }),
            dir.file("short.csv") + ": line 3: expected 3 columns, got 2");
  testutil::write_file(dir.file("open.csv"), "a,b\n1,\"never closed\n2,3\n");
  EXPECT_EQ(testutil::error_message<DataError>([&] { read_csv(dir.file("open.csv")); }),
            dir.file("open.csv") + ": line 2: unterminated quoted field (truncated file?)");
  testutil::write_file(dir.file("empty.csv"), "\n\n");
  EXPECT_EQ(testutil::error_message<DataError>([&] { read_csv(dir.file("empty.csv")); }),
            dir.file("empty.csv") + ": empty file (no header)");
  EXPECT_EQ(testutil::error_message<DataError>([&] { read_csv(dir.file("none.csv")); }),
            dir.file("none.csv") + ": cannot open file");
}

// ------------------------------------------------------------------------------------ parse_number

TEST(ParseNumber, DoubleOverflowIsNamedAndUnderflowReadsAsZero) {
  EXPECT_THAT(testutil::error_message<DataError>([] { parse_number("1e400", "f.csv", 3, "x"); }),
              HasSubstr("f.csv: line 3, column 'x': value '1e400' does not fit a 64-bit float"));
  EXPECT_THAT(testutil::error_message<DataError>([] { parse_number("nan", "f.csv", 3, "x"); }),
              HasSubstr("f.csv: line 3, column 'x': expected a finite number, got 'nan' (NaN or Inf)"));
  EXPECT_NEAR(parse_number("1e-400", "f.csv", 3, "x"), 0.0, 1e-300);
}

TEST(ParseNumber, SurroundingBlanksAreAllowedAnythingElseIsNot) {
  EXPECT_DOUBLE_EQ(parse_number(" 2.5\t", "f.csv", 2, "x"), 2.5);
  EXPECT_DOUBLE_EQ(parse_number("-1e-3", "f.csv", 2, "x"), -0.001);
  for (const char* text : {"", "abc", "1.5x", "1 2"}) {
    EXPECT_EQ(testutil::error_message<DataError>([&] { parse_number(text, "f.csv", 9, "eda"); }),
              std::string("f.csv: line 9, column 'eda': expected a finite number, got '") + text + "'")
        << text;
  }
}

// ------------------------------------------------------------------------------------ writing

TEST(XmlEscape, EscapesTheFourMarkupCharactersOnly) {
  EXPECT_EQ(xml_escape("plain: 'text' # 100%"), "plain: 'text' # 100%");
  EXPECT_EQ(xml_escape("a < b && c > \"d\""), "a &lt; b &amp;&amp; c &gt; &quot;d&quot;");
  EXPECT_EQ(xml_escape("&amp;"), "&amp;amp;") << "an existing reference is text, escaped again";
}

TEST(CsvEscape, QuotesOnlyWhatNeedsItAndReadsBack) {
  EXPECT_EQ(csv_escape("plain text"), "plain text");
  EXPECT_EQ(csv_escape("a,b"), "\"a,b\"");
  EXPECT_EQ(csv_escape("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csv_escape("two\nlines"), "\"two\nlines\"");
  testutil::TempDir dir;
  const std::vector<std::string> fields{"a,b", "say \"hi\"", "two\r\nlines", ""};
  std::string line;
  for (const auto& f : fields) line += (line.empty() ? "" : ",") + csv_escape(f);
  testutil::write_file(dir.file("t.csv"), "w,x,y,z\n" + line + "\n");
  const auto t = read_csv(dir.file("t.csv"));
  ASSERT_EQ(t.rows.size(), 1u);
  EXPECT_EQ(t.rows[0], fields);
}

TEST(WriteTextAtomic, WritesTheWholeContentAndLeavesNoPartialFile) {
  testutil::TempDir dir;
  write_text_atomic(dir.file("out.txt"), "first");
  write_text_atomic(dir.file("out.txt"), "second version");
  EXPECT_EQ(read_file(dir.file("out.txt")), "second version");
  EXPECT_FALSE(fs::exists(dir.file("out.txt.partial")));
  EXPECT_EQ(testutil::error_message<Error>([&] { write_text_atomic(dir.file("no/such/dir/out.txt"), "x"); }),
            "cannot write " + dir.file("no/such/dir/out.txt"));
  EXPECT_EQ(testutil::error_message<DataError>([&] { read_file(dir.file("none.txt")); }),
            dir.file("none.txt") + ": cannot open file");
}

// The text helpers of core/io.h that the readers share; expected values written out by hand.
TEST(TextHelpers, TrimLowerJoinLinesAndFields) {
  EXPECT_EQ(trim(" \t a b \r\n\v\f"), "a b");
  EXPECT_EQ(trim(" \t "), "");
  EXPECT_EQ(to_lower("EDA_Gsr-1"), "eda_gsr-1");
  EXPECT_EQ(join({"a", "b", "c"}), "a, b, c");
  EXPECT_EQ(join({"x", "y"}, "/"), "x/y");
  EXPECT_EQ(join({}), "");
  // Blank lines are kept (line numbers match the file); a final line end adds no line.
  EXPECT_EQ(split_lines("a\r\nb\n\nc"), (std::vector<std::string>{"a", "b", "", "c"}));
  EXPECT_EQ(split_lines("a\n"), std::vector<std::string>{"a"});
  EXPECT_TRUE(split_lines("").empty());
  EXPECT_EQ(split_fields(" 1 ; 2;;x ", ';'), (std::vector<std::string>{"1", "2", "", "x"}));
  EXPECT_EQ(split_fields("", ','), std::vector<std::string>{""});
}

TEST(TextHelpers, ReadFileReturnsTheBytesAndNamesAMissingFile) {
  testutil::TempDir dir;
  testutil::write_file(dir.file("t.txt"), "a,b\r\n1,2\n");
  EXPECT_EQ(read_file(dir.file("t.txt")), "a,b\r\n1,2\n");
  testutil::write_file(dir.file("empty.txt"), "");
  EXPECT_EQ(read_file(dir.file("empty.txt")), "");
  EXPECT_THAT(testutil::error_message<DataError>([&] { read_file(dir.file("missing.txt")); }),
              HasSubstr("missing.txt: cannot open file"));
}
