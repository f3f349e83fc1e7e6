#include "common/csv/reader.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/support/process.h"

namespace tp0::csv {
namespace {

using Records = std::vector<std::vector<std::string>>;

class CsvReaderTest : public ::testing::Test {
 protected:
  Records read_all(const std::string& content) {
    const std::string path = dir_.file("input.csv");
    testing::write_file(path, content);
    CsvReader reader = CsvReader::open(path);
    Records records;
    std::vector<std::string> fields;
    while (reader.next(fields)) records.push_back(fields);
    return records;
  }

  // Returns the CsvError message for `content`, or "" if it was accepted.
  std::string error_for(const std::string& content) {
    try {
      read_all(content);
    } catch (const CsvError& error) {
      return error.what();
    }
    return "";
  }

  testing::TempDir dir_;
};

TEST_F(CsvReaderTest, AcceptsLfAndCrlfAndAFinalLineWithoutEnd) {
  const Records expected{{"a", "b"}, {"c", "d"}, {"e", "f"}};
  EXPECT_EQ(read_all("a,b\nc,d\ne,f\n"), expected);
  EXPECT_EQ(read_all("a,b\r\nc,d\r\ne,f\r\n"), expected);
  EXPECT_EQ(read_all("a,b\r\nc,d\ne,f"), expected);
}

TEST_F(CsvReaderTest, KeepsUtf8AndEmptyFieldsAndSkipsBlankLines) {
  EXPECT_EQ(read_all("Tiago Nicolás,Núñez\r\n\r\n,,\n\nZoë,\n"),
            (Records{{"Tiago Nicolás", "Núñez"}, {"", "", ""}, {"Zoë", ""}}));
}

TEST_F(CsvReaderTest, QuotedFieldsHoldCommasQuotesAndLineBreaks) {
  EXPECT_EQ(read_all("\"Pérez, Ana\",\"say \"\"hi\"\"\",\"two\r\nlines\",\"\"\r\nnext,row\r\n"),
            (Records{{"Pérez, Ana", "say \"hi\"", "two\r\nlines", ""}, {"next", "row"}}));
}

TEST_F(CsvReaderTest, LineNumbersCountLineBreaksInsideQuotes) {
  const std::string path = dir_.file("lines.csv");
  testing::write_file(path, "a\n\"b\nc\"\n\nd\n");
  CsvReader reader = CsvReader::open(path);
  std::vector<std::string> fields;
  std::vector<std::size_t> lines;
  while (reader.next(fields)) lines.push_back(reader.line());
  EXPECT_EQ(lines, (std::vector<std::size_t>{1, 2, 5}));
}

TEST_F(CsvReaderTest, BareCarriageReturnIsDataNotALineEnd) {
  EXPECT_EQ(read_all("a\rb,c\n\rd\r\n"), (Records{{"a\rb", "c"}, {"\rd"}}));
  EXPECT_EQ(read_all("a,b\r"), (Records{{"a", "b"}}));
}

TEST_F(CsvReaderTest, MalformedInputNamesTheSourceAndLine) {
  const std::string quote_inside = error_for("ok,row\nbad\"field,x\n");
  EXPECT_NE(quote_inside.find("input.csv:2: quote inside an unquoted field"), std::string::npos)
      << quote_inside;

  // The line is where the record starts, even if the error shows after quoted line breaks.
  const std::string after_quote = error_for("a\nb\n\"c\nc\"d,e\n");
  EXPECT_NE(after_quote.find("input.csv:3: text after a closing quote"), std::string::npos) << after_quote;

  const std::string bare_cr_after_quote = error_for("\"a\"\rb\n");
  EXPECT_NE(bare_cr_after_quote.find("input.csv:1: text after a closing quote"), std::string::npos)
      << bare_cr_after_quote;

  const std::string unterminated = error_for("a\r\n\r\n\"never closed\nstill open\n");
  EXPECT_NE(unterminated.find("input.csv:3: quoted field is never closed"), std::string::npos)
      << unterminated;

  const std::string huge = error_for("a\nb\n" + std::string(CsvReader::kMaxRecordBytes + 10, 'x') + "\n");
  EXPECT_NE(huge.find("input.csv:3: record longer than"), std::string::npos) << huge;

  // Delimiters count too, so a line of nothing but commas cannot grow the fields without bound.
  const std::string commas = error_for(std::string(CsvReader::kMaxRecordBytes + 1, ',') + "\n");
  EXPECT_NE(commas.find("input.csv:1: record longer than"), std::string::npos) << commas;
}

TEST_F(CsvReaderTest, RecordOfExactlyTheLimitIsAccepted) {
  const std::string longest(CsvReader::kMaxRecordBytes, 'x');
  EXPECT_EQ(read_all(longest + "\r\nend\r\n"), (Records{{longest}, {"end"}}));
}

// The writer quotes a field holding a quote or a comma; the quotes it adds must not push a
// record that was accepted once over the limit when it is read back.
TEST_F(CsvReaderTest, QuotesDoNotCountTowardsTheLimit) {
  const std::string longest = "\"" + std::string(CsvReader::kMaxRecordBytes - 1, 'x');
  EXPECT_EQ(read_all("\"\"\"" + longest.substr(1) + "\"\r\n"), (Records{{longest}}));
}

TEST_F(CsvReaderTest, CloseEndsTheRecordsEvenIfSomeWereBuffered) {
  const std::string path = dir_.file("close.csv");
  testing::write_file(path, "a\nb\nc\n");
  CsvReader reader = CsvReader::open(path);
  std::vector<std::string> fields;
  ASSERT_TRUE(reader.next(fields));
  reader.close();
  EXPECT_FALSE(reader.next(fields));
}

// Lines without quotes take a faster path when they lie whole in the buffer; lines of
// every length, crossing the buffer's end at every offset, must read the same.
TEST_F(CsvReaderTest, PlainLinesReadTheSameWhereverTheBufferEnds) {
  std::string content;
  Records expected;
  for (std::size_t i = 0; content.size() < 3 * CsvReader::kBufferBytes; ++i) {
    std::string name(i % 97, static_cast<char>('a' + i % 26));
    const std::string cr = i % 5 == 0 ? "\r" : "";
    expected.push_back({name + cr + "x", "", std::to_string(i)});
    content += name + cr + "x,," + std::to_string(i) + (i % 2 == 0 ? "\r\n" : "\n");
    if (i % 7 == 0) content += "\r\n";  // a blank line
  }
  EXPECT_EQ(read_all(content), expected);
}

// Every record is either skipped or read, in order, wherever the buffer ends; only plain
// lines the predicate rejects are skipped, and line numbers stay right.
TEST_F(CsvReaderTest, SkipsOnlyPlainLinesThePredicateRejects) {
  std::string content;
  std::vector<std::string> wanted;
  for (int i = 0; content.size() < 3 * CsvReader::kBufferBytes; ++i) {
    const std::string key = std::to_string(i);
    if (i % 10 == 0) {
      content.append("\"quoted, ").append(key).append("\",").append(key).append("\r\n");  // quoted: never
                                                                                          // skipped
      wanted.push_back(key);
    } else if (i % 10 == 5) {
      content.append("keep,").append(key).append("\n\n");
      wanted.push_back(key);
    } else {
      content.append("skip,").append(key).append("\n");
    }
  }
  const std::string path = dir_.file("skip.csv");
  testing::write_file(path, content);
  CsvReader reader = CsvReader::open(path);
  const auto starts_with_skip = [](std::string_view line) { return line.substr(0, 5) == "skip,"; };
  std::vector<std::string> fields;
  std::vector<std::string> read;
  std::size_t skipped = 0;
  while (true) {
    if (reader.skip_plain_line_if(starts_with_skip)) {
      ++skipped;
      continue;
    }
    if (!reader.next(fields)) break;
    ASSERT_EQ(fields.size(), 2u);
    // A skip line the buffer's end kept from the fast path is read; the caller sees it.
    if (fields[0] != "skip") read.push_back(fields[1]);
  }
  EXPECT_EQ(read, wanted);
  EXPECT_GT(skipped, 0u);
}

TEST_F(CsvReaderTest, LineNumbersCountSkippedLines) {
  const std::string path = dir_.file("skip-lines.csv");
  testing::write_file(path, "a,1\r\nb,2\n\nc,3\n");
  CsvReader reader = CsvReader::open(path);
  const auto not_c = [](std::string_view line) { return line[0] != 'c'; };
  EXPECT_TRUE(reader.skip_plain_line_if(not_c));
  EXPECT_TRUE(reader.skip_plain_line_if(not_c));
  EXPECT_FALSE(reader.skip_plain_line_if(not_c));
  std::vector<std::string> fields;
  ASSERT_TRUE(reader.next(fields));
  EXPECT_EQ(fields, (std::vector<std::string>{"c", "3"}));
  EXPECT_EQ(reader.line(), 4u);
  EXPECT_FALSE(reader.skip_plain_line_if(not_c));
  EXPECT_FALSE(reader.next(fields));
}

TEST_F(CsvReaderTest, StreamsFilesMuchLargerThanItsBuffer) {
  std::string content;
  constexpr int kRecords = 200'000;
  for (int i = 0; i < kRecords; ++i) {
    content += "name " + std::to_string(i) + ",\"quoted, " + std::to_string(i) + "\"\r\n";
  }
  ASSERT_GT(content.size(), 40 * CsvReader::kBufferBytes);
  const std::string path = dir_.file("large.csv");
  testing::write_file(path, content);
  CsvReader reader = CsvReader::open(path);
  std::vector<std::string> fields;
  int count = 0;
  while (reader.next(fields)) {
    ASSERT_EQ(fields.size(), 2u);
    ASSERT_EQ(fields[0], "name " + std::to_string(count));
    ASSERT_EQ(fields[1], "quoted, " + std::to_string(count));
    ++count;
  }
  EXPECT_EQ(count, kRecords);
  EXPECT_EQ(reader.line(), static_cast<std::size_t>(kRecords));
}

TEST_F(CsvReaderTest, MissingFileIsASystemErrorNamingIt) {
  try {
    CsvReader::open(dir_.file("absent.csv"));
    FAIL() << "opened a missing file";
  } catch (const std::system_error& error) {
    EXPECT_NE(std::string(error.what()).find("absent.csv"), std::string::npos);
  }
}

}  // namespace
}  // namespace tp0::csv
