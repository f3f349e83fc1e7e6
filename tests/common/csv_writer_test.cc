#include "common/csv/writer.h"

#include <gtest/gtest.h>

#include "common/csv/reader.h"
#include "tests/support/process.h"

namespace tp0::csv {
namespace {

TEST(CsvWriter, QuotesOnlyWhereNeeded) {
  std::string out;
  append_record(out, {"plain", "Núñez", "a,b", "say \"hi\"", "two\nlines", ""});
  EXPECT_EQ(out, "plain,Núñez,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\n");
}

TEST(CsvWriter, WhatItWritesReadsBackIdentically) {
  // Found by the CSV fuzzer: a record of one empty field was written as a blank line.
  const std::vector<std::vector<std::string>> records{{"1", "O'Brien, \"Jr\"", "line\r\nbreak", "x"},
                                                      {""},
                                                      {"2", "", ",", "\""},
                                                      {"", ""},
                                                      {"3", "Zoë", "Tiago Nicolás", "end"}};
  std::string out;
  for (const auto& r : records) append_record(out, r);
  testing::TempDir dir;
  testing::write_file(dir.file("round.csv"), out);
  CsvReader reader = CsvReader::open(dir.file("round.csv"));
  std::vector<std::string> fields;
  for (const auto& expected : records) {
    ASSERT_TRUE(reader.next(fields));
    EXPECT_EQ(fields, expected);
  }
  EXPECT_FALSE(reader.next(fields));
}

}  // namespace
}  // namespace tp0::csv
